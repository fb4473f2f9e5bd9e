"""Every kind of bad input gives a clear message or a row in the errors table, never a traceback."""

import numpy as np
import pandas as pd
import pytest

from helixforge.chem.train import train_property_model
from helixforge.core.errors import (
    ColumnNotFoundError,
    ConfigError,
    EmptyInputError,
    InputError,
    NoUsableRowsError,
)


@pytest.fixture
def train(tmp_path, fast_gbm):
    """train_property_model with tiny-model defaults, writing to tmp_path/run."""

    def _train(path, targets=("logp_like",), **kw):
        return train_property_model(
            path,
            "smiles",
            list(targets),
            model="gbm",
            model_params=fast_gbm,
            out=tmp_path / "run",
            report=False,
            overwrite=True,
            **kw,
        )

    return _train


def _write(df, tmp_path, name="data.csv", **kw):
    path = tmp_path / name
    df.to_csv(path, index=False, **kw)
    return path


def test_invalid_and_empty_smiles_go_to_the_errors_table(tmp_path, make_table, train):
    df = make_table()
    df.loc[5, "smiles"] = "C1CC(("
    df.loc[9, "smiles"] = ""
    run = train(_write(df, tmp_path))
    errors = pd.read_csv(run.run_dir / "errors.csv")
    assert errors["row"].tolist() == [7, 11]  # file line numbers (header is line 1)
    assert set(errors["column"]) == {"smiles"}
    assert errors["reason"].str.contains("syntax|empty").all()
    assert run.config["n_molecules"] == 126


def test_salts_and_mixtures_are_reduced_to_the_parent(tmp_path, make_table, train):
    df = make_table()
    df.loc[0, "smiles"] = "c1ccccc1C(=O)[O-].[Na+]"
    df.loc[1, "smiles"] = "c1ccccc1CCC.O.O"
    run = train(_write(df, tmp_path))
    preds = pd.read_csv(run.run_dir / "predictions.csv").set_index("row")
    assert preds.loc[2, "canonical_smiles"] == "O=C(O)c1ccccc1"
    assert preds.loc[3, "canonical_smiles"] == "CCCc1ccccc1"


def test_non_numeric_and_missing_labels(tmp_path, make_table, train):
    df = make_table()
    df["logp_like"] = df["logp_like"].astype(object)
    df.loc[3, "logp_like"] = "n/a-ish"
    df.loc[4, "logp_like"] = None
    run = train(_write(df, tmp_path))
    errors = pd.read_csv(run.run_dir / "errors.csv")
    reasons = errors.groupby("row")["reason"].apply(" | ".join)
    assert "not a number" in reasons[5] and "row skipped" in reasons[5]
    assert "no usable label" in reasons[6]
    assert errors["row"].value_counts().max() == 1  # one error row per rejected line
    assert run.config["n_molecules"] == 126


def test_a_split_missing_one_class_reports_nan_with_a_note(tmp_path, make_table, fast_gbm):
    df = make_table()
    df["flag"] = 0.0
    df.loc[df.index[:40], "flag"] = 1.0  # positives only in the first scaffolds
    df["part"] = ["train"] * 64 + ["valid"] * 32 + ["test"] * 32
    df.loc[df.index[20:40], "part"] = "train"
    run = train_property_model(
        _write(df, tmp_path),
        "smiles",
        ["flag"],
        split_col="part",
        model="gbm",
        model_params=fast_gbm,
        out=tmp_path / "r",
    )
    test = run.metrics["test"]["flag"]
    assert np.isnan(test["roc_auc"]) and test["n"] == 32
    assert any("only class" in n for n in run.metrics["notes"])
    assert (run.run_dir / "report.html").exists()


def test_duplicates_with_conflicting_labels_are_merged_and_reported(tmp_path, make_table, train):
    df = make_table()
    extra = df.iloc[[0, 0]].copy()
    extra["smiles"] = ["Cc1ccccc1", "c1ccccc1C"]  # same molecule, other spellings
    extra["logp_like"] = [9.0, 9.5]
    run = train(_write(pd.concat([df, extra]), tmp_path))
    conflicts = pd.read_csv(run.run_dir / "conflicts.csv")
    assert conflicts["canonical_smiles"].tolist() == ["Cc1ccccc1"]
    assert "spread" in conflicts["reason"].item()
    assert run.config["n_molecules"] == 128


