"""`build_index(out, resume=True)` / `helix crispr index --resume`: an interrupted build goes
on from its last finished contig and writes the uninterrupted build's bytes."""

from __future__ import annotations

import functools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import helixforge.crispr.offtarget_build as ob
from helixforge.cli.app import app
from helixforge.core.errors import ConfigError, InputError
from helixforge.core.io import staging_path
from helixforge.crispr.offtarget import build_index

ROOT = Path(__file__).resolve().parents[2]
CONTIGS = ["chr1", "chr2", "tiny", "chr3", "chr4"]


def _write_genome(path: Path, seed: int = 3) -> Path:
    """Five contigs: N runs, an N inside a site, soft-masked stretches, IUPAC codes, U, and a
    contig too short for any site (each of these leaves a note or a flag in the index)."""
    rng = np.random.default_rng(seed)

    def seq(n: int) -> str:
        return "".join(rng.choice(list("ACGT"), n))

    chr1, chr2, chr3, chr4 = seq(30_000), seq(12_000), seq(20_000), seq(8_000)
    chr1 = chr1[:1000] + "N" * 50 + chr1[1050:5000] + chr1[5000:7000].lower() + chr1[7000:]
    chr2 = chr2[:300] + "ACGTRYACGNACGTACGTACGAGG" + chr2[324:9000] + "U" + chr2[9001:]
    chr3 = chr3[:4000] + chr3[4000:9000].lower() + chr3[9000:]
    path.write_text(
        f">chr1\n{chr1}\n>chr2 second\n{chr2}\n>tiny\nACG\n>chr3\n{chr3}\n>chr4\n{chr4}\n"
    )
    return path


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    """The genome and its index built once without interruption."""
    d = tmp_path_factory.mktemp("clean")
    genome = _write_genome(d / "g.fa")
    build_index(str(genome), "spcas9", out=d / "idx")
    return genome, d / "idx"


def _same_files(a: Path, b: Path) -> None:
    """Every file of two index directories, byte for byte (timings.json holds the clock)."""
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    assert "progress.json" not in names and "resume.json" not in names
    for name in names:
        if name != "timings.json":
            assert (a / name).read_bytes() == (b / name).read_bytes(), name


def _small_chunks(monkeypatch) -> None:
    """A checkpoint after every contig and chunks of 97 sites (many appends per contig)."""
    monkeypatch.setattr(ob, "CHECKPOINT_SECONDS", 0.0)
    monkeypatch.setattr(
        ob, "write_index_files", functools.partial(ob.write_index_files, chunk_sites=97)
    )


@pytest.fixture
def small_chunks(monkeypatch):
    _small_chunks(monkeypatch)
    return _small_chunks


class Interrupted(KeyboardInterrupt):
    """Ctrl-C, raised by the tests inside the build."""


def _interrupt_at_append(monkeypatch, n: int) -> None:
    """Raise Interrupted after the n-th column append: mid-chunk (some columns of a chunk
    written, the others not), i.e. the partial rows a kill leaves behind."""
    real, calls = ob.NpyAppender.append, [0]

    def append(self, values):
        real(self, values)
        calls[0] += 1
        if calls[0] == n:
            raise Interrupted

    monkeypatch.setattr(ob.NpyAppender, "append", append)


def _progress(out: Path) -> dict:
    return json.loads((staging_path(out) / ob.PROGRESS_FILE).read_text(encoding="utf-8"))


def _count_appends(genome: Path, tmp_path: Path, monkeypatch) -> int:
    real, calls = ob.NpyAppender.append, [0]

    def append(self, values):
        calls[0] += 1
        real(self, values)

    monkeypatch.setattr(ob.NpyAppender, "append", append)
    build_index(str(genome), "spcas9", out=tmp_path / "count")
    monkeypatch.setattr(ob.NpyAppender, "append", real)
    return calls[0]


@pytest.mark.parametrize("where", [0.02, 0.3, 0.55, 0.97])
def test_a_build_interrupted_mid_append_resumes_to_the_uninterrupted_bytes(
    clean, tmp_path, monkeypatch, small_chunks, where
):
    genome, ref = clean
    total = _count_appends(genome, tmp_path, monkeypatch)
    out = tmp_path / "idx"
    _interrupt_at_append(monkeypatch, max(1, int(total * where)))
    with pytest.raises(Interrupted):
        build_index(str(genome), "spcas9", out=out)
    assert not out.exists() and staging_path(out).is_dir()  # the stage is kept for --resume
    stage = staging_path(out)
    done = _progress(out) if (stage / ob.PROGRESS_FILE).exists() else None
    if done:  # rows past the checkpoint: what the resume must cut off
        assert (stage / "codes.npy").stat().st_size >= done["bytes"]["codes"]
    monkeypatch.undo()
    monkeypatch.setattr(ob, "CHECKPOINT_SECONDS", 0.0)
    logs: list[str] = []
    idx = build_index(str(genome), "spcas9", out=out, resume=True, log=logs.append)
    assert idx.meta["resumed_contigs"] == (len(done["contigs"]) if done else 0)
    assert any("resuming the unfinished run" in m for m in logs), logs
    _same_files(out, ref)
    assert not stage.exists()


