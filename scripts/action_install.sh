#!/usr/bin/env bash
# The Argus GitHub Action's install step (action.yml): Argus from the action's own checkout,
# into a virtual environment under $RUNNER_TEMP (a runner's system Python refuses pip installs).
# An environment already there (restored by actions/cache, or left by an earlier use of the
# action in the same job) is reused; Argus is reinstalled into it only when the action's files
# differ from the ones it was installed from.
# Writes the environment's interpreter to $GITHUB_OUTPUT as `python`.
set -euo pipefail

python="${ARGUS_PYTHON:-python3}"
if ! command -v "$python" >/dev/null 2>&1; then
  echo "::error title=Argus::$python not found: add actions/setup-python (3.11 or newer) before the Argus action, or set its python input"
  exit 2
fi
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "::error title=Argus::Argus needs Python 3.11 or newer; $python is $("$python" --version 2>&1)"
  exit 2
fi
venv="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/argus-venv"
if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv"
fi
source_hash="$(cd "$GITHUB_ACTION_PATH" && find . -type f -not -path './.git/*' -not -path './build/*' \
  -not -path '*.egg-info/*' -print0 \
  | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)"
marker="$venv/argus-action-source"
if [ "$(cat "$marker" 2>/dev/null)" != "$source_hash" ]; then
  "$venv/bin/python" -m pip install --disable-pip-version-check --quiet "$GITHUB_ACTION_PATH"
  echo "$source_hash" > "$marker"
else
  echo "argus: reusing $venv (installed from these files already)"
fi
echo "python=$venv/bin/python" >> "$GITHUB_OUTPUT"
