"""kill -9 during `helix lm pretrain`: at a checkpoint boundary and inside the checkpoint swap.

The child process is the real CLI with one wrapper: right after the second checkpoint is
written (boundary) or between the two renames of its swap (inside), it writes a marker and
sleeps; the test then SIGKILLs it. `--resume` must finish with the same model as a run that
was never interrupted.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

CHILD = r"""
import os, sys, time
from pathlib import Path
mode, marker = sys.argv[1], Path(sys.argv[2])
import helixforge.core.io as cio
calls = {"n": 0}
if mode == "boundary":
    real = cio.replace_dir
    def replace_dir(new, final):
        out = real(new, final)
        if Path(final).name == "checkpoint":
            calls["n"] += 1
            if calls["n"] == 2:
                marker.write_text("checkpoint 2 written")
                time.sleep(120)
        return out
    cio.replace_dir = replace_dir
else:
    real_replace = os.replace
    def replace(src, dst):
        real_replace(src, dst)
        if str(dst).endswith(".checkpoint.old"):  # old moved aside, new not yet in
            marker.write_text("inside the swap")
            time.sleep(120)
    os.replace = replace
from helixforge.cli.app import app
app(sys.argv[3:])
"""


def _args(genome: str, out: Path) -> list[str]:
    return ["lm", "pretrain", "--corpus", genome, "--tokenizer", "dna-char", "--size", "micro",
            "--max-len", "32", "--steps", "6", "--batch-size", "4", "--eval-every", "2",
            "--save-every", "2", "--jobs", "1", "--device", "cpu", "--quiet", "-o", str(out)]  # fmt: skip


def _weights(path: Path):
    from safetensors.torch import load_file

    return load_file(str(path / "model.safetensors"))


@pytest.fixture(scope="module")
def straight(genome, tmp_path_factory) -> Path:
    from helixforge.cli.app import app

    out = tmp_path_factory.mktemp("straight") / "lm"
    res = CliRunner().invoke(app, _args(genome, out))
    assert res.exit_code == 0, res.output
    return out


@pytest.mark.parametrize("mode", ["boundary", "swap"])
def test_kill_9_then_resume_gives_the_uninterrupted_model(genome, straight, tmp_path, mode):
    from helixforge.cli.app import app

    out = tmp_path / "lm"
    marker = tmp_path / "marker"
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    proc = subprocess.Popen(
        [sys.executable, str(script), mode, str(marker), *_args(genome, out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.time() + 240
        while not marker.exists():
            if proc.poll() is not None:
                pytest.fail(f"child ended early: {proc.stderr.read().decode()[-2000:]}")
            if time.time() > deadline:
                pytest.fail("child never reached the checkpoint")
            time.sleep(0.2)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    assert not out.exists()  # nothing at the final path
    res = CliRunner().invoke(app, [*_args(genome, out), "--resume"])
    assert res.exit_code == 0, res.output
    import json

    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == [1, 2, 4, 6]
    a, b = _weights(out), _weights(straight)
    assert max(float((a[k] - b[k]).abs().max()) for k in a) < 1e-5