def test_the_resume_skips_the_finished_contigs_and_cuts_the_partial_rows(
    clean, tmp_path, monkeypatch, small_chunks
):
    """Interrupted in chr3 (after chr1, chr2, tiny were checkpointed): the resume reads only
    chr3 and chr4, and the rows chr3 had appended before the interruption are dropped."""
    genome, ref = clean
    out = tmp_path / "idx"
    import helixforge.crispr.guides as guides

    real_codes, scanned = guides.strand_codes, []
    real_append = ob.NpyAppender.append

    def append(self, values):
        real_append(self, values)
        if len(scanned) == 4 and self.path.name == "positions.npy":  # inside chr3
            raise Interrupted

    def strand_codes(seq):
        scanned.append(len(seq))
        return real_codes(seq)

    monkeypatch.setattr(guides, "strand_codes", strand_codes)
    monkeypatch.setattr(ob.NpyAppender, "append", append)
    with pytest.raises(Interrupted):
        build_index(str(genome), "spcas9", out=out)
    done = _progress(out)
    assert done["contigs"] == CONTIGS[:3]
    stage = staging_path(out)
    assert (stage / "codes.npy").stat().st_size > done["bytes"]["codes"]  # chr3's partial rows
    assert (stage / "flags.npy").stat().st_size == done["bytes"]["flags"]  # not reached
    monkeypatch.setattr(ob.NpyAppender, "append", real_append)
    scanned.clear()
    idx = build_index(str(genome), "spcas9", out=out, resume=True)
    assert scanned == [20_000, 8_000]  # chr3 and chr4 only
    assert idx.meta["resumed_contigs"] == 3
    _same_files(out, ref)