def test_missing_column_lists_the_columns_that_exist(tmp_path, make_table, train):
    with pytest.raises(ColumnNotFoundError) as exc:
        train(_write(make_table(), tmp_path), targets=["pIC50"])
    assert "'pIC50'" in exc.value.message and "'logp_like'" in exc.value.message


def test_empty_file_and_header_only(tmp_path, train):
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(EmptyInputError):
        train(tmp_path / "empty.csv")
    (tmp_path / "header.csv").write_text("smiles,logp_like\n")
    with pytest.raises(EmptyInputError):
        train(tmp_path / "header.csv")


def test_delimiters_are_detected_and_a_wrong_one_is_explained(tmp_path, make_table, train):
    run = train(_write(make_table(), tmp_path, "semi.csv", sep=";"))  # sniffed
    assert run.config["n_molecules"] == 128
    path = _write(make_table(), tmp_path, "space.csv", sep=" ")
    with pytest.raises(InputError) as exc:
        train(path)
    assert "id smiles logp_like" in exc.value.message  # the one column found is shown


def test_a_10mb_line_is_one_error_row_not_a_hang(tmp_path, make_table, train):
    df = make_table()
    df["smiles"] = df["smiles"].astype(object)
    df.loc[2, "smiles"] = "C" * 10_000_000
    run = train(_write(df, tmp_path))
    errors = pd.read_csv(run.run_dir / "errors.csv")
    assert "characters long" in errors.loc[errors["row"] == 4, "reason"].item()
    assert len(errors.loc[errors["row"] == 4, "value"].item()) <= 200  # value clipped in the table


def test_nothing_usable_fails_with_the_reason(tmp_path, train):
    df = pd.DataFrame({"smiles": ["xx", "((", ""], "logp_like": [1.0, 2.0, 3.0]})
    with pytest.raises(NoUsableRowsError, match="none of the SMILES"):
        train(_write(df, tmp_path))


def test_binary_declared_with_other_labels_is_a_config_error(tmp_path, make_table, train):
    path = _write(make_table(), tmp_path)
    with pytest.raises(ConfigError, match="declared binary") as e:
        train(path, task="binary")
    assert e.value.message.startswith(f"{path}: ")  # which file's labels contradict the task


def test_a_constant_regression_label_gets_a_regression_hint(tmp_path, make_table, train):
    df = make_table().assign(logp_like=0.5)
    with pytest.raises(ConfigError, match="same label") as e:
        train(_write(df, tmp_path), task="regression")
    assert "regression target needs labels that vary" in e.value.hint  # was "a classifier …"


def test_a_line_with_extra_fields_goes_to_the_errors_table_and_row_numbers_stay_true(
    tmp_path, smiles_list, fast_gbm
):
    rows = [f"{s},{i % 7 * 0.5}" for i, s in enumerate(smiles_list)]
    rows.insert(3, "CCN,2.0,extra")  # file line 5
    rows.insert(6, "CCO,abc")  # file line 8
    (tmp_path / "d.csv").write_text("smiles,y\n" + "\n".join(rows) + "\n")
    train_property_model(
        tmp_path / "d.csv",
        "smiles",
        ["y"],
        model="gbm",
        model_params=fast_gbm,
        split="random",
        out=tmp_path / "run",
    )
    errs = pd.read_csv(tmp_path / "run" / "errors.csv")
    assert 5 in errs["row"].tolist() and "wrong number of fields" in " ".join(errs["reason"])
    assert errs.loc[errs["value"] == "abc", "row"].tolist() == [8]


def test_multiclass_with_a_class_only_in_test_is_padded_not_a_crash(
    tmp_path, smiles_list, fast_gbm
):
    n = len(smiles_list)
    labels = [i % 3 for i in range(n)]
    split = ["train" if i % 5 < 3 else ("valid" if i % 5 == 3 else "test") for i in range(n)]
    for i in range(n):  # class 3 exists only in the test part
        if split[i] == "test" and i % 2 == 0:
            labels[i] = 3
    df = pd.DataFrame({"smiles": smiles_list, "cls": labels, "part": split})
    df.to_csv(tmp_path / "m.csv", index=False)
    run = train_property_model(
        tmp_path / "m.csv",
        "smiles",
        ["cls"],
        task="multiclass",
        split="predefined",
        split_col="part",
        model="gbm",
        model_params=fast_gbm,
        out=tmp_path / "run",
    )
    preds = pd.read_csv(tmp_path / "run" / "predictions.csv")
    assert len(preds) > 0 and run is not None


