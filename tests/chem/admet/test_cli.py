"""`helix chem admet` end to end: outputs, errors table, report, kill -9 + resume, bad inputs."""

from __future__ import annotations

import gzip

import pandas as pd
import pytest
from typer.testing import CliRunner

from helixforge.cli.app import app

SMILES = [
    "CCO", "c1ccccc1O", "C1CC((", "CC(=O)Nc1ccc(O)cc1", "", "c1ccccc1C(=O)[O-].[Na+]",
    "CN1CCC[C@H]1c1cccnc1", "C(C)(C)(C)(C)C", "OC1(CCN(CCCC(=O)c2ccc(F)cc2)CC1)c1ccc(Cl)cc1",
    "CCN(CC)CC", "12345", "CC(=O)Oc1ccccc1C(=O)O",
]  # fmt: skip
N_BAD = 4  # syntax error, empty, pentavalent carbon, digits only


def _lib(tmp_path, smiles=SMILES, name="lib.csv"):
    path = tmp_path / name
    pd.DataFrame({"smiles": smiles, "id": range(len(smiles))}).to_csv(path, index=False)
    return path


def _run(*args):
    res = CliRunner().invoke(app, ["chem", "admet", *map(str, args)])
    assert "Traceback" not in res.output
    return res


def test_every_row_is_predicted_or_in_the_errors_table(tmp_path):
    out = tmp_path / "admet.parquet"
    res = _run(_lib(tmp_path), "-o", out, "--endpoints", "herg,caco2_wang,qed", "-q")
    assert res.exit_code == 0, res.output
    df = pd.read_parquet(out)
    errors = pd.read_csv(tmp_path / "admet.errors.csv")
    assert len(df) + len(errors) == len(SMILES) and len(errors) == N_BAD
    assert set(errors["column"]) == {"smiles"} and errors["reason"].str.len().gt(0).all()
    assert {"id", "canonical_smiles", "admet_herg", "admet_herg_pct", "admet_qed_pct"} <= set(
        df.columns
    )
    assert df["admet_herg"].between(0, 1).all() and df["admet_in_domain"].dtype == bool
    assert "O=C(O)c1ccccc1" in set(df["canonical_smiles"])  # the salt reduced to its parent


def test_an_sd_file_is_read_record_by_record_as_chem_predict_and_screen_read_it(tmp_path):
    from rdkit import Chem

    sdf = tmp_path / "lib.sdf.gz"
    with gzip.open(sdf, "wt") as f:
        w = Chem.SDWriter(f)
        for i, smi in enumerate(["CCO", "c1ccccc1O", "CC(=O)Nc1ccc(O)cc1"]):
            mol = Chem.MolFromSmiles(smi)
            mol.SetProp("_Name", f"mol{i}")
            w.write(mol)
        w.close()
    text = gzip.open(sdf, "rt").read()
    broken = tmp_path / "broken.sdf"  # the second record's atom block cut short
    broken.write_text(text.replace("$$$$\n", "$$$$\nbad\n\n\n  3  2\nM  END\n$$$$\n", 1))
    out = tmp_path / "admet.csv"
    res = _run(sdf, "-o", out, "--endpoints", "herg,qed", "-q")
    assert res.exit_code == 0, res.output
    df = pd.read_csv(out)
    assert df["name"].tolist() == ["mol0", "mol1", "mol2"] and df["admet_herg"].notna().all()
    res = _run(broken, "-o", tmp_path / "b.csv", "--endpoints", "herg", "-q")
    assert res.exit_code == 0, res.output
    errors = pd.read_csv(tmp_path / "b.errors.csv")
    assert len(pd.read_csv(tmp_path / "b.csv")) == 3 and errors["row"].tolist() == [2]


def test_no_percentiles_and_report(tmp_path):
    out, report = tmp_path / "admet.csv", tmp_path / "admet.html"
    res = _run(_lib(tmp_path), "-o", out, "--no-percentiles", "--report", report, "-q",
               "--endpoints", "herg,caco2_wang,ld50_zhu,qed")  # fmt: skip
    assert res.exit_code == 0, res.output
    df = pd.read_csv(out)
    assert not [c for c in df.columns if c.endswith("_pct")]
    html = report.read_text()
    assert html.count("<img") >= len(df.filter(like="admet_").columns) - 2
    assert "ADMET panel" in html


def test_report_with_percentiles_has_per_molecule_bars(tmp_path):
    report = tmp_path / "r.html"
    res = _run(_lib(tmp_path), "-o", tmp_path / "a.csv", "--endpoints", "herg,logp", "--report",
               report, "-q")  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "Per molecule" in report.read_text()


def test_same_command_gives_the_same_bytes(tmp_path):
    lib = _lib(tmp_path)
    outs = [tmp_path / f"a{i}.csv" for i in range(2)]
    for out in outs:
        assert _run(lib, "-o", out, "--endpoints", "herg,caco2_wang,qed", "-q").exit_code == 0
    assert outs[0].read_bytes() == outs[1].read_bytes()


