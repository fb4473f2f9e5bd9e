"""kill -9 a `helix` command right after it checkpoints its first chunk (shared by the
resumable-predict tests of every group: chem, dna and lm predict all use
`core.supervised.predict_table`, which records finished chunks in state.json)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

_CHILD = r"""
import sys, time
from pathlib import Path
import helixforge.core.artifacts as art
marker = Path(sys.argv[1])
real = art.save_json
def save_json(obj, path):
    out = real(obj, path)
    if Path(path).name == "state.json" and len(obj.get("done", [])) == 1:
        marker.write_text("chunk 0 checkpointed")
        time.sleep(120)
    return out
art.save_json = save_json
from helixforge.cli.app import main
sys.argv = ["helix", *sys.argv[2:]]
main()
"""


def kill_after_first_chunk(cli_args: list[str], marker: Path, timeout: float = 120) -> None:
    """Run `helix *cli_args` in a subprocess and SIGKILL it once chunk 0 is checkpointed."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(marker), *cli_args], stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + timeout
    while not marker.exists():
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.monotonic() < deadline, "no chunk was checkpointed"
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stderr.close()