# ---------------------------------------------------------------- the CLI, table-driven
# Each case: argv (with {placeholders} filled from the `files` fixture), a text the message must
# contain (naming the file or option), and the output path that must not appear (or, when it
# existed before, must be unchanged).

FAST_CLI = ["--model", "gbm", "--param", "n_estimators=20", "--param", "early_stopping_rounds=5"]
TRAIN = ["chem", "train", "{data}", "--input-col", "smiles", "--label-col", "logp_like", "-q"]
PREDICT = ["chem", "predict", "{run}", "{lib}", "-o", "{out}/p.csv", "-q"]

CASES = {
    # ---- train: files
    "train missing file": (["chem", "train", "{tmp}/nope.csv", "--label-col", "y"], "nope.csv"),
    "train empty file": (["chem", "train", "{empty}", "--label-col", "y"], "empty.csv"),
    "train header only": (["chem", "train", "{header}", "--label-col", "y"], "header.csv"),
    "train binary file": (["chem", "train", "{binary}", "--label-col", "y"], "binary.csv"),
    "train truncated gzip": (["chem", "train", "{trunc}", "--label-col", "y"], "trunc.csv.gz"),
    "train duplicate headers": (["chem", "train", "{dup}", "--label-col", "logp_like"], "dup.csv"),
    "train missing smiles column": (TRAIN[:3] + ["--input-col", "nope", "--label-col", "logp_like"], "nope"),
    "train old --smiles-col alias": (TRAIN[:3] + ["--smiles-col", "nope", "--label-col", "logp_like"], "nope"),
    "train missing label column": (TRAIN[:5] + ["--label-col", "pIC50"], "pIC50"),
    "train old --target alias": (TRAIN[:5] + ["--target", "pIC50"], "pIC50"),
    "train label twice": (TRAIN + ["--label-col", "logp_like"], "more than once"),
    "train all smiles invalid": (["chem", "train", "{badsmiles}", "--label-col", "y"], "none of the SMILES"),
    "train all labels missing": (["chem", "train", "{nolabels}", "--label-col", "y"], "no row has a usable label"),
    "train text labels with many classes": (["chem", "train", "{textlabels}", "--label-col", "y"], "text labels"),
    "train missing split column": (TRAIN + ["--split-col", "part"], "part"),
    # ---- train: options
    "train ensemble 0": (TRAIN + ["--ensemble", "0"], "--ensemble"),
    "train ensemble negative": (TRAIN + ["--ensemble", "-2"], "--ensemble"),
    "train ensemble huge": (TRAIN + ["--ensemble", "1000"], "--ensemble"),
    "train coverage 0": (TRAIN + ["--coverage", "0"], "--coverage"),
    "train coverage 1": (TRAIN + ["--coverage", "1"], "--coverage"),
    "train coverage above 1": (TRAIN + ["--coverage", "1.5"], "--coverage"),
    "train coverage text": (TRAIN + ["--coverage", "high"], "--coverage"),
    "train jobs negative": (TRAIN + ["--jobs", "-1"], "--jobs"),
    "train seed text": (TRAIN + ["--seed", "abc"], "--seed"),
    "train unknown split": (TRAIN + ["--split", "bogus"], "--split"),
    "train unknown model": (TRAIN + ["--model", "bogus"], "--model"),
    "train lm model without path": (TRAIN + ["--model", "lm:"], "lm:PATH"),
    "train param not key=value": (TRAIN + ["--param", "oops"], "KEY=VALUE"),
    "train param wrong type": (TRAIN + ["--model", "gbm", "--param", "n_estimators=abc"], "n_estimators"),
    "train param zero": (TRAIN + ["--model", "gbm", "--param", "n_estimators=0"], "n_estimators"),
    "train param unknown key": (TRAIN + ["--model", "gbm", "--param", "nope=1"], "nope"),
    "train unknown task": (TRAIN + ["--task", "bogus"], "--task"),
    "train multiclass on continuous labels": (TRAIN + FAST_CLI + ["--task", "multiclass"], "multiclass"),
    "train binary on continuous labels": (TRAIN + FAST_CLI + ["--task", "binary"], "binary"),
    "train task count mismatch": (TRAIN + ["--task", "regression,binary"], "--task"),
    # ---- train: outputs
    "train out is a file": (TRAIN + FAST_CLI + ["-o", "{afile}"], "afile.txt"),
    "train out exists": (TRAIN + FAST_CLI + ["-o", "{run}"], "already exists"),
    "train out below a file": (TRAIN + FAST_CLI + ["-o", "{afile}/run"], "afile.txt"),
    # ---- predict
    "predict run dir missing": (["chem", "predict", "{tmp}/norun", "{lib}", "-o", "{out}/p.csv"], "norun"),
    "predict run dir of another kind": (["chem", "predict", "{wrongrun}", "{lib}", "-o", "{out}/p.csv"], "config.json"),
    "predict corrupt config": (["chem", "predict", "{corruptcfg}", "{lib}", "-o", "{out}/p.csv"], "config.json"),
    "predict corrupt model file": (["chem", "predict", "{corruptmodel}", "{lib}", "-o", "{out}/p.csv"], "member_0"),
    "predict missing manifest": (["chem", "predict", "{nomanifest}", "{lib}", "-o", "{out}/p.csv"], "manifest.json"),
    "predict run of another domain": (["chem", "predict", "{dnarun}", "{lib}", "-o", "{out}/p.csv"], "dna run"),
    "predict missing input column": (PREDICT + ["--input-col", "nope"], "nope"),
    "predict missing input file": (["chem", "predict", "{run}", "{tmp}/nolib.csv", "-o", "{out}/p.csv"], "nolib.csv"),
    "predict chunk size 0": (PREDICT + ["--chunk-size", "0"], "--chunk-size"),
    "predict chunk size negative": (PREDICT + ["--chunk-size", "-3"], "--chunk-size"),
    "predict jobs negative": (PREDICT + ["--jobs", "-2"], "--jobs"),
    "predict without -o": (["chem", "predict", "{run}", "{lib}"], "--out"),
    "predict out is a directory": (["chem", "predict", "{run}", "{lib}", "-o", "{out}"], "--out"),
    "predict out exists": (["chem", "predict", "{run}", "{lib}", "-o", "{afile}"], "already exists"),
    "predict not UTF-8 past the first chunk": (["chem", "predict", "{run}", "{quotelate}", "-o", "{out}/p.csv", "--chunk-size", "20"], "not UTF-8"),
    "predict nothing usable": (["chem", "predict", "{run}", "{badlib}", "-o", "{out}/p.csv"], "none of the"),
    # ---- evaluate / standardize
    "evaluate unknown target": (["chem", "evaluate", "{run}", "{data}", "--label-col", "pIC50", "-o", "{out}/ev"], "pIC50"),
    "evaluate missing label column": (["chem", "evaluate", "{run}", "{lib}", "-o", "{out}/ev"], "logp_like"),
    "evaluate out exists": (["chem", "evaluate", "{run}", "{data}", "-o", "{run}"], "is the input"),
    "standardize missing column": (["chem", "standardize", "{lib}", "--input-col", "nope", "-o", "{out}/s.csv"], "nope"),
    "standardize out exists": (["chem", "standardize", "{lib}", "-o", "{afile}"], "already exists"),
    "standardize without -o": (["chem", "standardize", "{lib}"], "--out"),
    # ---- nothing to learn, devices, output formats
    "train constant label": (["chem", "train", "{const}", "--label-col", "y", *FAST_CLI], "same label"),
    "train single class binary": (["chem", "train", "{const}", "--label-col", "y", "--task", "binary", *FAST_CLI], "same label"),
    "train three rows": (["chem", "train", "{three}", "--label-col", "y", *FAST_CLI], "only 3 distinct"),
    "train one molecule many rows": (["chem", "train", "{onemol}", "--label-col", "y", *FAST_CLI], "only 1 distinct"),
    "train label is the smiles column": (TRAIN[:5] + ["--label-col", "smiles", *FAST_CLI], "also the --input-col"),
    "train device bogus": (TRAIN + FAST_CLI + ["--device", "bogus"], "--device"),
    "predict device bogus": (PREDICT + ["--device", "gpu0"], "--device"),
    "evaluate device bogus": (["chem", "evaluate", "{run}", "{data}", "--device", "cuda:x", "-o", "{out}/ev"], "--device"),
    "predict xlsx output": (["chem", "predict", "{run}", "{lib}", "-o", "{out}/p.xlsx"], "p.xlsx"),
    "standardize json output": (["chem", "standardize", "{lib}", "-o", "{out}/s.json"], "s.json"),
}  # fmt: skip


