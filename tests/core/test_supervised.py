"""The domain-free supervised-run layer, with a toy estimator on DNA-like strings."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helixforge.core.errors import ConfigError, InputError, RowErrors
from helixforge.core.supervised import (
    LabelledData,
    TrainedRun,
    clean_labels,
    detect_task,
    encode_labels,
    predict_table,
    resolve_tasks,
    train_supervised,
)


class GCModel:
    """Predicts from GC content: linear fit (regression) or a logistic-ish squash."""

    name = "gc"

    def __init__(self):
        self.coef: list[list[float]] = []
        self.task_types: list[str] = []
        self.k = 2

    @staticmethod
    def _gc(X):
        return np.array([(s.count("G") + s.count("C")) / max(len(s), 1) for s in X])

    def fit(self, X, y, task_types, *, valid=None, seed=0):
        g = self._gc(X)
        self.task_types = list(task_types)
        self.coef = []
        for j, tt in enumerate(task_types):
            keep = np.isfinite(y[:, j])
            a, b = np.polyfit(g[keep], y[keep, j], 1) if keep.sum() > 1 else (0.0, 0.0)
            self.coef.append([float(a) + 0.01 * seed, float(b)])
            if tt == "multiclass":
                self.k = int(np.nanmax(y[:, j])) + 1
        return self

    def _raw(self, X):
        g = self._gc(X)
        return np.stack([a * g + b for a, b in self.coef], axis=1)

    def predict(self, X):
        raw = self._raw(X)
        for j, tt in enumerate(self.task_types):
            if tt == "binary":
                raw[:, j] = np.clip(raw[:, j], 0, 1)
        return raw

    def predict_proba(self, X):
        centre = np.clip(self._raw(X)[:, 0], 0, self.k - 1)
        logits = -((np.arange(self.k)[None, :] - centre[:, None]) ** 2)
        p = np.exp(logits)
        return p / p.sum(axis=1, keepdims=True)

    def save(self, path):
        Path(path).mkdir(parents=True, exist_ok=True)
        state = {"coef": self.coef, "task_types": self.task_types, "k": self.k}
        (Path(path) / "gc.json").write_text(json.dumps(state))

    @classmethod
    def load(cls, path):
        d = json.loads((Path(path) / "gc.json").read_text())
        m = cls()
        m.coef, m.task_types, m.k = d["coef"], d["task_types"], d["k"]
        return m


def _sequences(n=120, seed=0):
    rng = np.random.default_rng(seed)
    return ["".join(rng.choice(list("ACGT"), 30, p=rng.dirichlet([1] * 4))) for _ in range(n)]


def _data(labels: pd.DataFrame, seqs, targets, task="auto"):
    errors = RowErrors("toy.csv")
    df = labels.assign(sequence=seqs)
    df.index = np.arange(2, len(df) + 2)
    df = clean_labels(df, targets, errors, source="toy.csv")
    types, notes = resolve_tasks(task, df, targets)
    y, classes = encode_labels(df, targets, types)
    return LabelledData(
        frame=df,
        inputs=df["sequence"].tolist(),
        y=y,
        targets=targets,
        task_types=types,
        errors=errors,
        classes=classes,
        notes=notes,
        input_col="sequence",
    )


def test_one_task_rule():
    assert detect_task([0, 1, 1, np.nan]) == "binary"
    assert detect_task(["yes", "no", "yes"]) == "binary"
    assert detect_task([2.5, 7.5, 2.5]) == "binary"  # exactly two distinct labels
    assert detect_task(["a", "b", "c"] * 5) == "multiclass"
    assert detect_task([0, 1, 2] * 10) == "multiclass"
    assert detect_task([0, 1, 2, 2]) == "regression"  # too few rows per class
    assert detect_task([0.5, 1.2, 3.3]) == "regression"
    with pytest.raises(ConfigError, match="text labels"):
        detect_task([f"c{i}" for i in range(30)])


def test_declared_tasks_that_the_labels_contradict_are_errors():
    df = pd.DataFrame({"y": np.linspace(0, 1, 40)})
    with pytest.raises(ConfigError, match="declared multiclass"):
        resolve_tasks("multiclass", df, ["y"])
    with pytest.raises(ConfigError, match="declared binary"):
        resolve_tasks("binary", df, ["y"])


def test_text_classes_train_and_predict_with_one_column_naming(tmp_path):
    seqs = _sequences()
    gc = np.array([(s.count("G") + s.count("C")) / 30 for s in seqs])
    labels = pd.DataFrame({"label": np.where(gc > np.median(gc), "rich", "poor")})
    data = _data(labels, seqs, ["label"])
    assert data.task_types == ["binary"] and data.classes == {"label": ["poor", "rich"]}
    run = train_supervised(
        data, GCModel, domain="toy", model_name="gc", out=tmp_path / "run", ensemble=3
    )
    preds = pd.read_csv(run.run_dir / "predictions.csv")
    assert {"label_pred", "label_prob", "label_std", "label_set", "split"} <= set(preds)
    assert set(preds["label_pred"]) <= {"poor", "rich"}
    assert set(preds["label_set"].fillna("")) <= {"", "poor", "rich", "poor|rich"}
    m = run.metrics["test"]["label"]
    assert {"roc_auc", "coverage", "set_size"} <= set(m)
    assert (run.run_dir / "card.md").exists() and (run.run_dir / "report.html").exists()
    cfg = json.loads((run.run_dir / "config.json").read_text())
    assert cfg["domain"] == "toy" and cfg["task_types"] == ["binary"] and cfg["seed"] == 0

    new = tmp_path / "new.csv"
    pd.DataFrame({"sequence": seqs[:7], "id": range(7)}).to_csv(new, index=False)
    trained = TrainedRun(run.run_dir, loader=lambda name: GCModel, domain="toy")

    def prepare(frame, col, source):
        return frame, frame[col].tolist(), RowErrors(source), None

    s = predict_table(trained, new, tmp_path / "p.csv", prepare=prepare, chunk_size=3)
    assert s["rows"] == 7 == s["predicted"] + s["errors"]
    out = pd.read_csv(tmp_path / "p.csv")
    assert out["id"].tolist() == list(range(7)) and "label_prob" in out


def test_regression_multitask_with_an_inf_label_never_trains_on_it(tmp_path):
    seqs = _sequences()
    gc = np.array([(s.count("G") + s.count("C")) / 30 for s in seqs])
    labels = pd.DataFrame({"a": (gc * 3).astype(object), "b": (1 - gc).astype(object)})
    labels.loc[5, "a"] = "inf"
    data = _data(labels, seqs, ["a", "b"])
    assert np.isnan(data.y[5, 0]) and np.isfinite(data.y[5, 1])
    assert [e.row for e in data.errors] == [7]  # file line of row 5
    run = train_supervised(
        data, GCModel, domain="toy", model_name="gc", out=tmp_path / "r", coverage=0.8
    )
    assert {"coverage", "interval_width", "rmse"} <= set(run.metrics["test"]["a"])
    with pytest.raises(ConfigError, match="already exists"):
        train_supervised(data, GCModel, domain="toy", model_name="gc", out=tmp_path / "r")


def test_damaged_model_files_and_wrong_runs_are_named(tmp_path):
    seqs = _sequences()
    labels = pd.DataFrame({"y": [(s.count("G") + s.count("C")) / 30 for s in seqs]})
    run = train_supervised(
        _data(labels, seqs, ["y"]), GCModel, domain="toy", model_name="gc", out=tmp_path / "r"
    )
    member = run.run_dir / "model" / "member_0" / "gc.json"
    member.write_text(member.read_text()[:-3])
    with pytest.raises(InputError, match="gc.json"):
        TrainedRun(run.run_dir, loader=lambda n: GCModel)
    (run.run_dir / "config.json").write_text("{not json")
    with pytest.raises(InputError, match="config.json"):
        TrainedRun(run.run_dir, loader=lambda n: GCModel)
    (run.run_dir / "config.json").write_text('{"something": 1}')
    with pytest.raises(InputError, match="not the config of a supervised"):
        TrainedRun(run.run_dir, loader=lambda n: GCModel)


def test_an_edited_run_config_or_a_foreign_manifest_is_named_not_a_crash(tmp_path):
    """A config.json edited to an unknown task type crashed later with an IndexError while
    writing the prediction columns (chem predict / screen, dna predict, lm predict); a
    manifest of another format (a chem prior lists bare checksums) in model/ raised
    AttributeError (dna interpret / design / variants score)."""
    from helixforge.core.supervised.ensemble import check_manifest

    seqs = _sequences()
    labels = pd.DataFrame({"y": [(s.count("G") + s.count("C")) / 30 for s in seqs]})
    run = train_supervised(
        _data(labels, seqs, ["y"]), GCModel, domain="toy", model_name="gc", out=tmp_path / "r"
    )
    cfg_path = run.run_dir / "config.json"
    good = json.loads(cfg_path.read_text())
    for edit, words in (
        ({"task_types": ["ranking"]}, "task type 'ranking' is not one HelixForge trains"),
        ({"task_types": "regression"}, "must be lists"),
        ({"targets": ["y", "z"]}, "targets and task_types do not match"),
    ):
        cfg_path.write_text(json.dumps({**good, **edit}))
        with pytest.raises(InputError, match=words) as info:
            TrainedRun(run.run_dir, loader=lambda n: GCModel)
        assert str(cfg_path) in info.value.message and "edited or damaged" in info.value.hint
    manifest = run.run_dir / "model" / "manifest.json"
    listed = next(iter(json.loads(manifest.read_text())["files"]))
    manifest.write_text(json.dumps({"format": "helixforge-prior", "files": {listed: "ab12"}}))
    with pytest.raises(InputError, match="damaged model manifest"):
        check_manifest(run.run_dir / "model")


def test_a_manifest_edited_to_an_unknown_model_names_the_manifest_not_an_option(tmp_path):
    """model/manifest.json edited to a model name the domain lacks was reported as the
    member failing to load with "--model 'bogus': unknown …", an option nobody passed."""

    def loader(name):
        if name != "gc":
            raise ConfigError(f"--model {name!r}: unknown toy model", hint="choose one of: gc")
        return GCModel

    seqs = _sequences()
    labels = pd.DataFrame({"y": [(s.count("G") + s.count("C")) / 30 for s in seqs]})
    run = train_supervised(
        _data(labels, seqs, ["y"]), GCModel, domain="toy", model_name="gc", out=tmp_path / "r"
    )
    manifest = run.run_dir / "model" / "manifest.json"
    manifest.write_text(json.dumps({**json.loads(manifest.read_text()), "model": "bogus"}))
    with pytest.raises(InputError) as info:
        TrainedRun(run.run_dir, loader=loader)
    assert info.value.message == (
        f"{manifest}: names the model 'bogus', not one this command loads (gc)"
    )
    assert "--model" not in str(info.value)


def test_outputs_left_by_a_killed_run_do_not_leak_into_the_next(tmp_path):
    """A stale member folder in the staging directory (a run killed while writing) must not end
    up in the new run's model manifest."""
    import json

    from helixforge.core.io import staging_path

    out = tmp_path / "run"
    stale = staging_path(out) / "model" / "member_7"
    stale.mkdir(parents=True)
    (stale / "junk.bin").write_bytes(b"old")
    seqs = _sequences()
    labels = pd.DataFrame({"y": [(s.count("G") + s.count("C")) / 30 for s in seqs]})
    train_supervised(_data(labels, seqs, ["y"]), GCModel, domain="toy", model_name="gc", out=out)
    manifest = json.loads((out / "model" / "manifest.json").read_text())
    assert not (out / "model" / "member_7").exists()
    assert "member_7" not in json.dumps(manifest)