def test_two_interruptions_then_a_resume_give_the_uninterrupted_bytes(
    clean, tmp_path, monkeypatch, small_chunks
):
    genome, ref = clean
    total = _count_appends(genome, tmp_path, monkeypatch)
    out = tmp_path / "idx"
    _interrupt_at_append(monkeypatch, total // 2)  # in chr2
    with pytest.raises(Interrupted):
        build_index(str(genome), "spcas9", out=out)
    first = len(_progress(out)["contigs"])
    monkeypatch.undo()
    small_chunks(monkeypatch)
    _interrupt_at_append(monkeypatch, total * 35 // 100)  # from the resume: in chr3
    with pytest.raises(Interrupted):
        build_index(str(genome), "spcas9", out=out, resume=True)
    second = len(_progress(out)["contigs"])
    assert (first, second) == (1, 3)
    monkeypatch.undo()
    idx = build_index(str(genome), "spcas9", out=out, resume=True)
    assert idx.meta["resumed_contigs"] == 3
    _same_files(out, ref)


@pytest.mark.parametrize("fail_part", [0, 1])
def test_a_build_interrupted_in_the_seed_sort_redoes_only_the_unsorted_parts(
    clean, tmp_path, monkeypatch, fail_part
):
    """SpCas9 has two seed parts, each checkpointed once written: interrupted while writing
    part `fail_part`, the resume reads no contig and sorts from that part on."""
    genome, ref = clean
    out = tmp_path / "idx"
    real, sorted_now = ob.seed_table, []

    def sort_or_fail(codes, flags, L, part, make_order, chunk):
        if part == fail_part:
            order = make_order(part, np.dtype(np.uint32), 10)  # a half-written order file
            order[:] = 7
            raise Interrupted
        sorted_now.append(part)
        return real(codes, flags, L, part, make_order, chunk)

    monkeypatch.setattr(ob, "seed_table", sort_or_fail)
    with pytest.raises(Interrupted):
        build_index(str(genome), "spcas9", out=out)
    done = _progress(out)
    assert done["contigs"] == CONTIGS and done["sorted_parts"] == fail_part
    import helixforge.crispr.guides as guides

    sorted_now.clear()
    fail_part = -1
    monkeypatch.setattr(guides, "strand_codes", lambda *_: pytest.fail("a contig was re-read"))
    idx = build_index(str(genome), "spcas9", out=out, resume=True)
    assert sorted_now == list(range(done["sorted_parts"], 2))
    assert idx.meta["resumed_contigs"] == len(CONTIGS)
    _same_files(out, ref)


def _interrupted(genome: Path, out: Path, monkeypatch, after_contigs: int = 2) -> None:
    """Leave an interrupted build of `genome` at `out`, `after_contigs` contigs checkpointed."""
    monkeypatch.setattr(ob, "CHECKPOINT_SECONDS", 0.0)
    real = ob.NpyAppender.append

    def append(self, values):
        real(self, values)
        p = staging_path(out) / ob.PROGRESS_FILE
        if p.exists() and len(json.loads(p.read_text())["contigs"]) >= after_contigs:
            raise Interrupted

    monkeypatch.setattr(ob.NpyAppender, "append", append)
    with pytest.raises(Interrupted):
        build_index(str(genome), "spcas9", out=out)
    monkeypatch.setattr(ob.NpyAppender, "append", real)


@pytest.mark.parametrize(
    "change, named",
    [
        ({"pams": ["NGG"]}, "search_pams: was ['NGG', 'NAG', 'NGA'], now ['NGG']"),
        ({"enzyme": "sacas9"}, "enzyme.name: was 'spcas9', now 'sacas9'"),
        ({"genome": "other"}, "genome_sha256: was"),
    ],
)
def test_a_resume_with_another_genome_or_options_is_refused_naming_what_changed(
    clean, tmp_path, monkeypatch, change, named
):
    genome, ref = clean
    out = tmp_path / "idx"
    _interrupted(genome, out, monkeypatch)
    kw = {"enzyme": change.get("enzyme", "spcas9"), "pams": change.get("pams")}
    other = genome
    if "genome" in change:  # the same name and size, other bases
        other = tmp_path / "g.fa"
        other.write_bytes(genome.read_bytes().replace(b"ACGT", b"TGCA", 1))
    with pytest.raises(ConfigError) as exc:
        build_index(str(other), out=out, resume=True, **kw)
    assert named in exc.value.message and "cannot resume" in exc.value.message
    assert staging_path(out).is_dir()  # the interrupted build is not lost to a wrong option
    idx = build_index(str(genome), "spcas9", out=out, resume=True)  # the original command
    assert idx.meta["resumed_contigs"] >= 2
    _same_files(out, ref)


def test_resume_with_nothing_to_resume_starts_afresh_and_a_finished_index_is_complete(
    clean, tmp_path
):
    genome, ref = clean
    out = tmp_path / "idx"
    logs: list[str] = []
    idx = build_index(str(genome), "spcas9", out=out, resume=True, log=logs.append)
    assert idx.meta["resumed_contigs"] == 0
    assert any("nothing to resume" in m and "starting afresh" in m for m in logs), logs
    _same_files(out, ref)
    with pytest.raises(ConfigError, match="already complete"):
        build_index(str(genome), "spcas9", out=out, resume=True)
    # --resume --overwrite with nothing interrupted: rebuilt and swapped in
    build_index(str(genome), "spcas9", out=out, resume=True, overwrite=True)
    _same_files(out, ref)


def test_without_resume_an_interrupted_build_is_discarded_and_redone(clean, tmp_path, monkeypatch):
    genome, ref = clean
    out = tmp_path / "idx"
    _interrupted(genome, out, monkeypatch)
    logs: list[str] = []
    idx = build_index(str(genome), "spcas9", out=out, log=logs.append)
    assert idx.meta["resumed_contigs"] == 0
    assert any("discarded an unfinished run" in m for m in logs), logs
    _same_files(out, ref)


def test_a_bad_contig_in_a_fresh_build_leaves_no_stage(tmp_path):
    """A refusal (a contig with digits) cannot be resumed past: its staging folder goes."""
    bad = tmp_path / "bad.fa"
    bad.write_text(">a\n" + "ACGTACGGAGG" * 100 + "\n>b\nACGT123ACGT\n")
    with pytest.raises(InputError, match="not a nucleotide code"):
        build_index(str(bad), "spcas9", out=tmp_path / "idx")
    assert not staging_path(tmp_path / "idx").exists()


def test_a_damaged_checkpoint_is_refused_with_the_way_out(clean, tmp_path, monkeypatch):
    genome, _ = clean
    out = tmp_path / "idx"
    _interrupted(genome, out, monkeypatch)
    stage = staging_path(out)
    with open(stage / "flags.npy", "r+b") as fh:  # shorter than its checkpoint promises
        fh.truncate(100)
    with pytest.raises(InputError, match="fewer than the") as exc:
        build_index(str(genome), "spcas9", out=out, resume=True)
    assert "without --resume" in exc.value.hint
    assert stage.is_dir()


def test_cli_resume_says_where_it_went_on_from_and_when_it_is_complete(
    clean, tmp_path, monkeypatch
):
    genome, ref = clean
    out = tmp_path / "idx"
    _interrupted(genome, out, monkeypatch, after_contigs=3)
    runner = CliRunner()
    res = runner.invoke(app, ["crispr", "index", str(genome), "-o", str(out), "--resume"],
                        env={"COLUMNS": "300"})  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "resumed after 3 finished contig(s)" in res.output
    assert "3 contig(s) were indexed before the interruption" in res.output
    _same_files(out, ref)
    res = runner.invoke(app, ["crispr", "index", str(genome), "-o", str(out), "--resume"],
                        env={"COLUMNS": "300"})  # fmt: skip
    assert res.exit_code == 2 and "is already complete" in res.output, res.output


_KILL_CHILD = r"""
import json, sys, time
from pathlib import Path
import helixforge.crispr.offtarget_build as ob
marker, stage = Path(sys.argv[1]), Path(sys.argv[2])
ob.CHECKPOINT_SECONDS = 0.0
real = ob.NpyAppender.append
def append(self, values):
    real(self, values)
    self._fh.flush()                     # the partial rows reach the file before the kill
    p = stage / ob.PROGRESS_FILE
    if (self.path.name == "positions.npy" and p.exists()
            and len(json.loads(p.read_text())["contigs"]) >= 2):
        marker.write_text("two contigs checkpointed, a third one half appended")
        time.sleep(120)
ob.NpyAppender.append = append
from helixforge.cli.app import main
sys.argv = ["helix", *sys.argv[3:]]
main()
"""


def test_kill_9_of_helix_crispr_index_then_resume_gives_the_uninterrupted_bytes(clean, tmp_path):
    genome, ref = clean
    out = tmp_path / "idx"
    marker = tmp_path / "marker"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    argv = ["crispr", "index", str(genome), "-o", str(out), "--quiet"]
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILL_CHILD, str(marker), str(staging_path(out)), *argv],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.time() + 120
    while not marker.exists():
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.time() < deadline, "the build never reached its second checkpoint"
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    stage = staging_path(out)
    done = _progress(out)
    # chr1, chr2 and 'tiny' (no site, so no append) checkpointed; chr3 half appended
    assert done["contigs"] == CONTIGS[:3] and not out.exists()
    assert (stage / "codes.npy").stat().st_size > done["bytes"]["codes"]  # a partial append
    assert (stage / "flags.npy").stat().st_size == done["bytes"]["flags"]
    res = CliRunner().invoke(app, [*argv, "--resume"], env={"COLUMNS": "300"})
    assert res.exit_code == 0, res.output
    _same_files(out, ref)


def test_an_interrupted_rebuild_of_an_existing_index_resumes_with_overwrite(
    clean, tmp_path, monkeypatch
):
    """`--overwrite` rebuilding another genome's index, interrupted: the old index stays whole
    and answers; `--resume` alone is told to add --overwrite; `--resume --overwrite` continues."""
    from helixforge.crispr.offtarget import OfftargetIndex

    genome, ref = clean
    other = _write_genome(tmp_path / "other.fa", seed=9)
    out = tmp_path / "idx"
    build_index(str(other), "spcas9", out=out)
    monkeypatch.setattr(ob, "CHECKPOINT_SECONDS", 0.0)
    real = ob.NpyAppender.append

    def append(self, values):
        real(self, values)
        p = staging_path(out) / ob.PROGRESS_FILE
        if p.exists() and len(json.loads(p.read_text())["contigs"]) >= 2:
            raise Interrupted

    monkeypatch.setattr(ob.NpyAppender, "append", append)
    with pytest.raises(Interrupted):
        build_index(str(genome), "spcas9", out=out, overwrite=True)
    monkeypatch.setattr(ob.NpyAppender, "append", real)
    OfftargetIndex.load(out, genome=str(other))  # the old index is untouched
    with pytest.raises(ConfigError, match="already holds an off-target index"):
        build_index(str(genome), "spcas9", out=out, resume=True)
    idx = build_index(str(genome), "spcas9", out=out, resume=True, overwrite=True)
    assert idx.meta["resumed_contigs"] >= 2
    _same_files(out, ref)
