"""Capture a real Sentry event for each crash scenario by running its buggy code.

Each scenario's ``buggy/`` tree is deployed into a temporary folder (as an application under
``srv/app``, or as a package installed in a ``site-packages`` folder), and its ``trigger`` runs
in a fresh interpreter with the real ``sentry-sdk`` initialised with a capturing transport:
nothing goes to the network; the event the SDK would have sent is written to the scenario's
``event.json``. The temporary prefix of every path is then replaced by a fixed deployment
prefix (``/srv/app`` or ``/opt/venv/lib/python3.11/site-packages``) so that the committed
events do not change from one capture to the next; everything else is as the SDK made it
(only bulky, machine-specific parts — installed modules, host name, runtime contexts, the
capture harness's own frame and the interpreter globals of the trigger's frame — are dropped).

    .venv/bin/python benchmarks/scenarios/capture.py            # every scenario
    .venv/bin/python benchmarks/scenarios/capture.py 07-email-none
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRV_PREFIX = "/srv/app"
SITE_PREFIX = "/opt/venv/lib/python3.11/site-packages"
_KEPT_KEYS = ("event_id", "level", "platform", "timestamp", "exception", "release", "environment")

# Runs inside the scenario's interpreter: argv = [output path, trigger, in-app package or ""].
_HARNESS = r"""
import json, sys
import sentry_sdk
from sentry_sdk.transport import Transport

captured = []


class CapturingTransport(Transport):
    def capture_envelope(self, envelope):
        event = envelope.get_event()
        if event is not None:
            captured.append(event)


output, trigger, package = sys.argv[1], sys.argv[2], sys.argv[3]
sentry_sdk.init(
    dsn="https://public@sentry.invalid/1",
    transport=CapturingTransport,
    default_integrations=False,
    include_local_variables=True,
    in_app_include=[package] if package else [],
    release="scenario@1.0.0",
    environment="production",
)
try:
    exec(compile(trigger, "<trigger>", "exec"), {})
except Exception:
    sentry_sdk.capture_exception()
else:
    sys.exit("the trigger did not raise")
sentry_sdk.flush()
with open(output, "w", encoding="utf-8") as handle:
    json.dump(captured[0], handle, default=str)
"""


def scenario_folders() -> list[Path]:
    """Every scenario folder (``NN-name`` with a scenario.toml), in name order."""
    return sorted(path.parent for path in HERE.glob("*/scenario.toml"))


def capture(folder: Path) -> dict[str, object]:
    """Run the scenario's trigger on its buggy code and return the cleaned Sentry event."""
    settings = tomllib.loads((folder / "scenario.toml").read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory(prefix="argus-capture-") as temporary:
        base = Path(temporary).resolve()
        buggy = folder / "buggy"
        if settings.get("deploy") == "site-packages":
            root = base / "site-packages"
            shutil.copytree(buggy / settings.get("package_root", ""), root)
            prefix = SITE_PREFIX
            package = next(p.name for p in root.iterdir() if (p / "__init__.py").exists())
        else:
            root = base / "app"
            shutil.copytree(buggy, root)
            prefix = SRV_PREFIX
            package = ""
        raw = base / "event.json"
        subprocess.run(
            [sys.executable, "-c", _HARNESS, str(raw), settings["trigger"], package],
            cwd=root,
            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(root), "LANG": "C.UTF-8"},
            check=True,
            timeout=120,
        )
        event = json.loads(raw.read_text(encoding="utf-8"))
        _drop_harness(event)
        text = json.dumps({key: event[key] for key in _KEPT_KEYS if key in event})
        text = text.replace(str(root), prefix)
        cleaned: dict[str, object] = json.loads(text)
        return cleaned


def _drop_harness(event: dict[str, object]) -> None:
    """Drop the capture harness's own frame and the interpreter globals of the trigger's."""
    for value in event["exception"]["values"]:  # type: ignore[index]
        stacktrace = value.get("stacktrace") or {}
        frames = [f for f in stacktrace.get("frames", []) if f.get("filename") != "<string>"]
        for frame in frames:
            if frame.get("filename") == "<trigger>":
                names = frame.get("vars", {})
                frame["vars"] = {k: v for k, v in names.items() if not k.startswith("__")}
        if stacktrace:
            stacktrace["frames"] = frames


def main(names: list[str]) -> int:
    """Capture the named scenarios (all when none is named); print one line each."""
    folders = [f for f in scenario_folders() if not names or f.name in names]
    for folder in folders:
        event = capture(folder)
        (folder / "event.json").write_text(
            json.dumps(event, indent=1, sort_keys=True) + "\n", encoding="utf-8"
        )
        values = event["exception"]["values"]  # type: ignore[index]
        last = values[-1]
        print(f"{folder.name}: {last['type']}: {str(last.get('value', ''))[:60]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