def test_chunked_prediction_streams_the_same_bytes_for_any_chunk_size(tmp_path):
    """The output is assembled chunk by chunk (bounded memory): any --chunk-size gives the same
    CSV, gzipped CSV and Parquet, also when an input column is empty in a whole chunk."""
    seqs = _sequences()
    labels = pd.DataFrame({"y": [(s.count("G") + s.count("C")) / 30 for s in seqs]})
    run = train_supervised(
        _data(labels, seqs, ["y"]), GCModel, domain="toy", model_name="gc", out=tmp_path / "r"
    )
    trained = TrainedRun(run.run_dir, loader=lambda n: GCModel)
    new = tmp_path / "new.csv"
    note = [""] * 6 + ["late note"] * 4  # empty in the first chunks, text later
    pd.DataFrame({"sequence": _sequences(10, seed=3), "note": note}).to_csv(new, index=False)

    def prepare(frame, col, source):
        return frame, frame[col].tolist(), RowErrors(source), None

    for suffix in ("csv", "csv.gz", "parquet"):
        outs = []
        for size in (3, 1000):
            out = tmp_path / f"p{size}.{suffix}"
            s = predict_table(trained, new, out, prepare=prepare, chunk_size=size)
            assert s["predicted"] == 10
            outs.append(out)
        if suffix == "parquet":
            a, b = (pd.read_parquet(p) for p in outs)
            pd.testing.assert_frame_equal(a, b)
            assert a["note"].tolist()[-1] == "late note"
        else:
            assert outs[0].read_bytes() == outs[1].read_bytes()


