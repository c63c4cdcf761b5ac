"""`argus serve` on a port another program holds says so and exits 2, before claiming to serve."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_taken_port_is_a_clear_error_with_exit_code_2(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        env = {**os.environ, "ARGUS_HOME": str(tmp_path / "home")}
        env.pop("ARGUS_GITHUB_APP_ID", None)
        completed = subprocess.run(
            [sys.executable, "-m", "argus", "serve", "--port", str(port)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert completed.returncode == 2, completed.stderr
    assert f"port {port} on 127.0.0.1 is taken" in completed.stderr
    assert "--port" in completed.stderr
    assert "Argus error ingestion on" not in completed.stdout
