"""core.io (opener, output checks, atomic swaps), core.options, core.registry, core.progress."""

from __future__ import annotations

import gzip
import os
import struct
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from helixforge.core.errors import ConfigError, InputError
from helixforge.core.io import (
    atomic_file,
    check_bgzf_eof,
    check_gzip_whole,
    check_output,
    is_gzip,
    open_text,
    recover_dir,
    replace_dir,
    staging_dir,
    staging_path,
)
from helixforge.core.options import (
    check_param_types,
    parse_params,
    require_choice,
    require_float,
    require_int,
)
from helixforge.core.progress import progress
from helixforge.core.registry import Registry, call_registered

ROOT = os.geteuid() == 0 if hasattr(os, "geteuid") else False

# ---------------------------------------------------------------- open_text


def _bgzf_bytes(text: str, path) -> bytes:
    from Bio import bgzf

    with bgzf.BgzfWriter(str(path), "wb") as fh:
        fh.write(text.encode())
    return path.read_bytes()


def _blocks(raw: bytes) -> list[int]:
    """Start offsets of the BGZF blocks."""
    offsets, off = [], 0
    while off < len(raw):
        offsets.append(off)
        off += struct.unpack("<H", raw[off + 16 : off + 18])[0] + 1
    return offsets


TEXT = "".join(f"line {i}\n" for i in range(40_000))


@pytest.mark.parametrize("kind", ["plain", "gzip", "bgzf"])
def test_open_text_reads_every_compression_alike(tmp_path, kind):
    path = tmp_path / f"t.{kind}"
    if kind == "plain":
        path.write_text(TEXT)
    elif kind == "gzip":
        path.write_bytes(gzip.compress(TEXT.encode()))
    else:
        _bgzf_bytes(TEXT, path)
    assert is_gzip(path) == (kind != "plain")
    with open_text(path) as fh:
        assert fh.read() == TEXT
    with open_text(path) as fh:
        assert sum(1 for _ in fh) == 40_000
    check_gzip_whole(path)


@pytest.mark.parametrize("cut", [0.5, 0.99])
def test_truncated_gzip_is_named_wherever_it_is_found(tmp_path, cut):
    raw = gzip.compress(TEXT.encode())
    path = tmp_path / "cut.txt.gz"
    path.write_bytes(raw[: int(len(raw) * cut)])
    with pytest.raises(InputError, match="cut.txt.gz: the compressed file is truncated"):
        check_gzip_whole(path)
    with pytest.raises(InputError, match="cut.txt.gz"), open_text(path) as fh:
        for _ in fh:
            pass


def test_bgzf_cut_at_a_block_boundary_is_caught(tmp_path):
    """gzip reads such a file without complaint; only the missing EOF block tells."""
    raw = _bgzf_bytes(TEXT, tmp_path / "whole.gz")
    starts = _blocks(raw)
    assert len(starts) > 2
    path = tmp_path / "cut.txt.gz"
    path.write_bytes(raw[: starts[2]])
    assert len(gzip.decompress(path.read_bytes())) < len(TEXT)  # silently short
    for check in (check_bgzf_eof, check_gzip_whole, open_text):
        with pytest.raises(InputError, match="cut.txt.gz: .*BGZF end-of-file block missing"):
            check(path)
    check_bgzf_eof(tmp_path / "whole.gz")


def test_corrupt_gzip_and_missing_paths(tmp_path):
    bad = tmp_path / "bad.gz"
    bad.write_bytes(b"\x1f\x8b" + b"\x00" * 40)
    with pytest.raises(InputError, match="bad.gz"), open_text(bad) as fh:
        fh.read()
    with pytest.raises(InputError, match="nope.txt: file not found"):
        open_text(tmp_path / "nope.txt")
    with pytest.raises(InputError, match="is a directory"):
        open_text(tmp_path)


# ---------------------------------------------------------------- check_output


def test_check_output_refuses_existing_without_overwrite(tmp_path):
    f = tmp_path / "out.csv"
    f.write_text("x")
    with pytest.raises(ConfigError, match="--out .*out.csv already exists") as err:
        check_output(f)
    assert "--overwrite" in err.value.hint
    assert check_output(f, overwrite=True) == f
    d = tmp_path / "run"
    d.mkdir()
    assert check_output(d, kind="dir") == d  # empty directory: as good as none
    (d / "model.json").write_text("{}")
    with pytest.raises(ConfigError, match="already exists"):
        check_output(d, kind="dir")
    assert check_output(d, kind="dir", overwrite=True) == d