def test_a_row_dropped_for_a_text_label_is_one_error_row_naming_the_value():
    df = pd.DataFrame(
        {"y": ["1.5", "1.2e", "NA", "2.5", "inf", "3"], "z": ["1", "2", "3", "", "", ""]}
    )
    df.index = np.arange(2, 8)  # file lines
    errors = RowErrors("toy.csv")
    kept = clean_labels(df[["y"]], ["y"], errors, source="toy.csv")
    assert kept.index.tolist() == [2, 5, 7]
    # rows_in == rows_out + rejected rows: each rejected line appears once
    assert [(e.row, e.value) for e in errors] == [(3, "1.2e"), (6, "inf"), (4, None)]
    assert all("row skipped" in e.reason for e in errors)
    both = RowErrors("toy.csv")
    kept = clean_labels(df, ["y", "z"], both, source="toy.csv")
    assert kept.index.tolist() == [2, 3, 4, 5, 7]  # line 3 keeps its z label
    assert [(e.row, e.reason.split("; ")[-1]) for e in both] == [
        (3, "treated as missing"),
        (6, "row skipped"),
    ]


def test_decimal_comma_labels_are_numbers_not_classes(tmp_path):
    # pIC50 in 0,5 steps from a European Excel: was read as five text classes (multiclass)
    from helixforge.core.tables import read_table

    values = ["5,0", "5,5", "6,0", "6,5", "7,0"] * 5
    text = "seq;y\n" + "".join(f"ACGT{i};{v}\n" for i, v in enumerate(values))
    (tmp_path / "eu.csv").write_text(text)
    errors = RowErrors("eu.csv")
    kept = clean_labels(read_table(tmp_path / "eu.csv"), ["y"], errors, source="eu.csv")
    assert kept["y"].tolist() == [float(v.replace(",", ".")) for v in values]
    assert detect_task(kept["y"]) == "regression" and not len(errors)