@pytest.fixture(scope="module")
def files(tmp_path_factory, make_table):
    """Every input the cases need, and one small trained run."""
    import gzip
    import json
    import shutil

    from typer.testing import CliRunner

    from helixforge.cli.app import app

    tmp = tmp_path_factory.mktemp("bad")
    f = {"tmp": str(tmp), "out": str(tmp / "outputs")}
    df = make_table()
    data = tmp / "data.csv"
    df.to_csv(data, index=False)
    f["data"] = str(data)
    (tmp / "empty.csv").write_text("")
    (tmp / "header.csv").write_text("smiles,y\n")
    (tmp / "binary.csv").write_bytes(bytes(range(256)) * 4)
    (tmp / "trunc.csv.gz").write_bytes(gzip.compress(data.read_bytes())[:300])
    (tmp / "dup.csv").write_text("smiles,logp_like,logp_like\nCCO,1,2\nCCN,2,3\n")
    (tmp / "badsmiles.csv").write_text("smiles,y\nxx,1\n((,2\nC1CC,3\n")
    (tmp / "nolabels.csv").write_text("smiles,y\nCCO,\nCCN,abc\nCCC,inf\n")
    names = [f"name{i}" for i in range(len(df))]
    pd.DataFrame({"smiles": df["smiles"], "y": names}).to_csv(tmp / "textlabels.csv", index=False)
    (tmp / "afile.txt").write_text("keep me\n")
    pd.DataFrame({"smiles": df["smiles"], "y": 1.0}).to_csv(tmp / "const.csv", index=False)
    (tmp / "three.csv").write_text("smiles,y\nCCO,1\nCCN,2\nCCC,3\n")
    (tmp / "onemol.csv").write_text("smiles,y\n" + "".join(f"CCO,{i}\n" for i in range(20)))
    pd.DataFrame({"smiles": ["CCO", "c1ccccc1N", "oops(("]}).to_csv(tmp / "lib.csv", index=False)
    pd.DataFrame({"smiles": ["oops((", ""]}).to_csv(tmp / "badlib.csv", index=False)
    # 20 Latin-1 lines after 50 good ones: more than stray ones, refused while reading chunk 3
    (tmp / "quotelate.csv").write_bytes(b"smiles\n" + b"CCO\n" * 50 + b"C\xe9C\n" * 20)
    for name in ("empty", "header", "binary", "dup", "badsmiles", "nolabels", "textlabels",
                 "badlib", "lib", "const", "three", "onemol", "quotelate"):  # fmt: skip
        f[name] = str(tmp / f"{name}.csv")
    f["trunc"], f["afile"] = str(tmp / "trunc.csv.gz"), str(tmp / "afile.txt")
    run = tmp / "trained"
    res = CliRunner().invoke(app, [*[a.format(**f) for a in TRAIN], *FAST_CLI, "-o", str(run)])
    assert res.exit_code == 0, res.output
    f["run"] = str(run)
    variants = {
        "wrongrun": lambda p: (p / "config.json").write_text('{"model": "x"}'),
        "corruptcfg": lambda p: (p / "config.json").write_text('{"targets": ["logp_like"'),
        "corruptmodel": lambda p: (p / "model" / "member_0" / "gbm.json").write_text("{}"),
        "nomanifest": lambda p: (p / "model" / "manifest.json").unlink(),
        "dnarun": lambda p: (p / "config.json").write_text(
            json.dumps({**json.loads((run / "config.json").read_text()), "domain": "dna"})
        ),
    }
    for name, damage in variants.items():
        shutil.copytree(run, tmp / name)
        damage(tmp / name)
        f[name] = str(tmp / name)
    return f


