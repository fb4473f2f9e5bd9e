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
        time.sleep(1200)
    return out
art.save_json = save_json
from helixforge.cli.app import main
sys.argv = ["helix", *sys.argv[2:]]
main()
"""


_EPOCH_CHILD = r"""
import sys, time
from pathlib import Path
import helixforge.core.training as training
marker, after = Path(sys.argv[1]), int(sys.argv[2])
real, calls = training._save_epoch, []
def save_epoch(*a, **k):
    real(*a, **k)
    calls.append(1)
    if len(calls) == after:
        marker.write_text("checkpointed")
        time.sleep(1200)
training._save_epoch = save_epoch
from helixforge.cli.app import main
sys.argv = ["helix", *sys.argv[3:]]
main()
"""


def kill_after_first_chunk(cli_args: list[str], marker: Path, timeout: float = 600) -> None:
    """Run `helix *cli_args` in a subprocess and SIGKILL it once chunk 0 is checkpointed."""
    _kill_when_marked([sys.executable, "-c", _CHILD, str(marker), *cli_args], marker, timeout)


def kill_after_epoch(cli_args: list[str], marker: Path, epochs: int, timeout: float = 900) -> None:
    """Run `helix *cli_args` (a verb training through `core.training.fit`) in a subprocess and
    SIGKILL it once `epochs` epoch checkpoints are written."""
    child = [sys.executable, "-c", _EPOCH_CHILD, str(marker), str(epochs), *cli_args]
    _kill_when_marked(child, marker, timeout)


def _kill_when_marked(cmd: list[str], marker: Path, timeout: float) -> None:
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE)
    deadline = time.monotonic() + timeout
    while not marker.exists():
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.monotonic() < deadline, "the job never reached its checkpoint"
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stderr.close()