def test_a_rare_class_missing_from_valid_or_test_is_explained_without_console_warnings(
    tmp_path,
):
    # 4 actives of 120, all in train (a group split can do this): the valid/test metrics are
    # undefined; say so, and how to avoid it, instead of sklearn's warnings and an MCC of 0
    import warnings

    from helixforge.core.splits import Split

    seqs = _sequences()
    labels = pd.DataFrame({"active": [1] * 4 + [0] * 116})
    data = _data(labels, seqs, ["active"])
    sp = Split(np.arange(0, 96), np.arange(96, 108), np.arange(108, 120))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run = train_supervised(
            data, GCModel, domain="toy", model_name="gc", out=tmp_path / "run",
            split="scaffold", split_assignment=sp,
        )  # fmt: skip
    assert np.isnan(run.metrics["test"]["active"]["mcc"])
    notes = " ".join(run.metrics["notes"])
    assert "MCC are undefined" in notes
    assert "valid and test parts of the given split hold one class only" in notes
    assert "--split stratified puts rows of every class in each part" in notes


def test_class_labels_match_across_spellings():
    from helixforge.core.supervised.tasks import class_indices

    idx, unknown = class_indices(
        [True, "TRUE", "false", 1, "1.0", " 0 ", "Yes", "NO", None, "", "maybe"], [0.0, 1.0]
    )
    assert idx[:8].tolist() == [1, 1, 0, 1, 1, 0, 1, 0] and np.isnan(idx[8:]).all()
    assert unknown.tolist() == [False] * 10 + [True]
    assert class_indices([1, 0], ["no", "yes"])[0].tolist() == [1, 0]  # trained on yes/no
    idx, _ = class_indices([1.0, 0.0, "TRUE"], ["False", "True"])  # trained on text True/False
    assert idx.tolist() == [1, 0, 1]
    assert class_indices([" rich", "poor"], ["poor", "rich"])[0].tolist() == [1, 0]
    assert class_indices(["RICH", "Poor"], ["poor", "rich"])[0].tolist() == [1, 0]
    assert class_indices(["A", "a"], ["A", "a"])[0].tolist() == [0, 1]  # case-distinct classes