def _snapshot(path: str):
    from pathlib import Path

    p = Path(path)
    if p.is_file():
        return p.read_bytes()
    if p.is_dir():
        return sorted(str(q.relative_to(p)) for q in p.rglob("*"))
    return None


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_cli_input_exits_2_names_the_problem_and_writes_nothing(case, files, monkeypatch):
    from pathlib import Path

    from typer.testing import CliRunner

    from helixforge.cli.app import app

    monkeypatch.chdir(files["tmp"])  # the default --out (run) lands in the test's folder
    template, expected = CASES[case]
    argv = [a.format(**files) for a in template]
    outs = [argv[i + 1] for i, a in enumerate(argv[:-1]) if a in ("-o", "--out")]
    outs += [str(Path(files["out"]) / n) for n in ("p.csv", "ev", "s.csv", "p.xlsx", "s.json")]
    outs += [str(Path(files["tmp"]) / "run")]
    before = {o: _snapshot(o) for o in outs}
    res = CliRunner().invoke(app, argv, env={"COLUMNS": "200"})
    text = res.output
    assert res.exit_code == 2, text
    assert "Traceback" not in text
    assert expected in text, text
    for o in outs:
        assert _snapshot(o) == before[o], f"{o} changed"
        assert not Path(o).with_name(f".{Path(o).name}.partial").exists()