@pytest.mark.parametrize(
    "setup, kind, match",
    [
        (lambda t: (t / "d").mkdir(), "file", "is a directory"),
        (lambda t: (t / "d").write_text("x"), "dir", "is a file"),
        (lambda t: (t / "p").write_text("x"), "file", "is a file, so nothing can be written"),
    ],
)
def test_check_output_kind_and_parent_errors(tmp_path, setup, kind, match):
    setup(tmp_path)
    target = tmp_path / ("p/out.csv" if "nothing" in match else "d")
    with pytest.raises(ConfigError, match=match):
        check_output(target, kind=kind, overwrite=True, option="-o")


def test_check_output_creates_missing_parents_and_rejects_empty(tmp_path):
    assert check_output(tmp_path / "a" / "b" / "c.csv").parent.is_dir()
    with pytest.raises(ConfigError, match="--out is empty"):
        check_output("")


@pytest.mark.skipif(ROOT, reason="root can write anywhere")
def test_check_output_unwritable_parent(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        with pytest.raises(ConfigError, match="not writable"):
            check_output(ro / "out.csv")
    finally:
        ro.chmod(0o700)


def test_check_output_never_offers_to_replace_cwd_or_its_parents(tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    (work / "precious.csv").write_text("x")
    monkeypatch.chdir(work)
    for target in (".", str(work), str(tmp_path), ".."):
        with pytest.raises(ConfigError, match="would delete everything"):
            check_output(target, kind="dir", overwrite=True)
    assert (work / "precious.csv").exists()


# ---------------------------------------------------------------- atomic writes and swaps


def test_atomic_file_replaces_only_on_success(tmp_path):
    dest = tmp_path / "out.txt"
    dest.write_text("old")
    with pytest.raises(RuntimeError), atomic_file(dest) as tmp:
        tmp.write_text("half")
        raise RuntimeError("crash")
    assert dest.read_text() == "old" and sorted(os.listdir(tmp_path)) == ["out.txt"]
    with atomic_file(dest) as tmp:
        assert tmp.parent == dest.parent and tmp != dest
        tmp.write_text("new")
    assert dest.read_text() == "new" and sorted(os.listdir(tmp_path)) == ["out.txt"]


def test_replace_dir_never_deletes_before_the_new_one_is_in(tmp_path):
    final, new = tmp_path / "idx", tmp_path / "new"
    final.mkdir()
    (final / "v").write_text("1")
    new.mkdir()
    (new / "v").write_text("2")
    replace_dir(new, final)
    assert (final / "v").read_text() == "2" and sorted(os.listdir(tmp_path)) == ["idx"]


def test_recover_dir_after_a_crash_between_the_renames(tmp_path):
    final = tmp_path / "idx"
    backup = tmp_path / ".idx.old"
    backup.mkdir()
    (backup / "v").write_text("old")  # crash: old renamed aside, new not yet in
    recover_dir(final)
    assert (final / "v").read_text() == "old" and not backup.exists()
    backup.mkdir()  # crash after the new one went in, before the old one was removed
    recover_dir(final)
    assert not backup.exists() and (final / "v").read_text() == "old"


def test_staging_dir_swaps_in_on_success_and_keeps_the_stage_on_failure(tmp_path):
    final = tmp_path / "run"
    with pytest.raises(RuntimeError), staging_dir(final) as stage:
        assert stage == staging_path(final) == tmp_path / ".run.partial"
        (stage / "checkpoint").write_text("step 10")
        raise RuntimeError("killed")
    assert not final.exists() and (staging_path(final) / "checkpoint").exists()
    with staging_dir(final) as stage:  # a resume finds its checkpoint
        assert (stage / "checkpoint").read_text() == "step 10"
        (stage / "model").write_text("done")
    assert (final / "model").exists() and not staging_path(final).exists()
    with pytest.raises(RuntimeError), staging_dir(tmp_path / "b", keep_on_error=False):
        raise RuntimeError("no resume")
    assert not staging_path(tmp_path / "b").exists()


def test_kill_9_inside_a_dir_swap_leaves_old_or_new(tmp_path):
    """SIGKILL at every point of replace_dir: recover_dir then finds a whole directory."""
    script = textwrap.dedent(
        """
        import os, sys
        from pathlib import Path
        import helixforge.core.io as io
        final, new, stop = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
        calls = [0]
        real = os.replace
        def replace(a, b):
            if calls[0] == stop:
                os.kill(os.getpid(), 9)
            calls[0] += 1
            real(a, b)
        def rmtree(*a, **k):
            os.kill(os.getpid(), 9)  # the new one is in, the old one not yet removed
        io.os.replace = replace
        if stop == 2:
            io.shutil.rmtree = rmtree
        io.replace_dir(new, final)
        """
    )
    for stop in range(3):
        case = tmp_path / str(stop)
        final, new = case / "idx", case / "new"
        for d, v in ((final, "old"), (new, "new")):
            d.mkdir(parents=True)
            (d / "v").write_text(v)
        proc = subprocess.run([sys.executable, "-c", script, str(final), str(new), str(stop)])
        assert proc.returncode == -9
        recover_dir(final)
        assert (final / "v").read_text() == ("old" if stop < 2 else "new"), stop
        assert not (case / ".idx.old").exists()


# ---------------------------------------------------------------- options


@pytest.mark.parametrize("good, expect", [(3, 3), (3.0, 3), (np.int64(4), 4), (np.float32(2), 2)])
def test_require_int_accepts_integral_numbers(good, expect):
    assert require_int(good, "--n") == expect and type(require_int(good, "--n")) is int


@pytest.mark.parametrize(
    "bad, match",
    [
        (0, "at least 1"),
        (-3, "at least 1"),
        (2.5, "must be an integer"),
        (float("nan"), "must be an integer"),
        (float("inf"), "must be an integer"),
        ("5", "must be an integer"),
        (True, "must be an integer"),
        (None, "must be an integer"),
        (np.float64("nan"), "must be an integer"),
    ],
)
def test_require_int_refuses_with_the_option_name(bad, match):
    with pytest.raises(ConfigError, match=f"--batch-size {match}|--batch-size must"):
        require_int(bad, "--batch-size")
    with pytest.raises(ConfigError) as err:
        require_int(bad, "--batch-size")
    assert "np." not in str(err.value) and "--batch-size" in str(err.value)


def test_require_int_bounds():
    assert require_int(0, "--jobs", min_value=0) == 0
    with pytest.raises(ConfigError, match="at most 10"):
        require_int(11, "--k", max_value=10)
    assert require_int(-5, "--x", min_value=None) == -5


@pytest.mark.parametrize(
    "value, kw, ok",
    [
        (0.5, {"low": 0, "high": 1, "low_open": True, "high_open": True}, True),
        (0, {"low": 0, "low_open": True}, False),
        (1, {"high": 1, "high_open": True}, False),
        (1, {"high": 1}, True),
        ("0.3", {}, True),
        ("abc", {}, False),
        (float("nan"), {}, False),
        (float("-inf"), {}, False),
        (True, {}, False),
        (None, {}, False),
    ],
)
def test_require_float(value, kw, ok):
    if ok:
        assert isinstance(require_float(value, "--coverage", **kw), float)
    else:
        with pytest.raises(ConfigError, match="--coverage"):
            require_float(value, "--coverage", **kw)


def test_require_choice_lists_choices():
    assert require_choice("a", "--mode", ["a", "b"]) == "a"
    with pytest.raises(ConfigError, match="--mode 'c' is not one of: a, b"):
        require_choice("c", "--mode", ["a", "b"])


def test_parse_params_and_check_types():
    params = parse_params(["n_estimators=500", "lr=0.1", "name=abc", "flag=true", "x=[1,2]"])
    assert params == {"n_estimators": 500, "lr": 0.1, "name": "abc", "flag": True, "x": [1, 2]}
    defaults = {"n_estimators": 100, "lr": 0.05, "name": "a", "flag": False, "x": None}
    out = check_param_types({**params, "lr": 1}, defaults)
    assert out["lr"] == 1.0 and isinstance(out["lr"], float)
    for bad, match in [
        (["n_estimators"], "not KEY=VALUE"),
        (["=3"], "not KEY=VALUE"),
        (["a=1", "a=2"], "given twice"),
    ]:
        with pytest.raises(ConfigError, match=match):
            parse_params(bad)
    for params, match in [
        ({"n_estimators": "abc"}, "expected int"),
        ({"n_estimators": 1.5}, "expected int"),
        ({"n_estimators": True}, "expected int"),
        ({"lr": "fast"}, "expected float"),
        ({"lr": float("nan")}, "finite"),
        ({"lr": float("inf")}, "finite"),
        ({"flag": 1}, "expected bool"),
        ({"nope": 1}, "unknown parameter"),
    ]:
        with pytest.raises(ConfigError, match=match):
            check_param_types(params, defaults)


# ---------------------------------------------------------------- registry


def test_registry_register_get_and_unknown_names():
    reg: Registry = Registry("widget", option="--widget")

    @reg.register("b")
    def _b(x=1):
        return ("b", x)

    reg.register("a", lambda x=0: ("a", x))
    assert reg.names() == ["a", "b"] and "a" in reg and "z" not in reg
    assert call_registered(reg, "b", x=5) == ("b", 5)
    with pytest.raises(ConfigError, match="--widget 'z': unknown widget") as err:
        reg.get("z")
    assert err.value.hint == "choose one of: a, b"
    with pytest.raises(ValueError, match="registered twice"):
        reg.register("a", lambda: None)
    reg.register("b", _b)  # the same object again is fine


def test_registry_lazy_modules_and_failed_imports_stay_pending(tmp_path, monkeypatch):
    pkg = tmp_path / "lazy_regs"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(
        "from helixforge.core.registry import Registry\nREG = Registry('thing')\n"
    )
    (pkg / "one.py").write_text("from lazy_regs import REG\nREG.register('one', 1)\n")
    (pkg / "broken.py").write_text("raise ImportError('optional dependency missing')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import lazy_regs

    lazy_regs.REG._lazy = ["lazy_regs.one", "lazy_regs.broken"]
    with pytest.raises(ImportError, match="optional dependency"):
        lazy_regs.REG.get("two")
    assert lazy_regs.REG._lazy == ["lazy_regs.broken"]  # not silently forgotten
    assert lazy_regs.REG._items == {"one": 1}
    with pytest.raises(ImportError):
        lazy_regs.REG.names()


# ---------------------------------------------------------------- progress


def test_progress_quiet_and_nested_steps_share_one_display(monkeypatch):
    from helixforge.core import progress as mod

    monkeypatch.setenv("FORCE_COLOR", "1")  # Rich treats stderr as a terminal: the live bar
    with progress("quiet", total=3, quiet=True) as step:
        step(3)
    with progress("outer", total=2, unit="chunk") as outer:
        assert len(mod._ACTIVE) == 1
        with progress("inner", total=5, unit="mol") as inner:
            for _ in range(5):
                inner()
        outer(2)
        with progress("inner again") as inner:
            inner(1)
    assert mod._ACTIVE == []
    with pytest.raises(RuntimeError), progress("fails", total=1):
        raise RuntimeError("boom")
    assert mod._ACTIVE == []


def test_progress_without_a_terminal_writes_plain_lines_for_long_steps_only(monkeypatch, capsys):
    # Under nohup / a scheduler / CI Rich draws nothing: a long step must still say how far it is.
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)
    monkeypatch.setenv("HELIX_PROGRESS_INTERVAL", "0")
    with progress("featurizing", total=4, unit="mol") as advance:
        advance(1)
        advance(3)
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("featurizing: 1/4 (25%)") and "ETA" in lines[0]
    assert lines[1].startswith("featurizing: 4/4 (100%)") and "mol/s" in lines[1]
    assert lines[-1].startswith("featurizing: done, 4/4 (100%) in 0:00:00")
    monkeypatch.setenv("HELIX_PROGRESS_INTERVAL", "3600")  # a step shorter than that: silent
    with progress("quick", total=2) as advance:
        advance(2)
    assert capsys.readouterr().err == ""
    from types import SimpleNamespace

    from helixforge.core.progress import draws_live

    # a notebook's stderr is no terminal, but Rich draws its live widget there: no plain lines
    assert draws_live(SimpleNamespace(is_terminal=False, is_jupyter=True))
    assert not draws_live(SimpleNamespace(is_terminal=False, is_jupyter=False))


def test_an_output_that_is_or_holds_an_input_is_refused_even_with_overwrite(tmp_path):
    from helixforge.core.errors import ConfigError
    from helixforge.core.io import check_output

    data = tmp_path / "assay" / "data.csv"
    data.parent.mkdir()
    data.write_text("smiles,y\nCCO,1\n")
    with pytest.raises(ConfigError, match="holds the input"):
        check_output(data.parent, overwrite=True, kind="dir", inputs=[data])
    with pytest.raises(ConfigError, match="is the input"):
        check_output(data, overwrite=True, kind="table", inputs=[data])
    assert check_output(tmp_path / "run", kind="dir", inputs=[data, None]) == tmp_path / "run"
    assert data.exists()


def test_chem_train_never_replaces_the_folder_holding_its_data(tmp_path):
    from typer.testing import CliRunner

    from helixforge.cli.app import app

    data = tmp_path / "assay" / "data.csv"
    data.parent.mkdir()
    data.write_text("smiles,y\n" + "".join(f"{'C' * (i + 1)}O,{i}\n" for i in range(30)))
    res = CliRunner().invoke(
        app, ["chem", "train", str(data), "--label-col", "y", "-o", str(data.parent),
              "--overwrite", "-q"],
    )  # fmt: skip
    assert res.exit_code == 2 and "holds the input" in res.output
    assert data.exists()


@pytest.mark.parametrize("kind", ["file", "table"])
def test_a_file_output_with_a_trailing_slash_is_refused_before_any_work(tmp_path, kind):
    # 'x.csv/' used to become a directory (errors table written below it), then a traceback.
    with pytest.raises(ConfigError, match="ends with '/'"):
        check_output(f"{tmp_path}/x.csv/", kind=kind)
    assert not (tmp_path / "x.csv").exists()
    assert check_output(f"{tmp_path}/run/", kind="dir") == tmp_path / "run"  # a dir may


def test_the_cli_refuses_a_trailing_slash_on_a_table_output(tmp_path):
    from typer.testing import CliRunner

    from helixforge.cli.app import app

    (tmp_path / "in.csv").write_text("smiles\nCCO\n")
    out = f"{tmp_path}/clean.csv/"
    res = CliRunner().invoke(app, ["chem", "standardize", str(tmp_path / "in.csv"), "-o", out])
    assert res.exit_code == 2 and "Traceback" not in res.output, res.output
    assert "ends with '/'" in res.output
    assert not (tmp_path / "clean.csv").exists()


def test_two_outputs_of_one_job_at_one_path_are_refused(tmp_path):
    from helixforge.core.io import check_distinct_outputs

    check_distinct_outputs({"--out": tmp_path / "a.tsv", "--report": None, "--x": tmp_path / "b"})
    with pytest.raises(ConfigError, match="--report .*a.tsv is also --out") as exc:
        check_distinct_outputs({"--out": tmp_path / "a.tsv", "--report": f"{tmp_path}/./a.tsv"})
    assert exc.value.hint == "give --report a path of its own"
    with pytest.raises(ConfigError) as exc:
        check_distinct_outputs({"--out": tmp_path / "s.errors.csv",
                                "--out (errors)": tmp_path / "s.errors.csv"})  # fmt: skip
    assert "choose another --out" in exc.value.hint


def test_dash_and_empty_outputs_are_named_for_what_they_are(tmp_path):
    from helixforge.core.io import check_not_input, check_output

    with pytest.raises(ConfigError, match="'-': writing to standard output is not supported"):
        check_output("-")
    check_not_input("", [tmp_path])  # not "holds the input": check_output says it is empty
    with pytest.raises(ConfigError, match="is empty"):
        check_output("")


def test_a_table_output_whose_errors_table_would_be_the_input_is_refused(tmp_path):
    """`-o lib.csv` writes `lib.errors.csv` beside it: with that file as the input, the
    errors table replaced the input after the job (the output check looked at --out only)."""
    from helixforge.core.io import check_output, errors_table_path

    data = tmp_path / "lib.errors.csv"
    data.write_text("smiles\nCCO\n")
    assert errors_table_path(tmp_path / "lib.csv.gz") == tmp_path / "lib.errors.csv"
    for out in ("lib.csv", "lib.parquet", "lib.tsv.gz"):
        with pytest.raises(ConfigError, match="errors table .*is the input"):
            check_output(tmp_path / out, overwrite=True, kind="table", inputs=[data])
    assert check_output(tmp_path / "other.csv", kind="table", inputs=[data])
    assert check_output(tmp_path / "lib.csv", kind="file", inputs=[data])  # no errors table


@pytest.mark.parametrize("verb", ["standardize", "predict"])
def test_chem_verbs_never_write_their_errors_table_over_the_input(tmp_path, verb):
    from typer.testing import CliRunner

    from helixforge.cli.app import app

    data = tmp_path / "lib.errors.csv"
    text = "smiles\n" + "".join(f"{'C' * (i + 1)}O\n" for i in range(30))
    data.write_text(text)
    if verb == "standardize":
        argv = ["chem", "standardize", str(data)]
    else:  # the run directory need not be valid: the output check comes first
        (tmp_path / "run").mkdir()
        argv = ["chem", "predict", str(tmp_path / "run"), str(data)]
    res = CliRunner().invoke(app, [*argv, "-o", str(tmp_path / "lib.csv"), "-q"])
    assert res.exit_code == 2 and "errors table" in res.output, res.output
    assert data.read_text() == text and not (tmp_path / "lib.csv").exists()


def test_a_refused_job_removes_only_the_staging_folder_it_made(tmp_path):
    from helixforge.core.io import discard_stage_on_refusal

    stage = tmp_path / ".out.csv.partial"
    with pytest.raises(InputError), discard_stage_on_refusal(stage):
        stage.mkdir()
        raise InputError("lib.csv, line 51: a quoted field opened here is never closed")
    assert not stage.exists()
    with pytest.raises(KeyboardInterrupt), discard_stage_on_refusal(stage):
        stage.mkdir()
        raise KeyboardInterrupt  # an interrupt keeps the finished chunks for --resume
    assert stage.exists()
    with pytest.raises(ConfigError), discard_stage_on_refusal(stage):
        raise ConfigError("--resume: made with another chunk size")  # an earlier run's folder
    assert stage.exists()


def _containers(tmp_path):
    """(file, words) for text saved in a container that is not gzip."""
    import bz2
    import io
    import lzma
    import zipfile

    import pandas as pd

    text = b"smiles\nCCO\nc1ccccc1\n"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("lib.csv", text)
    pd.DataFrame({"smiles": ["CCO"]}).to_parquet(tmp_path / "t.parquet")
    files = {
        "lib.csv.bz2": (bz2.compress(text), "bzip2-compressed"),
        "lib.csv.xz": (lzma.compress(text), "xz-compressed"),
        "lib.csv.zip": (buf.getvalue(), "ZIP archive"),
        "lib.csv.zst": (b"\x28\xb5\x2f\xfd" + bytes(20), "zstd-compressed"),
        "saved.csv": ((tmp_path / "t.parquet").read_bytes(), "Parquet file"),
    }
    out = []
    for name, (data, words) in files.items():
        (tmp_path / name).write_bytes(data)
        out.append((tmp_path / name, words))
    return out


def test_text_in_a_container_that_is_not_gzip_is_named_not_read_as_garbage(tmp_path):
    """bzip2 / xz / zip / zstd files and a Parquet file named .csv were decoded as text: a
    FASTA or corpus of replacement characters, or 'is not UTF-8 text, save it as UTF-8'."""
    from helixforge.core.io import open_text

    for path, words in _containers(tmp_path):
        with pytest.raises(InputError, match=words) as exc:
            open_text(path)
        assert str(path) in exc.value.message and exc.value.hint
    plain = tmp_path / "PAR1.csv"
    plain.write_text("PAR1,smiles\n1,CCO\n")  # a header that merely starts like Parquet
    with open_text(plain) as fh:
        assert fh.readline().startswith("PAR1")


def test_a_prior_corpus_in_a_bzip2_file_is_named_as_such(tmp_path):
    from typer.testing import CliRunner

    from helixforge.cli.app import app

    path, words = _containers(tmp_path)[0]
    res = CliRunner().invoke(app, ["chem", "train-prior", str(path), "-o", str(tmp_path / "o")])
    assert res.exit_code == 2 and words in res.output and "gzip" in res.output, res.output


def test_a_staging_folder_made_before_the_refusal_window_goes_unless_kept(tmp_path):
    from helixforge.core.io import discard_stage_on_refusal

    stage = tmp_path / ".hits.csv.partial"
    stage.mkdir()  # made by the job itself just before (a fresh run's state.json)
    with pytest.raises(InputError), discard_stage_on_refusal(stage, keep=False):
        raise InputError("lib.csv, line 52: a quoted field opened here is never closed")
    assert not stage.exists()
    stage.mkdir()  # a resumed run's finished chunks
    with pytest.raises(InputError), discard_stage_on_refusal(stage, keep=True):
        raise InputError("lib.csv, line 52: a quoted field opened here is never closed")
    assert stage.exists()


# ---------------------------------------------------------------- non-regular inputs, resume


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this platform")
def test_a_named_pipe_is_refused_by_name_without_blocking(tmp_path):
    """open() of a FIFO with no writer blocks for ever; then it read as an empty file."""
    from helixforge.core.io import require_input_file, special_file_kind

    pipe = tmp_path / "pipe.txt"
    os.mkfifo(pipe)
    assert special_file_kind(pipe) == "a named pipe (FIFO)"
    assert special_file_kind(tmp_path) is None and special_file_kind(tmp_path / "nope") is None
    with pytest.raises(InputError, match="pipe.txt: is a named pipe \\(FIFO\\), not a regular"):
        open_text(pipe)
    with pytest.raises(InputError, match="is a directory, expected a FASTA file") as err:
        require_input_file(tmp_path, "a FASTA file")
    assert "file inside it" in err.value.hint


def test_check_output_with_resume_says_a_finished_output_is_complete(tmp_path):
    from helixforge.core.io import refuse_resume_of_finished

    f = tmp_path / "out.csv"
    f.write_text("x")
    with pytest.raises(ConfigError, match="out.csv is already complete") as err:
        check_output(f, resume=True)
    assert "--overwrite instead of --resume" in err.value.hint
    assert check_output(f, resume=True, overwrite=True) == f
    staging_path(f).mkdir()  # interrupted work waits beside an older output: --overwrite decides
    with pytest.raises(ConfigError, match="already exists"):
        check_output(f, resume=True)
    refuse_resume_of_finished(tmp_path / "missing.csv")  # nothing there: nothing to say


@pytest.mark.parametrize("overwrite", [False, True])
def test_an_output_path_that_is_a_named_pipe_or_device_is_refused(tmp_path, overwrite):
    import os

    fifo = tmp_path / "out.csv"
    os.mkfifo(fifo)
    with pytest.raises(ConfigError, match="named pipe"):
        check_output(fifo, overwrite=overwrite, kind="table")  # --overwrite replaced the FIFO
    with pytest.raises(ConfigError, match="character device"):
        check_output("/dev/null", overwrite=overwrite)
    assert fifo.is_fifo()


def test_one_cache_root_with_the_data_folder_below_it(tmp_path, monkeypatch):
    from helixforge.core.io import cache_root, data_cache_root
    from helixforge.datasets.registry import cache_root as dataset_cache

    monkeypatch.delenv("HELIX_CACHE", raising=False)
    monkeypatch.setenv("HELIX_CACHE_DIR", str(tmp_path / "all"))
    assert cache_root() == tmp_path / "all"
    assert data_cache_root() == dataset_cache() == tmp_path / "all" / "data"  # moved with it
    monkeypatch.setenv("HELIX_CACHE", str(tmp_path / "datasets"))  # the older name: data only
    assert data_cache_root() == tmp_path / "datasets" and cache_root() == tmp_path / "all"


def test_the_test_session_keeps_genomes_and_datasets_in_its_own_cache():
    # tests/conftest.py gives each test process its own HELIX_CACHE_DIR; a HELIX_CACHE (the
    # data folder's older name) exported in the shell won over it: tests filled the user's
    # data cache, and the two pytest-xdist workers of `make test` built the same genome .fai
    # there at once
    from pathlib import Path

    from helixforge.core.io import data_cache_root

    session = Path(os.environ["HELIX_CACHE_DIR"]).resolve()
    assert session in data_cache_root().resolve().parents


def test_open_text_refuses_bytes_that_are_not_utf8_naming_line_and_byte(tmp_path):
    """A Latin-1 'é' in a VCF id, a GFF name or a motif name was replaced by U+FFFD and read
    on (errors='replace'): the id written out was not the one in the file, without a word."""
    path = tmp_path / "v.vcf"
    path.write_bytes(b"#CHROM\tPOS\tID\nchr1\t5\trs1\nchr1\t9\trs\xe92\n")
    with pytest.raises(InputError) as exc, open_text(path) as fh:
        fh.read()
    assert "v.vcf, line 3: byte 0xE9 at byte 10" in exc.value.message
    assert "Latin-1" in exc.value.message and "iconv -f cp1252 -t utf-8 v.vcf" in exc.value.hint
    gz = tmp_path / "v.vcf.gz"
    gz.write_bytes(gzip.compress(path.read_bytes()))
    with pytest.raises(InputError, match="line 3") as exc, open_text(gz) as fh:
        list(fh)
    assert "gunzip -c v.vcf.gz | iconv" in exc.value.hint


def test_open_text_drops_a_utf8_bom(tmp_path):
    """'\\ufeff>chr1' was 'line 1 comes before any FASTA header' for a corpus saved by Notepad."""
    path = tmp_path / "c.fa"
    path.write_bytes(b"\xef\xbb\xbf>chr1\r\nACGT\r\n")
    with open_text(path, newline=None) as fh:
        assert fh.readline() == ">chr1\n"


def test_check_output_says_what_to_do_when_the_folder_cannot_be_made():
    with pytest.raises(ConfigError, match="cannot create the folder") as exc:
        check_output("/proc/helix-no-such-dir/out.csv")
    assert exc.value.hint and "folder that exists" in exc.value.hint


def test_open_text_names_utf16_text_with_the_command_that_converts_it(tmp_path):
    """A FASTA saved by PowerShell's `>` (UTF-16 with its BOM) was 'sequence text before the
    first >', and a UTF-16 VCF 'byte 0xFF … looks like Windows-1252' with an iconv -f cp1252
    command that turns it into garbage."""
    path = tmp_path / "s.fa"
    path.write_bytes(">s1\nACGT\n".encode("utf-16"))
    with pytest.raises(InputError, match="is UTF-16 text, not UTF-8") as exc:
        open_text(path)
    assert "iconv -f UTF-16 -t utf-8 s.fa > utf8-s.fa" in exc.value.hint
    path.write_bytes("##fileformat=VCFv4.2\n#CHROM\tPOS\n".encode("utf-16-le"))  # no BOM
    with pytest.raises(InputError, match="UTF-16LE without its byte-order mark"):
        open_text(path)
    zeroed = tmp_path / "z.fa"
    zeroed.write_bytes(b"\x00" * 4096)  # a file a crash left as NUL bytes is not UTF-16
    with pytest.raises(InputError, match="holds only NUL bytes") as exc:
        open_text(zeroed)
    assert "UTF-16" not in exc.value.message


def test_open_text_refuses_binary_data_before_a_reader_misreads_it(tmp_path):
    """A zeroed or binary FASTA was 'sequence text before the first >', a VCF 'not a VCF
    header line ('\x00\x00…')', a TRANSFAC file Biopython's UnboundLocalError."""
    path = tmp_path / "v.vcf.gz"
    path.write_bytes(gzip.compress(b"##fileformat=VCFv4.2\n\x00\x01\x02garbage"))
    with pytest.raises(InputError, match=r"v\.vcf\.gz: looks like binary data") as exc:
        open_text(path)
    assert "line 2" in exc.value.message and exc.value.hint
    path = tmp_path / "g.fa"
    path.write_bytes(b">chr1\n" + b"\x00" * 64)
    with pytest.raises(InputError, match="binary data"):
        open_text(path)


def test_the_convert_command_quotes_a_file_name_with_spaces(tmp_path):
    """'iconv -f cp1252 -t utf-8 my data.vcf > utf8-my data.vcf' read 'data.vcf' as a
    second input and wrote to 'utf8-my'."""
    path = tmp_path / "my data.vcf"
    path.write_bytes(b"#CHROM\tPOS\tID\nchr1\t5\trs\xe91\n")
    with pytest.raises(InputError) as exc, open_text(path) as fh:
        fh.read()
    assert "iconv -f cp1252 -t utf-8 'my data.vcf' > 'utf8-my data.vcf'" in exc.value.hint


@pytest.mark.parametrize("name", ["reads.fq", "reads.FASTQ.gz", "reads.txt"])
def test_a_fastq_given_where_fasta_is_read_gets_a_hint_that_fits_its_name(tmp_path, name):
    """A FASTQ named .fq was told to 'name the file .fq or .fastq', which it already was."""
    import gzip

    from helixforge.core.errors import InputError
    from helixforge.core.io import fasta_records

    text = "@r1\nACGT\n+\nIIII\n"
    path = tmp_path / name
    if name.endswith(".gz"):
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    with pytest.raises(InputError, match="line 1") as err:
        list(fasta_records(path))
    if name == "reads.txt":
        assert "name the file .fq or .fastq" in err.value.hint
    else:
        assert "not FASTQ: convert it" in err.value.hint and "seqkit fq2fa" in err.value.hint