def test_a_training_part_with_one_class_is_refused_naming_the_target(tmp_path):
    # the only active row in the test part: the model was trained on one class and predicted
    # 'inactive' for everything, with exit 0
    from helixforge.core.splits import Split

    seqs = _sequences()
    labels = pd.DataFrame({"active": ["no"] * 117 + ["yes"] * 3})
    data = _data(labels, seqs, ["active"])
    sp = Split(np.arange(0, 96), np.arange(96, 108), np.arange(108, 120))
    with pytest.raises(
        ConfigError, match=r"--label-col active: the training part .* only class 'no'"
    ):
        train_supervised(
            data, GCModel, domain="toy", model_name="gc", out=tmp_path / "run",
            split_assignment=sp,
        )  # fmt: skip
    assert not (tmp_path / "run").exists()


def test_a_sparse_target_among_several_does_not_stop_the_run(tmp_path):
    # ToxCast-like: one target learnable, the other's actives all outside train; the run goes
    # on (the refusal is for a run where no target can be learnt)
    from helixforge.core.splits import Split

    seqs = _sequences()
    labels = pd.DataFrame({"common": (["no", "yes"] * 60), "sparse": ["no"] * 117 + ["yes"] * 3})
    data = _data(labels, seqs, ["common", "sparse"])
    sp = Split(np.arange(0, 96), np.arange(96, 108), np.arange(108, 120))
    run = train_supervised(
        data, GCModel, domain="toy", model_name="gc", out=tmp_path / "run", split_assignment=sp
    )
    assert (tmp_path / "run").exists() and run is not None
    assert "sparse: the training part" in " ".join(run.metrics["notes"])