def test_every_row_is_accounted_for_in_train_and_predict(tmp_path, smiles_list, fast_gbm):
    """rows in = rows used (merged duplicates counted) + rows in the errors table."""
    from helixforge.chem.predict import predict_property

    good = [f"{s},{i % 7 * 0.5},{i % 2}" for i, s in enumerate(smiles_list)]
    bad = [
        "CCN,2.0,1,extra",  # extra field
        "CCO",  # missing fields
        '"",1.0,0',  # quoted empty SMILES
        "not((a smiles,1.0,1",  # invalid SMILES
        "CCCC,inf,1",  # inf label in one target: the other target is still used
        "CCCCC,nan,",  # no usable label
        "CCCCCC,abc,xyz",  # text labels
        f"{smiles_list[0]},0.0,0",  # a duplicate molecule
    ]
    lines = good[:10] + bad + good[10:]
    (tmp_path / "d.csv").write_text("smiles,y,flag\n" + "\n".join(lines) + "\n")
    train_property_model(
        tmp_path / "d.csv",
        "smiles",
        ["y", "flag"],
        model="gbm",
        model_params=fast_gbm,
        split="random",
        out=tmp_path / "run",
        report=False,
    )
    preds = pd.read_csv(tmp_path / "run" / "predictions.csv")
    errors = pd.read_csv(tmp_path / "run" / "errors.csv")
    rejected = set(errors["row"]) - set(preds["row"])  # label-only errors keep their row
    assert preds["n_merged"].sum() + len(rejected) == len(lines)
    inf_row = preds.loc[preds["canonical_smiles"] == "CCCC"]
    assert inf_row["y"].isna().all() and (inf_row["flag"] == 1).all()  # inf never trained on
    assert "y" in errors.loc[errors["row"] == 16, "column"].tolist()

    lib = ["smiles,name"] + [f"{s},m{i}" for i, s in enumerate(smiles_list[:20])] + bad
    (tmp_path / "lib.csv").write_text("\n".join(lib) + "\n")
    s = predict_property(tmp_path / "run", tmp_path / "lib.csv", tmp_path / "p.csv", chunk_size=3)
    out = pd.read_csv(tmp_path / "p.csv")
    errs = pd.read_csv(tmp_path / "p.errors.csv")
    assert s["rows"] == len(lib) - 1 == len(out) + len(errs)
    assert sorted(set(out["row"]) | set(errs["row"])) == list(range(2, len(lib) + 1))


def test_smiles_that_mean_something_else_are_rejected_with_the_reason(tmp_path):
    """Whitespace inside a SMILES never yields a shorter molecule; names after one do not hurt."""
    from helixforge.chem.standardize import standardize_file

    cases = {"C C O": "whitespace", "C\tC": "whitespace", "C1CC CC1": "whitespace",
             "*CC": "dummy atom", "[*:1]CCO": "dummy atom", "CC>>CO": "reaction",
             "CCO ethanol": None, "CCO |$;;$|": None, "[2H]C": None}  # fmt: skip
    pd.DataFrame({"smiles": list(cases)}).to_csv(tmp_path / "in.csv", index=False)
    res = standardize_file(tmp_path / "in.csv", tmp_path / "o.csv")
    out, errs = pd.read_csv(tmp_path / "o.csv"), pd.read_csv(tmp_path / "o.errors.csv")
    assert res["rows"] == len(out) + len(errs) == len(cases)
    for smi, why in cases.items():
        hit = errs.loc[errs["value"] == smi, "reason"]
        assert (why in hit.item()) if why else hit.empty, (smi, hit.tolist())
    assert set(out["canonical_smiles"]) == {"CCO", "[2H]C"}


