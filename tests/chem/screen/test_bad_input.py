"""Bad inputs and options to `helix chem screen`: exit code 2, a message naming the problem,
no traceback, no output left behind."""

from __future__ import annotations

import gzip
import shutil

import pytest
from typer.testing import CliRunner

from helixforge.cli.app import app


def _lib(tmp_path, text: str, name: str = "lib.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def _broken_run(tmp_path, runs, how: str):
    run = tmp_path / f"run_{how}"
    shutil.copytree(runs["logp"], run)
    if how == "truncated":
        model = next((run / "model").rglob("*.txt"))
        model.write_text(model.read_text()[:100])
    elif how == "no_config":
        (run / "config.json").unlink()
    elif how == "bad_config":
        (run / "config.json").write_text("{not json")
    return run


# (case id, extra CLI arguments, setup(tmp_path, runs, library) -> overrides, expected text)
CASES = [
    ("missing-library", {"library": "nope.csv"}, "file not found"),
    ("empty-library", {"library_text": ""}, "empty"),
    ("header-only", {"library_text": "smiles\n"}, "no data rows"),
    ("only-blank-lines", {"library_text": "\n\n\n"}, "only blank lines"),
    ("missing-input-col", {"args": ["--input-col", "SMILES"]}, "SMILES"),
    ("missing-id-col", {"args": ["--id-col", "catalog"]}, "catalog"),
    ("top-zero", {"args": ["--top", "0"]}, "--top"),
    ("top-negative", {"args": ["--top", "-3"]}, "--top"),
    ("top-text", {"args": ["--top", "many"]}, "--top"),
    ("unknown-filter", {"args": ["--filters", "lipinsky,pains"]}, "lipinsky"),
    ("unknown-admet-endpoint", {"args": ["--admet-endpoints", "bogus,herg"]}, "--admet-endpoints: unknown endpoint 'bogus'"),
    ("score-syntax", {"args": ["--score", "logp.logp_like_pred +"]}, "not a valid expression"),
    ("score-unknown-column", {"args": ["--score", "admet_herg"]}, "admet_herg"),
    ("score-forbidden-call", {"args": ["--score", "__import__('os').getcwd()"]}, "not allowed"),
    ("score-attribute-call", {"args": ["--score", "logp.logp_like_pred.sum()"]}, "not allowed"),
    ("score-constant-div-zero", {"args": ["--score", "1/0"]}, "not a finite number"),
    ("score-constant-overflow", {"args": ["--score", "10 ** 400"]}, "not a finite number"),
    # text in every row: NaN for all (or a stray number for a '0|1' set) after the whole screen
    ("score-smiles-column", {"args": ["--score", "smiles"]}, "'smiles' hold text, not numbers"),
    ("score-canonical-smiles", {"args": ["--score", "1 + canonical_smiles"]}, "hold text"),
    ("score-conformal-set", {"model": "hasn", "args": ["--score", "hasn.has_n_set"]}, "'hasn.has_n_set' hold text"),
    ("model-missing", {"model": "no_such_run"}, "run directory not found"),
    ("model-truncated", {"model": "truncated"}, "damaged"),
    ("model-no-config", {"model": "no_config"}, "config.json"),
    ("model-bad-config", {"model": "bad_config"}, "damaged"),
    ("model-not-a-run", {"model": "empty_dir"}, "an empty directory, not a chem run"),
    ("model-name-without-path", {"args": ["--model", "x="]}, "no run directory after '='"),
    ("same-model-name-twice", {"args": ["--model", "LOGP"]}, "two models are named"),
    ("out-is-input", {"out": "library.csv"}, "input"),
    ("out-exists", {"out_exists": True}, "--overwrite"),
    ("all-out-is-out", {"args": ["--all-out", "{out}"]}, "same file"),
    ("out-xlsx", {"out": "hits.xlsx"}, "xlsx"),
    ("all-out-is-the-errors-table", {"args": ["--all-out", "{outstem}.errors.csv"]}, "one output would replace the other"),
    ("all-out-json", {"args": ["--all-out", "all.json"]}, "--all-out"),
    ("unknown-backend", {"args": ["--backend", "spark"]}, "--backend"),
    ("address-without-ray", {"args": ["--address", "auto"]}, "--backend ray"),
    ("min-distance-above-1", {"args": ["--min-distance", "1.5"]}, "--min-distance"),
    ("max-per-scaffold-zero", {"args": ["--max-per-scaffold", "0"]}, "--max-per-scaffold"),
    ("chunk-size-zero", {"args": ["--chunk-size", "0"]}, "--chunk-size"),
    ("jobs-negative", {"args": ["--jobs", "-1"]}, "--jobs"),
    ("no-usable-smiles", {"library_text": "smiles\nC1CC((\nxyz\n"}, "none of the 2 rows"),
    ("binary-library", {"library_bytes": b"\x00\x01\x02PK\x03\x04" * 50}, "binary"),
    ("truncated-gz", {"library_gz_cut": True}, "truncated"),
    # refused while reading chunk 3: no staging folder (.hits.parquet.partial) is left behind
    ("not-utf8-past-the-first-chunk", {"library_bytes": b"smiles\n" + b"CCO\n" * 50 + b"C\xe9C\n" * 20, "args": ["--chunk-size", "20"]}, "not UTF-8"),
    ("sdf-with-input-col", {"library_text": "x\n", "name": "lib.sdf", "args": ["--input-col", "mol"]}, "SD file"),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_a_message_not_a_traceback(case, tmp_path, runs, library):
    name, spec, expected = case
    lib = library
    if "library" in spec:
        lib = tmp_path / spec["library"]
    if "library_text" in spec:
        lib = _lib(tmp_path, spec["library_text"], spec.get("name", "lib.csv"))
    if "library_bytes" in spec:
        lib = tmp_path / "lib.csv"
        lib.write_bytes(spec["library_bytes"])
    if spec.get("library_gz_cut"):
        data = gzip.compress(library.read_bytes() * 20)
        lib = tmp_path / "lib.csv.gz"
        lib.write_bytes(data[: len(data) // 2])
    model = str(runs["logp"])
    if "model" in spec:
        if spec["model"] == "empty_dir":
            (tmp_path / "empty_dir").mkdir()
            model = str(tmp_path / "empty_dir")
        elif spec["model"] == "no_such_run":
            model = str(tmp_path / "no_such_run")
        elif spec["model"] in runs:
            model = str(runs[spec["model"]])
        else:
            model = str(_broken_run(tmp_path, runs, spec["model"]))
    out = tmp_path / spec.get("out", "hits.parquet")
    if spec.get("out_exists"):
        out.write_text("keep me")
    stem = str(out.with_suffix(""))
    extra = [a.replace("{out}", str(out)).replace("{outstem}", stem) for a in spec.get("args", [])]
    extra = [f"LOGP={model}" if a == "LOGP" else a for a in extra]
    if name == "same-model-name-twice":
        extra = ["--model", f"{runs['logp'].name}={runs['hasn']}"]
    before = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()}
    args = ["chem", "screen", str(lib), "--model", model, "-o", str(out), "-q", "--jobs", "1"]
    res = CliRunner().invoke(app, [*args, *extra])
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    assert expected in res.output, res.output
    if not spec.get("out_exists") and spec.get("out") != "library.csv":
        assert not out.exists()
    left = {p.name for p in tmp_path.iterdir()} - set(before)
    assert not [n for n in left if n.endswith((".parquet", ".partial"))], left


def test_molecules_without_a_finite_score_are_counted_and_named(tmp_path, runs, library):
    """`--score 'x / 0'` (or log of a negative value) gave NaN/inf for molecules that were then
    left out of the ranking without a word: '0 hits from 133 of 135 molecules', exit 0."""
    from helixforge.chem.screen import screen_library

    out = tmp_path / "hits.csv"
    summary = screen_library(
        library, [runs["logp"]], out=out, score="logp.logp_like_pred / 0", n_jobs=1, quiet=True
    )
    assert summary["hits"] == 0 and summary["unscored"] == summary["screened"] > 0
    res = CliRunner().invoke(
        app,
        ["chem", "screen", str(library), "--model", str(runs["logp"]), "-o",
         str(tmp_path / "h2.csv"), "--score", "logp.logp_like_pred / 0", "-q", "--jobs", "1"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert (
        f"{summary['unscored']} of {summary['screened']} screened molecules have no finite score"
        in res.output
    )


def test_fewer_hits_than_eligible_molecules_are_explained(tmp_path, runs):
    """'2 hits from 3 of 3 molecules' with --top 100: the repeat of a molecule (OCC = CCO)
    counts once among the hits, which the summary did not say."""
    lib = _lib(tmp_path, "smiles,name\nCCO,a\nOCC,b\nCCN,c\n")
    args = ["chem", "screen", str(lib), "--model", str(runs["logp"]), "-o", str(tmp_path / "h.csv"),
            "-q", "--jobs", "1"]  # fmt: skip
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "2 hits from 3 of 3 molecules" in res.output
    assert "2 hits though 3 molecules were eligible and --top is 100" in res.output
    assert "canonical SMILES counts once" in res.output


def test_a_ray_address_nobody_answers_at_is_refused_at_once():
    """`ray.init` retried an unreachable --address for many minutes and ignored Ctrl-C."""
    import socket
    import time

    from helixforge.chem.screen.ray_backend import _check_reachable
    from helixforge.core.errors import ConfigError

    with socket.socket() as s:  # a port nobody listens on once closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t0 = time.monotonic()
    with pytest.raises(ConfigError, match=f"nothing answers at 127.0.0.1:{port}"):
        _check_reachable(f"127.0.0.1:{port}")
    assert time.monotonic() - t0 < 10
    _check_reachable("auto")  # Ray resolves it itself