def test_censored_labels_are_named_as_such():
    values = ["5.1", ">10000", "< 0.1", "abc", "6.2", "7", "4.4", "5"]
    df = pd.DataFrame({"y": values}, index=np.arange(2, 10))
    errors = RowErrors("ic50.csv")
    kept = clean_labels(df, ["y"], errors, source="ic50.csv")
    assert kept.index.tolist() == [2, 6, 7, 8, 9]
    reasons = {e.value: e.reason for e in errors}
    assert reasons[">10000"].startswith("label is a censored value") and "< 0.1" in reasons
    assert reasons["abc"].startswith("label is not a number")


def test_a_text_class_column_with_a_comma_value_stays_text():
    df = pd.DataFrame({"y": ["A", "B", "1,234", "A", "B", "A"]}, index=np.arange(2, 8))
    kept = clean_labels(df, ["y"], RowErrors("t.csv"), source="t.csv")
    assert kept["y"].tolist() == ["A", "B", "1,234", "A", "B", "A"]


def test_labels_written_with_a_unit_are_named_as_such():
    values = ["5.1", "5 uM", "3.2nM", "12 %", "1e400", "0x10", "6.2", "7", "4.4", "5"]
    df = pd.DataFrame({"y": values}, index=np.arange(2, 12))
    errors = RowErrors("ic50.csv")
    clean_labels(df, ["y"], errors, source="ic50.csv")
    reasons = {e.value: e.reason for e in errors}
    assert reasons["5 uM"].startswith("label has a unit ('uM')") and "'nM'" in reasons["3.2nM"]
    assert "'%'" in reasons["12 %"]
    assert reasons["1e400"].startswith("label is not a number")  # overflow, not a unit 'e400'
    assert reasons["0x10"].startswith("label is not a number")


def test_a_validation_part_too_small_for_the_coverage_is_named_in_the_run_notes():
    """8 calibration rows cannot give a finite 90 % split-conformal interval; 9 can."""
    from helixforge.core.conformal import RegressionConformal
    from helixforge.core.supervised.train import _unbounded_conformal_notes

    def fitted(n):
        return RegressionConformal(0.9).fit(np.arange(n, dtype=float), np.zeros(n))

    (note,) = _unbounded_conformal_notes({"y": fitted(8)})
    assert "8 labelled validation rows are too few" in note and "at least 9" in note
    assert _unbounded_conformal_notes({"y": fitted(9)}) == []


def test_text_classes_differing_only_in_case_or_spacing_are_one_class():
    """'ACTIVE' beside 'Active' made a binary assay a three-class task."""
    values = ["Active", "inactive", "ACTIVE", "Active", "in active", "inactive", "Active"]
    df = pd.DataFrame({"y": values}, index=np.arange(2, 9))
    kept = clean_labels(df, ["y"], RowErrors("a.csv"), source="a.csv")
    assert kept["y"].tolist() == ["Active", "inactive", "Active", "Active", "in active",
                                  "inactive", "Active"]  # fmt: skip
    assert kept.attrs["label_notes"] == [
        "y: labels that differ only in case or spacing were read as one class ('ACTIVE' → 'Active')"
    ]
    same = clean_labels(df.assign(y=["a", "b"] * 3 + ["a"]), ["y"], RowErrors("a.csv"))
    assert "label_notes" not in same.attrs


def test_a_group_split_that_leaves_almost_nothing_to_train_on_is_refused_before_training():
    """Whole groups go to one part; one group of 10 of 12 rows does not fit the 80 % training
    part and went to test, leaving 2 training rows — a model nobody should trust, trained
    silently before."""
    from helixforge.core.errors import ConfigError
    from helixforge.core.supervised.train import split_rows

    labels = pd.DataFrame({"y": np.arange(12.0)})
    data = _data(labels, _sequences(12), ["y"])
    data.split_args = {"groups": np.array(["big"] * 10 + ["a", "b"])}
    with pytest.raises(ConfigError, match="put only 2 of 12 rows in the training part"):
        split_rows(data, "group", seed=0)
    assert len(split_rows(data, "random", seed=0).train) >= 8  # the suggested fix works


