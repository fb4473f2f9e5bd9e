"""Malformed inputs and options for `helix dna train | predict | evaluate` (issue 9).

Every case: exit code 2, no traceback, a message naming the file or option, nothing at the
final output path. Row-level problems: every input row is in the output or the errors table.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from typer.testing import CliRunner

from helixforge.cli.app import app
from helixforge.core.errors import InputError

runner = CliRunner()
MOTIF = "TTGATTACAG"


def rows(n: int, seed: int = 0, length: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        s = list(rng.choice(list("ACGT"), length))
        if i % 2:
            s[5:15] = list(MOTIF)
        out.append({"sequence": "".join(s), "label": i % 2, "chrom": f"chr{i % 3 + 1}"})
    return pd.DataFrame(out)


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    """A workspace: good data, a trained run, and damaged copies of it."""
    torch.set_num_threads(1)
    d = tmp_path_factory.mktemp("bad")
    rows(60).to_csv(d / "good.csv", index=False)
    rows(0 + 2).iloc[:0].to_csv(d / "header_only.csv", index=False)
    (d / "empty.csv").write_text("")
    pd.DataFrame({"sequence": ["ACGZ", "XXXX"], "label": [0, 1]}).to_csv(
        d / "allbad.csv", index=False
    )
    (d / "nolabel.fa").write_text(">a\nACGT\n>b\nGGCC\n")
    (d / "r.bed").write_text("chr1\t0\t10\n")
    (d / "a_file").write_text("x")
    pd.DataFrame({"sequence": ["ACGTACGTAC"] * 30, "label": [0, 1] * 15}).to_csv(
        d / "same_seq.csv", index=False
    )
    (d / "taken").mkdir()
    (d / "taken" / "x").write_text("x")
    (d / "taken.csv").write_text("x")
    data = (d / "good.csv").read_bytes()
    (d / "trunc.csv.gz").write_bytes(gzip.compress(data * 50)[:300])
    res = runner.invoke(app, ["dna", "train", str(d / "good.csv"), "-m", "cnn", "--epochs", "1",
                              "-j", "1", "-o", str(d / "run"), "-q"])  # fmt: skip
    assert res.exit_code == 0, res.output
    for name, damage in {
        "run_badjson": lambda r: (r / "model" / "member_0" / "config.json").write_text("{oops"),
        "run_trunc": lambda r: (r / "model" / "member_0" / "model.safetensors").write_bytes(
            b"\x00" * 64
        ),
        "run_noweights": lambda r: (r / "model" / "member_0" / "model.safetensors").unlink(),
        "run_nomanifest": lambda r: (r / "model" / "manifest.json").unlink(),
        "run_badrunconfig": lambda r: (r / "config.json").write_text("[1, 2"),
    }.items():
        shutil.copytree(d / "run", d / name)
        damage(d / name)
    stage = d / ".resumed.partial"
    stage.mkdir()
    (stage / "resume.json").write_text(json.dumps({"model": "resnet", "epochs": 99}))
    pstage = d / ".res.csv.partial"
    pstage.mkdir()
    (pstage / "state.json").write_text(json.dumps({"key": {"iupac": "error"}, "done": []}))
    (d / "sub").mkdir()
    shutil.copy(d / "good.csv", d / "sub" / "in.csv")
    (d / "ncbi.fa").write_text(">NC_000001.11 Homo sapiens chromosome 1\n" + "ACGT" * 50 + "\n")
    (d / "gdup.fa").write_text(">chr1\n" + "ACGT" * 20 + "\n>chr1\n" + "GGCC" * 20 + "\n")
    return d


T = ["dna", "train", "{d}/good.csv", "-o", "{d}/out", "--epochs", "1", "-q"]
P = ["dna", "predict", "{d}/run", "{d}/good.csv", "-o", "{d}/out.csv"]
E = ["dna", "evaluate", "{d}/run", "{d}/good.csv", "-o", "{d}/out"]

CASES = [
    # (case id, command, text the message must contain, path that must not exist afterwards)
    ("train epochs 0", [*T, "--epochs", "0"], "--epochs", "out"),
    ("train epochs -1", [*T, "--epochs", "-1"], "--epochs", "out"),
    ("train batch-size 0", [*T, "--batch-size", "0"], "--batch-size", "out"),
    ("train patience 0", [*T, "--patience", "0"], "--patience", "out"),
    ("train lr 0", [*T, "--lr", "0"], "--lr", "out"),
    ("train coverage 0", [*T, "--coverage", "0"], "--coverage", "out"),
    ("train ensemble 0", [*T, "--ensemble", "0"], "--ensemble", "out"),
    ("train coverage 1.5", [*T, "--coverage", "1.5"], "--coverage", "out"),
    ("train flank -1", [*T, "--flank", "-1"], "--flank", "out"),
    ("train jobs -1", [*T, "--jobs", "-1"], "--jobs", "out"),
    ("train position-bins -1", [*T, "--position-bins", "-1"], "--position-bins", "out"),
    ("train fractions two", [*T, "--fractions", "0.8,0.2"], "--fractions", "out"),
    ("train fractions text", [*T, "--fractions", "a,b,c"], "--fractions", "out"),
    ("train fractions sum", [*T, "--fractions", "0.9,0.9,0.1"], "--fractions", "out"),
    ("train unknown model", [*T, "--model", "transformer"], "resnet_pos", "out"),
    ("train lm without path", [*T, "--model", "lm"], "lm:PATH", "out"),
    ("train lm missing path", [*T, "--model", "lm:{d}/nope"], "nope", "out"),
    ("train cnn with argument", [*T, "--model", "cnn:big"], "cnn:big", "out"),
    ("train unknown task", [*T, "--task", "ranking"], "--task", "out"),
    ("train unknown iupac", [*T, "--iupac", "maybe"], "--iupac", "out"),
    ("train unknown split", [*T, "--split", "nope"], "nope", "out"),
    ("train predefined without col", [*T, "--split", "predefined"], "--split-col", "out"),
    ("train absent test chrom", [*T, "--split", "chromosome", "--test-chroms", "chrZ"], "chrZ", "out"),
    ("train missing label col", [*T, "--label-col", "nope"], "'nope'", "out"),
    ("train missing input col", [*T, "--input-col", "nope"], "'nope'", "out"),
    ("train missing file", ["dna", "train", "{d}/none.csv", "-o", "{d}/out"], "none.csv", "out"),
    ("train directory as data", ["dna", "train", "{d}/taken", "-o", "{d}/out"], "taken", "out"),
    ("train empty file", ["dna", "train", "{d}/empty.csv", "-o", "{d}/out"], "empty.csv", "out"),
    ("train header only", ["dna", "train", "{d}/header_only.csv", "-o", "{d}/out"], "header_only.csv", "out"),
    ("train no usable rows", ["dna", "train", "{d}/allbad.csv", "-o", "{d}/out"], "allbad.csv", "out"),
    ("train truncated gzip", ["dna", "train", "{d}/trunc.csv.gz", "-o", "{d}/out"], "trunc.csv.gz", "out"),
    ("train fasta without labels", ["dna", "train", "{d}/nolabel.fa", "-o", "{d}/out"], "nolabel.fa", "out"),
    ("train bed without genome", ["dna", "train", "{d}/r.bed", "-o", "{d}/out"], "--genome", "out"),
    ("train missing valid file", [*T, "--valid", "{d}/none.csv"], "none.csv", "out"),
    ("train out is a file", ["dna", "train", "{d}/good.csv", "-o", "{d}/a_file"], "a_file", None),
    ("train out exists", ["dna", "train", "{d}/good.csv", "-o", "{d}/taken"], "--overwrite", None),
    ("train out parent is a file", ["dna", "train", "{d}/good.csv", "-o", "{d}/a_file/run"], "a_file", None),
    ("train unknown param", [*T, "--param", "nope=1"], "nope", "out"),
    ("train param type", [*T, "--model", "resnet", "--param", "channels=abc"], "channels", "out"),
    ("train param not key=value", [*T, "--param", "channels"], "--param", "out"),
    ("train resume changed options", ["dna", "train", "{d}/good.csv", "-o", "{d}/resumed", "--resume"], "epochs", "resumed"),
    ("predict chunk-size 0", [*P, "--chunk-size", "0"], "--chunk-size", "out.csv"),
    ("predict flank -2", [*P, "--flank", "-2"], "--flank", "out.csv"),
    ("predict unknown iupac", [*P, "--iupac", "x"], "--iupac", "out.csv"),
    # --id-col naming no column was ignored (ids fell back to line numbers, exit 0)
    ("predict missing id col", [*P, "--id-col", "nope"], "'nope'", "out.csv"),
    ("predict missing run", ["dna", "predict", "{d}/norun", "{d}/good.csv", "-o", "{d}/out.csv"], "norun", "out.csv"),
    ("predict corrupt config", ["dna", "predict", "{d}/run_badjson", "{d}/good.csv", "-o", "{d}/out.csv"], "config.json", "out.csv"),
    ("predict truncated weights", ["dna", "predict", "{d}/run_trunc", "{d}/good.csv", "-o", "{d}/out.csv"], "model.safetensors", "out.csv"),
    ("predict missing weights", ["dna", "predict", "{d}/run_noweights", "{d}/good.csv", "-o", "{d}/out.csv"], "model.safetensors", "out.csv"),
    ("predict missing manifest", ["dna", "predict", "{d}/run_nomanifest", "{d}/good.csv", "-o", "{d}/out.csv"], "manifest.json", "out.csv"),
    ("predict damaged run config", ["dna", "predict", "{d}/run_badrunconfig", "{d}/good.csv", "-o", "{d}/out.csv"], "config.json", "out.csv"),
    ("predict bed without genome", ["dna", "predict", "{d}/run", "{d}/r.bed", "-o", "{d}/out.csv"], "--genome", "out.csv"),
    ("predict resume changed options", ["dna", "predict", "{d}/run", "{d}/good.csv", "-o", "{d}/res.csv", "--resume", "--iupac", "n"], "iupac", "res.csv"),
    ("predict out exists", ["dna", "predict", "{d}/run", "{d}/good.csv", "-o", "{d}/taken.csv"], "--overwrite", None),
    ("predict out is a directory", ["dna", "predict", "{d}/run", "{d}/good.csv", "-o", "{d}/taken"], "taken", None),
    ("predict missing input", ["dna", "predict", "{d}/run", "{d}/none.csv", "-o", "{d}/out.csv"], "none.csv", "out.csv"),
    ("predict missing input col", [*P, "--input-col", "nope"], "'nope'", "out.csv"),
    ("predict no usable rows", ["dna", "predict", "{d}/run", "{d}/allbad.csv", "-o", "{d}/out.csv"], "allbad.csv", "out.csv"),
    ("evaluate missing label col", [*E, "--label-col", "nope"], "'nope'", "out"),
    ("evaluate missing run", ["dna", "evaluate", "{d}/norun", "{d}/good.csv"], "norun", None),
    ("evaluate out exists", ["dna", "evaluate", "{d}/run", "{d}/good.csv", "-o", "{d}/taken"], "--overwrite", None),
    ("evaluate corrupt model", ["dna", "evaluate", "{d}/run_badjson", "{d}/good.csv", "-o", "{d}/out"], "config.json", "out"),
    ("evaluate jobs -1", [*E, "--jobs", "-1"], "--jobs", "out"),
    # an output that is (or holds) an input is refused even with --overwrite
    ("predict out is the input", [*P[:4], "-o", "{d}/good.csv", "--overwrite"], "is the input", None),
    ("train out holds the input", ["dna", "train", "{d}/sub/in.csv", "-o", "{d}/sub", "--overwrite"], "holds the input", None),
    ("evaluate out is the run", [*E[:4], "-o", "{d}/run", "--overwrite"], "is the input", None),
    # a BED whose contigs are not the genome's: the message names the BED and the genome's names
    ("predict bed other contigs", [*P[:3], "{d}/r.bed", "--genome", "{d}/ncbi.fa", "-o", "{d}/out.csv"], "r.bed", "out.csv"),
    ("predict genome duplicate names", [*P[:3], "{d}/r.bed", "--genome", "{d}/gdup.fa", "-o", "{d}/out.csv"], "appears more than once", "out.csv"),
    # the training file given again as --test: the message says why the training part is empty
    ("train test file is the training file", [*T, "--test", "{d}/good.csv"], "also in the validation / test part", "out"),
    # one sequence repeated, no --valid / --test: the message must not blame files never given
    ("train one repeated sequence", ["dna", "train", "{d}/same_seq.csv", *T[3:]], "1 distinct sequence", "out"),
]  # fmt: skip


@pytest.mark.parametrize("case, command, needle, output", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_a_clear_error(ws, case, command, needle, output):
    args = [a.replace("{d}", str(ws)) for a in command]
    res = runner.invoke(app, args)
    text = res.output
    assert res.exit_code == 2, f"{case}: exit {res.exit_code}\n{text}"
    assert "Traceback" not in text, text
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert needle.replace("{d}", str(ws)) in text, f"{case}: {needle!r} not in\n{text}"
    if output:
        assert not (ws / output).exists(), f"{case}: {output} was written"


def test_enough_cases():
    assert len(CASES) >= 40


BAD_ROWS = [
    # (raw CSV line, reason fragment) — each must land in errors.csv, never vanish
    ("ACGTACGTTTGATTACAGAC,1,extra", "wrong number of fields"),
    ('"",1', "empty"),
    ('"",', "empty"),
    ("ACGZTTGATTACAGACGTAC,1", "not a nucleotide"),
    ("ACGRTTGATTACAGACGTAC,1", "IUPAC"),
    ("ACGTTTGATTACAGACGTAA,", "missing label"),
    ("ACGTTTGATTACAGACGTCC,inf", "finite"),
    ("ACGTTTGATTACAGACGTGG,nan", "finite"),
]


def _with_bad_rows(path, n_good=80):
    good = rows(n_good, seed=4)[["sequence", "label"]]
    lines = ["sequence,label"] + [f"{s},{y}" for s, y in zip(good.sequence, good.label)]
    for k, (line, _) in enumerate(BAD_ROWS):
        lines.insert(5 + 7 * k, line)
    path.write_text("\n".join(lines) + "\n")
    return n_good + len(BAD_ROWS)


def test_train_and_predict_account_for_every_row(tmp_path):
    torch.set_num_threads(1)
    n = _with_bad_rows(tmp_path / "d.csv")
    res = runner.invoke(app, ["dna", "train", str(tmp_path / "d.csv"), "-m", "cnn", "--epochs",
                              "1", "-j", "1", "-o", str(tmp_path / "run"), "-q"])  # fmt: skip
    assert res.exit_code == 0, res.output
    cfg = json.loads((tmp_path / "run" / "config.json").read_text())
    errors = pd.read_csv(tmp_path / "run" / "errors.csv")
    assert cfg["rows_in"] == n == sum(cfg["sizes"].values()) + len(errors)
    for _, why in BAD_ROWS:
        assert errors["reason"].str.contains(why).any(), why
    res = runner.invoke(app, ["dna", "predict", str(tmp_path / "run"), str(tmp_path / "d.csv"),
                              "-o", str(tmp_path / "p.csv"), "--iupac", "n"])  # fmt: skip
    assert res.exit_code == 0, res.output
    pred, perr = pd.read_csv(tmp_path / "p.csv"), pd.read_csv(tmp_path / "p.errors.csv")
    assert len(pred) + len(perr) == n  # labels are not needed to predict: only 4 rows fail
    assert len(perr) == 4 and perr["row"].notna().all()


def _helix(*args: str) -> list[str]:
    return [sys.executable, "-c", "from helixforge.cli.app import main; main()", *args]


def test_kill_9_during_training_then_resume_gives_the_uninterrupted_model(tmp_path):
    rows(300, seed=7, length=80).to_csv(tmp_path / "d.csv", index=False)
    common = ["dna", "train", str(tmp_path / "d.csv"), "-m", "resnet", "--param", "channels=16",
              "--epochs", "3", "--patience", "10", "--batch-size", "16", "-j", "1", "--device",
              "cpu", "--seed", "5", "-q"]  # fmt: skip
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    done = subprocess.run(_helix(*common, "-o", str(tmp_path / "a")), env=env, capture_output=True)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    proc = subprocess.Popen(_helix(*common, "-o", str(tmp_path / "b")), env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    ckpt = tmp_path / ".b.partial" / "checkpoints" / "member_0" / "last.pt"
    deadline = time.time() + 300
    while not ckpt.exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert ckpt.exists() and not (tmp_path / "b").exists()  # killed mid-run: no final run
    epoch = torch.load(ckpt, weights_only=True)["epoch"]
    assert epoch < 2  # at least one epoch is left to resume
    again = subprocess.run(_helix(*common, "-o", str(tmp_path / "b"), "--resume"), env=env,
                           capture_output=True)  # fmt: skip
    assert again.returncode == 0, again.stderr.decode()[-2000:]
    a, b = tmp_path / "a", tmp_path / "b"
    weights = Path("model") / "member_0" / "model.safetensors"
    assert (a / weights).read_bytes() == (b / weights).read_bytes()
    assert (a / "predictions.csv").read_bytes() == (b / "predictions.csv").read_bytes()
    assert (a / "metrics.json").read_bytes() == (b / "metrics.json").read_bytes()
    assert not (tmp_path / ".b.partial").exists()
    assert not (b / "checkpoints").exists() and not (b / "resume.json").exists()


def test_kill_9_during_predict_then_resume_gives_the_uninterrupted_bytes(ws, tmp_path):
    from kill9 import kill_after_first_chunk

    args = ["dna", "predict", str(ws / "run"), str(ws / "good.csv"), "--chunk-size", "16",
            "-j", "1", "-q"]  # fmt: skip
    kill_after_first_chunk([*args, "-o", str(tmp_path / "p.csv")], tmp_path / "marker")
    assert not (tmp_path / "p.csv").exists() and (tmp_path / ".p.csv.partial").is_dir()
    res = runner.invoke(app, [*args, "-o", str(tmp_path / "p.csv"), "--resume"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, [*args, "-o", str(tmp_path / "whole.csv")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "p.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()


def test_an_output_that_is_an_input_leaves_it_intact(ws):
    before = (ws / "good.csv").read_bytes()
    res = runner.invoke(app, [*P[:4], "-o", str(ws / "good.csv"), "--overwrite"])
    assert res.exit_code == 2 and (ws / "good.csv").read_bytes() == before
    assert (ws / "sub" / "in.csv").is_file()


@pytest.mark.parametrize(
    "name, text",
    [
        ("bom.fa", "\ufeff>a\nACGTACGT\n>b\nGGCCGGCC\n"),
        ("crlf.fa", ">a\r\nACGT\r\nACGT\r\n\r\n>b\r\nGGCCGGCC\r\n"),
        ("mac.fa", ">a\rACGTACGT\r>b\rGGCCGGCC\r"),
        ("reads.fa", "@a\nACGTACGT\n+\nIIIIIIII\n@b\nGGCCGGCC\n+\nIIIIIIII\n"),
    ],
)
def test_fasta_line_ends_bom_and_fastq_named_fa_are_read(tmp_path, name, text):
    from helixforge.dna.reader import read_sequence_input

    (tmp_path / name).write_bytes(text.encode())
    data = read_sequence_input(tmp_path / name, label_col=None)
    assert list(data.ids) == ["a", "b"] and list(data.sequences) == ["ACGTACGT", "GGCCGGCC"]


def test_fasta_labels_with_duplicate_names_go_to_errors(tmp_path):
    from helixforge.core.errors import RowErrors
    from helixforge.dna.reader import read_sequence_input

    (tmp_path / "x.fa").write_text(">a\nACGT\n>a\nGGCC\n>b\nTTAA\n>c\nCCGG\n>d\nAATT\n")
    (tmp_path / "lab.csv").write_text("id,label\na,1\nb,0\nc,1\nc,0\nghost,1\n")
    errs = RowErrors(tmp_path / "x.fa")
    data = read_sequence_input(tmp_path / "x.fa", label_col="label", labels=tmp_path / "lab.csv",
                               errors=errs)  # fmt: skip
    assert list(data.ids) == ["b"]
    reasons = [e.reason for e in errs]
    assert len(reasons) == 4 and "appears 2 times" in reasons[0] and "appears 2 times" in reasons[1]
    assert "different labels" in reasons[2] and "not in --labels" in reasons[3]


def test_one_stray_very_long_sequence_is_refused_before_training(tmp_path):
    """Every sequence is padded to the longest, and `cnn` sizes its dense layer by it: one
    5,000-nt row among 40-mers trained a 50x larger model; a megabase row exhausted memory."""
    from helixforge.dna.models import SequenceModel

    df = rows(40)
    df.loc[7, "sequence"] = "ACGT" * 1250
    df.to_csv(tmp_path / "t.csv", index=False)
    res = runner.invoke(app, ["dna", "train", str(tmp_path / "t.csv"), "--model", "cnn",
                              "--epochs", "1", "-o", str(tmp_path / "run")])  # fmt: skip
    assert res.exit_code == 2 and "row 9: a sequence of 5,000 nt" in res.output.replace("\n", " ")
    assert not (tmp_path / "run").exists()
    with pytest.raises(InputError, match="training sequence 7"):  # the Python API says it too
        SequenceModel(arch="cnn").fit(df["sequence"].tolist(), df["label"].to_numpy())
    # a set of varied but comparable lengths is fine
    SequenceModel(arch="cnn", epochs=1).fit(
        [s[: 20 + i % 21] for i, s in enumerate(rows(40)["sequence"])], rows(40)["label"].to_numpy()
    )


@pytest.mark.parametrize(
    "argv, out",
    [
        (["dna", "train", "{d}/one_class.csv", "--model", "cnn", "--epochs", "1"], "t"),
        (["dna", "train", "{d}/good.csv", "--model", "cnn", "--epochs", "1", "--lr", "1e30"], "t"),
        (["dna", "predict", "{d}/run", "{d}/header_only.csv"], "p.csv"),
        (["dna", "predict", "{d}/run", "{d}/nolabel_empty.fa"], "p.csv"),
    ],
)
def test_a_refused_job_leaves_no_staging_folder(ws, tmp_path, argv, out):
    """dna train refused for one class or divergence, and dna predict refused for an input
    with no rows, left .<out>.partial behind (a folder no --resume could ever use)."""
    rows(30).assign(label=1).to_csv(ws / "one_class.csv", index=False)
    (ws / "nolabel_empty.fa").write_text("")
    res = runner.invoke(app, [a.format(d=ws) for a in argv] + ["-o", str(tmp_path / out), "-q"])
    assert res.exit_code == 2, res.output
    assert sorted(p.name for p in tmp_path.iterdir()) == []