def test_kill_9_after_the_first_chunk_then_resume_gives_the_uninterrupted_bytes(tmp_path):
    from kill9 import kill_after_first_chunk

    lib = _lib(tmp_path)

    def args(out):
        return ["chem", "admet", str(lib), "-o", str(out), "--endpoints", "herg,logp",
                "--chunk-size", "3", "--jobs", "1", "-q"]  # fmt: skip

    out = tmp_path / "killed.csv"
    kill_after_first_chunk(args(out), tmp_path / "marker")
    stage = tmp_path / ".killed.csv.partial"
    assert not out.exists() and (stage / "chunk-000000.parquet").exists()
    runner = CliRunner()
    changed = [*args(out)[:5], "--endpoints", "herg", *args(out)[7:], "--resume"]
    res = runner.invoke(app, changed)
    assert res.exit_code == 2 and "endpoints" in res.output and not out.exists()
    res = runner.invoke(app, [*args(out), "--resume"])
    assert res.exit_code == 0, res.output
    fresh = tmp_path / "fresh.csv"
    assert runner.invoke(app, args(fresh)).exit_code == 0
    assert out.read_bytes() == fresh.read_bytes()
    assert (tmp_path / "killed.errors.csv").read_bytes() == (
        tmp_path / "fresh.errors.csv"
    ).read_bytes()
    assert not stage.exists()


def _setup(tmp_path, case: dict):
    lib = tmp_path / "lib.csv"
    if "text" in case:
        lib.write_text(case["text"])
    elif "gz" in case:
        lib = tmp_path / "lib.csv.gz"
        data = gzip.compress(b"smiles\n" + b"CCO\nc1ccccc1CCN\n" * 2000)
        lib.write_bytes(data[: len(data) // 2])
    else:
        _lib(tmp_path)
    if case.get("existing"):
        (tmp_path / case["existing"]).write_text("keep me")
    return lib


# (case id, setup, extra args, text expected in the message)
BAD = [
    ("missing-input", {}, ["--input-col", "smiles"], "not found", "nope.csv"),
    ("empty-file", {"text": ""}, [], "empty", None),
    ("header-only", {"text": "smiles\n"}, [], "no data rows", None),
    ("blank-lines", {"text": "\n\n\n"}, [], "blank", None),
    ("wrong-input-col", {}, ["--input-col", "SMILES"], "SMILES", None),
    ("unknown-endpoint", {}, ["--endpoints", "herg,hERG2"], "hERG2", None),
    ("empty-endpoints", {}, ["--endpoints", ","], "no endpoint", None),
    ("chunk-size-zero", {}, ["--chunk-size", "0"], "--chunk-size", None),
    ("chunk-size-text", {}, ["--chunk-size", "ten"], "--chunk-size", None),
    ("jobs-negative", {}, ["--jobs", "-1"], "--jobs", None),
    ("out-exists", {"existing": "out.csv"}, [], "exists", None),
    ("out-bad-suffix", {}, ["-o", "{tmp}/out.xlsx"], ".xlsx", None),
    ("out-is-input", {}, ["-o", "{tmp}/lib.csv", "--overwrite"], "input", None),
    ("report-exists", {"existing": "r.html"}, ["--report", "{tmp}/r.html"], "exists", None),
    ("report-is-out", {}, ["--report", "{tmp}/out.csv"], "out", None),
    ("truncated-gz", {"gz": True}, [], "truncated", "lib.csv.gz"),
    ("all-rows-invalid", {"text": "smiles\nC1CC((\nxyz\n"}, [], "none of the", None),
    ("resume-without-stage-ok", {}, ["--resume", "--endpoints", "qed"], None, None),
    ("out-missing", {}, ["-o", ""], "-o/--out is required", None),
    ("unknown-option", {}, ["--percentile"], "No such option", None),
    ("endpoint-case-ok", {}, ["--endpoints", "HERG"], None, None),
    ("endpoints-spaces-ok", {}, ["--endpoints", " herg , qed "], None, None),
]


@pytest.mark.parametrize(
    "case_id, setup, extra, expected, input_name", BAD, ids=[b[0] for b in BAD]
)
def test_bad_inputs_give_a_message_not_a_traceback(tmp_path, case_id, setup, extra, expected,
                                                   input_name):  # fmt: skip
    lib = _setup(tmp_path, setup)
    if input_name == "nope.csv":
        lib = tmp_path / "nope.csv"
    extra = [e.replace("{tmp}", str(tmp_path)) for e in extra]
    out = [] if any(e in ("-o",) for e in extra) else ["-o", tmp_path / "out.csv"]
    res = _run(lib, *out, *extra)
    if expected is None:  # accepted inputs
        assert res.exit_code == 0, res.output
        return
    assert res.exit_code == 2, res.output
    assert expected.lower() in res.output.lower(), res.output
    if not setup.get("existing"):
        assert not (tmp_path / "out.csv").exists()