def test_prepare_resume_stage_keeps_refuses_or_discards_an_unfinished_run(tmp_path):
    from helixforge.core.errors import ConfigError
    from helixforge.core.supervised import prepare_resume_stage

    out = tmp_path / "run"
    stage = prepare_resume_stage(out, {"data": "abc", "lr": 0.1}, resume=False)
    (stage / "checkpoints").mkdir()
    assert prepare_resume_stage(out, {"data": "abc", "lr": 0.1}, resume=True) == stage
    assert (stage / "checkpoints").is_dir()  # kept for the resume
    with pytest.raises(ConfigError, match="lr: was 0.1, now 0.2"):
        prepare_resume_stage(out, {"data": "abc", "lr": 0.2}, resume=True)
    assert (stage / "checkpoints").is_dir()  # a refused resume loses nothing
    prepare_resume_stage(out, {"data": "abc", "lr": 0.2}, resume=False)
    assert not (stage / "checkpoints").exists()  # without --resume: a fresh start


def test_a_label_beyond_1e100_is_a_row_error_in_every_domain():
    """Excel's 9.99E+307 'infinity' is no measurement: squares overflow (null RMSE) and report
    histograms cannot bin it; it is an errors-table row, treated as missing, for every verb."""
    import pandas as pd

    from helixforge.core.errors import RowErrors
    from helixforge.core.supervised import clean_labels

    df = pd.DataFrame({"y": ["1.5", "9.99E+307", "-2e150", "2"]}, index=[2, 3, 4, 5])
    errors = RowErrors("t.csv")
    out = clean_labels(df, ["y"], errors, source="t.csv")
    assert out.index.tolist() == [2, 5]
    reasons = errors.to_frame()["reason"].tolist()
    assert len(reasons) == 2 and all("label too large" in r for r in reasons)


def test_the_rows_a_conformal_coverage_needs_are_named_for_any_coverage():
    import math

    from helixforge.core.supervised.train import rows_for_coverage

    for c in (0.5, 0.8, 0.9, 0.95, 0.99, 0.999):
        assert rows_for_coverage(c) == next(
            n for n in range(1, 10**5) if math.ceil((n + 1) * c) <= n
        )
    assert rows_for_coverage(0.99999999) > 10**7  # the note said "at least None are needed"


def test_a_trained_run_of_no_path_is_named():
    from helixforge.core.errors import InputError
    from helixforge.core.supervised import TrainedRun

    for bad in (None, "", 5):
        with pytest.raises(InputError, match="a run directory is needed"):
            TrainedRun(bad, loader=lambda *a: None)


@pytest.mark.parametrize(
    "pair, negative",
    [
        (["active", "inactive"], "inactive"),
        (["Yes", "no"], "no"),
        (["BBB+", "BBB-"], "BBB-"),
        (["toxic", "non-toxic"], "non-toxic"),
        (["CYP3A4 inhibitor", "CYP3A4 non-inhibitor"], "CYP3A4 non-inhibitor"),
        (["hERG  blocker", "hERG not blocker"], "hERG not blocker"),
        (["benign", "pathogenic"], "benign"),  # no negation named: sorted order kept
    ],
)
def test_a_binary_text_target_puts_its_negative_class_first_in_every_domain(pair, negative):
    # T_prob is P(class 1): 'active'/'inactive' sorted made it P(inactive) in dna and lm runs
    # too (chem alone had the fix), and PR-AUC / F1 scored the negatives as hits.
    from helixforge.core.supervised.tasks import encode_labels

    labels = pd.DataFrame({"t": [pair[1], pair[0], pair[1], None]})
    y, classes = encode_labels(labels, ["t"], ["binary"])
    assert classes["t"][0] == negative
    assert y[:3, 0].tolist() == [float(classes["t"].index(v)) for v in (pair[1], pair[0], pair[1])]
    assert np.isnan(y[3, 0])


