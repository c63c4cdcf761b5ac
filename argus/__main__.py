"""``python -m argus`` runs the command line."""

from argus.cli import main

raise SystemExit(main())