def test_evaluate_keeps_input_columns_named_like_its_outputs(files, tmp_path):
    from helixforge.chem.evaluate import evaluate_property

    df = pd.read_csv(files["data"]).assign(row=0, logp_like_pred="mine")
    df.to_csv(tmp_path / "d.csv", index=False)
    evaluate_property(files["run"], tmp_path / "d.csv", out=tmp_path / "ev")
    preds = pd.read_csv(tmp_path / "ev" / "predictions.csv")
    assert (preds["input_logp_like_pred"] == "mine").all() and preds["row"].min() == 2


def test_a_target_without_any_label_among_several_is_named(tmp_path, make_table, train):
    """'y' has labels, 'y2' none at all: the message names y2 (it said 'task 1 has 0
    labelled training molecules')."""
    df = make_table().assign(y2="")
    with pytest.raises(NoUsableRowsError, match="--label-col y2: no row of .* has a usable label"):
        train(_write(df, tmp_path), targets=("logp_like", "y2"))


def test_a_blank_split_value_skips_its_row_and_an_unknown_one_is_named_with_its_row(
    tmp_path, make_table, train
):
    df = make_table()
    df["part"] = (["train"] * 90 + ["Valid"] * 20 + ["TEST"] * 30)[: len(df)]
    df.loc[5, "part"] = None  # file line 7
    train(_write(df, tmp_path), split="predefined", split_col="part")
    errors = pd.read_csv(tmp_path / "run" / "errors.csv")
    assert errors[["row", "column"]].values.tolist() == [[7, "part"]]
    assert "no split value" in errors["reason"].item()
    df.loc[9, "part"] = "holdout"  # file line 11
    with pytest.raises(ConfigError, match=r"column 'part': split value\(s\) 'holdout' \(row 11\)"):
        train(_write(df, tmp_path), split="predefined", split_col="part")


def test_input_columns_named_like_run_outputs_are_kept_as_input_columns(
    tmp_path, make_table, train
):
    """A table with a 'row' column crashed chem train at the end (ValueError traceback:
    cannot insert row); one named like a prediction column or n_merged was overwritten in
    predictions.csv. They are kept as input_<name>, as chem predict keeps them."""
    df = make_table()
    clash = ["row", "n_merged", "logp_like_pred", "logp_like_std", "in_domain", "ad_similarity"]
    for c in clash:
        df[c] = "mine"
    df.to_csv(tmp_path / "d.csv", index=False)
    train(tmp_path / "d.csv", ["logp_like"])
    preds = pd.read_csv(tmp_path / "run" / "predictions.csv")
    for c in clash:
        assert (preds[f"input_{c}"] == "mine").all(), c
    assert pd.api.types.is_float_dtype(preds["logp_like_pred"]) and preds["row"].min() == 2


def test_a_label_too_large_to_compute_with_is_a_row_error(tmp_path, make_table, fast_gbm, train):
    """One label of 1e308 (Excel's 9.99E+307 'infinity') crashed chem train after training,
    in the report's residual histogram (ValueError traceback); labels near 1e300 gave null
    RMSE and R² (their squares overflow). Such a label is a row error; the rest trains."""
    df = make_table()
    df.loc[0, "logp_like"] = 1e308
    df.loc[1, "logp_like"] = -9.99e307
    df.to_csv(tmp_path / "d.csv", index=False)
    run = train_property_model(
        tmp_path / "d.csv", "smiles", ["logp_like"], model="gbm", model_params=fast_gbm,
        out=tmp_path / "run",
    )  # fmt: skip
    errors = pd.read_csv(tmp_path / "run" / "errors.csv")
    assert errors["row"].tolist() == [2, 3] and errors["reason"].str.contains("too large").all()
    assert run.metrics["test"]["logp_like"]["rmse"] < 10
    df["logp_like"] = df["logp_like"] * 1e200
    df.to_csv(tmp_path / "all.csv", index=False)
    with pytest.raises(NoUsableRowsError, match="no row has a usable label"):
        train(tmp_path / "all.csv", ["logp_like"])