def test_whole_number_labels_read_as_classes_say_so_and_how_to_undo_it():
    # rounded logP (3..20 distinct integers) became a multiclass task with one progress line
    from helixforge.core.supervised.tasks import resolve_tasks

    labels = pd.DataFrame({"lipo": [1.0, 2.0, 3.0, 4.0] * 10})
    types, notes = resolve_tasks("auto", labels, ["lipo"], source="lipo.csv")
    assert types == ["multiclass"]
    assert any("4 distinct whole-number values" in n and "--task regression" in n for n in notes)
    types, notes = resolve_tasks("regression", labels, ["lipo"], source="lipo.csv")
    assert types == ["regression"] and notes == []


def test_too_many_text_classes_name_the_file_and_the_column():
    from helixforge.core.supervised.tasks import resolve_tasks

    labels = pd.DataFrame({"dG": [f"-{i}.5 kcal/mol" for i in range(60)]})
    with pytest.raises(ConfigError, match=r"freesolv\.csv: target 'dG': text labels with 60"):
        resolve_tasks("auto", labels, ["dG"], source="freesolv.csv")


def test_every_target_with_a_single_value_is_named_at_once():
    from helixforge.core.supervised import LabelledData
    from helixforge.core.supervised.tasks import check_learnable

    n = 30
    y = np.column_stack([np.zeros(n), np.arange(n) % 2, np.zeros(n), np.ones(n)])
    data = LabelledData(
        frame=pd.DataFrame(index=range(n)), inputs=[f"s{i}" for i in range(n)], y=y,
        targets=["a", "b", "c", "d"], task_types=["binary"] * 4, errors=RowErrors(),
        classes={t: [0.0, 1.0] for t in "abcd"},
    )  # fmt: skip
    with pytest.raises(ConfigError, match="3 of the 4 targets") as err:
        check_learnable(data, "muv.csv")
    assert "'a', 'c', 'd'" in err.value.message


@pytest.mark.parametrize("name", ["preds.csv", "preds.tsv", "preds.csv.gz"])
def test_streamed_predictions_keep_a_carriage_return_in_an_input_cell(tmp_path, name):
    # an input cell holding '\r' (text from old Mac / Excel files) gained a phantom row in
    # the predictions: pandas leaves a lone '\r' unquoted
    from helixforge.core.supervised.predict import stream_chunks
    from helixforge.core.tables import read_table

    chunks = []
    for k, names in enumerate([["aspirin\rlot 7", "caffeine"], ["x\r\ny", "plain"]]):
        chunks.append(tmp_path / f"chunk-{k}.parquet")
        pd.DataFrame({"name": names, "pred": [0.5, 1.5]}).to_parquet(chunks[-1])
    n, _ = stream_chunks(chunks, tmp_path / name)
    back = read_table(tmp_path / name)
    assert n == 4 and back.attrs["rows_in"] == 4
    assert back["name"].tolist() == ["aspirin\rlot 7", "caffeine", "x\r\ny", "plain"]


def test_text_labels_with_a_rare_class_name_that_class():
    """'text labels with 3 classes cannot be modelled' did not say which class was short."""
    from helixforge.core.errors import ConfigError
    from helixforge.core.supervised import detect_task

    labels = ["low"] * 8 + ["high"] * 8 + ["mid"] * 2
    with pytest.raises(ConfigError, match=r"'mid' has 2 rows") as err:
        detect_task(labels)
    assert "merge or drop the rare classes" in err.value.hint
    assert detect_task(["low"] * 8 + ["high"] * 8 + ["mid"] * 5) == "multiclass"


def test_task_names_are_read_whatever_their_case():
    """--task Regression was 'unknown task'."""
    from helixforge.core.supervised.tasks import task_list

    assert task_list("Regression", 2) == ["regression", "regression"]
    assert task_list(" Binary, MULTICLASS", 2) == ["binary", "multiclass"]
    assert task_list(["Auto"], 1) == ["auto"]
