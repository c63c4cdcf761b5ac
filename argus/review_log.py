"""Records each ``argus review`` in the store's ``reviews`` table, for the dashboard."""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from argus.core.diff.git import find_repo_root
from argus.core.errors import GitError, StoreError
from argus.core.predict.findings import Review
from argus.core.quality.reviews import insert_review, review_record
from argus.core.store.sqlite import SQLiteStore, default_store_path


def record_cli_review(
    review: Review, arguments: argparse.Namespace, stderr: TextIO | None = None
) -> None:
    """Append ``review`` to the repository's store (``$ARGUS_HOME`` or ``<repo>/.argus``).

    A diff reviewed outside any repository is not recorded (it belongs to no repository). A
    store that cannot be written is reported on ``stderr`` and never fails the review.
    """
    try:
        repo = find_repo_root(arguments.repo)
    except GitError:
        return
    record = review_record(
        review, tenant=arguments.tenant, repository=str(repo.resolve()), source="cli"
    )
    try:
        with SQLiteStore.open(default_store_path(repo)) as store, store.transaction() as db:
            insert_review(db, record)
    except StoreError as error:
        print(f"argus: warning: the review was not recorded: {error}", file=stderr or sys.stderr)