# Molecule-level oddities: (SMILES, the reason it is refused, or None when it is a molecule)
ODD_MOLECULES = [
    ("[H][H]", None),  # hydrogen only: a molecule, features of nothing, out of domain
    ("N" + "CC(=O)N" * 60 + "CC(=O)O", None),  # a 60-residue peptide, 243 heavy atoms
    ("C1" + "CC(=O)NC" * 40 + "1", None),  # a 200-atom macrocycle
    ("*CC(*)c1ccccc1", "dummy atom"),  # a polymer repeat unit
    ("CCO>>CC=O", "reaction SMILES"),
    ("Cc1ccc(O)cc1.Cc1cccc(O)c1", "2 isomers"),  # two equal fragments: neither is the parent
    ("CCO.CCO", None),  # a dimer of one compound
    ("[18F]c1ccccc1", None),  # isotopes other than deuterium are kept
    ("C[N]C", None),  # a radical
    ("FS(F)(F)(F)(F)F", None),  # hypervalent and allowed
    ("C(C)(C)(C)(C)C", "valence"),  # hypervalent and not
    ("c1ccccc1O\t", None),  # a trailing tab from a spreadsheet
    ("c1ccccc1N\u00a0", None),  # a trailing no-break space
    ('"CCCO"', "quote characters"),  # a cell quoted twice
    ("4711", "is a number"),
    (None, "empty SMILES"),
]


def test_odd_molecules_keep_every_row_in_train_predict_screen_and_admet(
    tmp_path, make_table, fast_gbm
):
    """Each row is an output row or an errors-table row with its reason, in every verb."""
    from helixforge.chem.admet import predict_admet
    from helixforge.chem.predict import predict_property
    from helixforge.chem.screen import screen_library

    smiles = [s for s, _ in ODD_MOLECULES]
    library = tmp_path / "odd.parquet"  # parquet keeps the tab and the no-break space
    pd.DataFrame({"id": [f"odd{i}" for i in range(len(smiles))], "smiles": smiles}).to_parquet(
        library
    )
    table = make_table()[["id", "smiles", "logp_like"]]
    odd = pd.read_parquet(library).assign(logp_like=np.arange(len(smiles)) / 4)
    pd.concat([table, odd], ignore_index=True).to_parquet(tmp_path / "train.parquet")
    run = tmp_path / "run"
    train_property_model(
        tmp_path / "train.parquet", "smiles", ["logp_like"], model="gbm",
        model_params=fast_gbm, out=run, report=False,
    )  # fmt: skip
    trained = pd.read_csv(run / "errors.csv")
    first_odd = len(table) + 1  # parquet rows are numbered from 1
    refused = {s: why for s, why in ODD_MOLECULES if why}
    for i, (s, why) in enumerate(ODD_MOLECULES):
        reasons = trained.loc[trained["row"] == first_odd + i, "reason"].tolist()
        assert (len(reasons) == 1 and why in reasons[0]) if why else not reasons, (s, reasons)

    outputs = {
        "predict": lambda: predict_property(run, library, tmp_path / "p.csv"),
        "admet": lambda: predict_admet(library, tmp_path / "a.csv", endpoints=["herg"]),
        "screen": lambda: screen_library(library, [run], tmp_path / "s.csv", top=100),
    }
    for verb, call in outputs.items():
        call()
        out = pd.read_csv(tmp_path / f"{verb[0]}.csv")
        errors = pd.read_csv(tmp_path / f"{verb[0]}.errors.csv")
        assert len(out) + len(errors) == len(smiles), verb  # screen: top 100, so all are hits
        assert sorted(errors["row"]) == [i + 1 for i, (_, w) in enumerate(ODD_MOLECULES) if w]
        for row, reason in zip(errors["row"], errors["reason"]):
            assert refused[smiles[row - 1]] in reason, (verb, row, reason)
        assert out["canonical_smiles"].notna().all() and "CCO" in set(out["canonical_smiles"])
