"""`screen_library` end to end on a tiny library with two tiny trained runs."""

from __future__ import annotations

import sys
import types

import numpy as np
import pandas as pd
import pytest

from helixforge.chem.screen import screen_library
from helixforge.chem.screen.topk import Diversity, order, select_hits
from helixforge.core.errors import ConfigError


def _screen(library, runs, tmp_path, name="hits.parquet", **kw):
    models = kw.pop("models", [runs["logp"], runs["hasn"]])
    kw.setdefault("all_out", tmp_path / f"all_{name}")
    return screen_library(
        library, models, tmp_path / name, chunk_size=kw.pop("chunk_size", 40), **kw
    )


def brute_force(all_rows: pd.DataFrame, filters, top: int, diversity=Diversity()) -> list[int]:
    """The hit rule applied to every screened row at once."""
    ok = np.isfinite(all_rows["score"].to_numpy(float))
    for f in filters:
        ok &= all_rows[f"pass_{f}"].to_numpy(bool)
    ordered = order(all_rows[ok])
    return ordered["row"].iloc[select_hits(ordered, top, diversity)].tolist()


def test_hits_are_the_brute_force_top_k_and_every_row_is_accounted_for(library, runs, tmp_path):
    s = _screen(
        library,
        runs,
        tmp_path,
        filters="lipinski,pains",
        top=15,
        score="logp.logp_like_pred - hasn.has_n_prob",
    )
    hits = pd.read_parquet(tmp_path / "hits.parquet")
    rows = pd.read_parquet(tmp_path / "all_hits.parquet")
    errors = pd.read_csv(tmp_path / "hits.errors.csv")
    assert s["rows"] == 135 == len(rows) + len(errors) and s["errors"] == 2 and s["exact"]
    assert errors["row"].tolist() == [135, 136] and set(errors["column"]) == {"smiles"}
    assert hits["row"].tolist() == brute_force(rows, ["lipinski", "pains"], 15)
    assert hits["rank"].tolist() == list(range(1, 16))
    assert hits["score"].is_monotonic_decreasing and hits["canonical_smiles"].is_unique
    expected = rows["logp.logp_like_pred"] - rows["hasn.has_n_prob"]
    np.testing.assert_allclose(rows["score"], expected)
    assert {"id", "smiles", "logp.ad_similarity", "hasn.has_n_set", "alerts"} <= set(hits.columns)


def test_a_molecule_failing_a_filter_is_kept_in_all_out_but_never_a_hit(library, runs, tmp_path):
    _screen(library, runs, tmp_path, filters=["pains", "brenk", "lipinski"], top=1000)
    rows = pd.read_parquet(tmp_path / "all_hits.parquet").set_index("id")
    hits = pd.read_parquet(tmp_path / "hits.parquet")
    assert not rows.loc["mol128", "pass_pains"] and "pains:catechol" in rows.loc["mol128", "alerts"]
    assert not rows.loc["mol129", "pass_brenk"] and "brenk:" in rows.loc["mol129", "alerts"]
    assert not rows.loc["mol130", "pass_lipinski"]
    failed = set(rows.index[~(rows.pass_pains & rows.pass_brenk & rows.pass_lipinski)])
    assert failed and not failed & set(hits["id"])
    # benzoic acid is in the library three times (mol6, a sodium salt, again): one hit, mol6
    acid = hits[hits["canonical_smiles"] == "O=C(O)c1ccccc1"]
    assert acid["id"].tolist() == ["mol6"]
    assert (rows["canonical_smiles"] == "O=C(O)c1ccccc1").sum() == 3


@pytest.mark.parametrize(
    "kw", [{"max_per_scaffold": 1}, {"max_per_scaffold": 2, "min_distance": 0.3}]
)
def test_diversity_rules_match_the_greedy_rule_on_all_rows(library, runs, tmp_path, kw):
    _screen(library, runs, tmp_path, top=12, chunk_size=9, **kw)
    hits = pd.read_parquet(tmp_path / "hits.parquet")
    rows = pd.read_parquet(tmp_path / "all_hits.parquet")
    assert hits["row"].tolist() == brute_force(rows, [], 12, Diversity(**kw))
    assert hits["scaffold"].value_counts().max() <= kw["max_per_scaffold"]


def test_chunk_size_and_worker_count_do_not_change_the_hits(library, runs, tmp_path):
    a = _screen(library, runs, tmp_path, "a.parquet", top=20, chunk_size=1000, max_per_scaffold=2)
    b = _screen(
        library, runs, tmp_path, "b.parquet", top=20, chunk_size=7, n_jobs=2, max_per_scaffold=2
    )
    assert a["hits"] == b["hits"] == 20
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "all_a.parquet"), pd.read_parquet(tmp_path / "all_b.parquet")
    )


def test_sdf_gz_library(tmp_path, runs, smiles_list):
    import gzip

    from rdkit import Chem

    with gzip.open(tmp_path / "lib.sdf.gz", "wt") as fh:
        for i, s in enumerate(smiles_list[:40]):
            mol = Chem.MolFromSmiles(s)
            mol.SetProp("_Name", f"Z{i}")
            fh.write(Chem.MolToMolBlock(mol) + "$$$$\n")
    s = _screen(tmp_path / "lib.sdf.gz", runs, tmp_path, "hits.csv", top=5, all_out=None)
    hits = pd.read_csv(tmp_path / "hits.csv")
    assert s["rows"] == s["screened"] == 40 and len(hits) == 5
    assert hits["name"].str.startswith("Z").all() and hits["row"].between(1, 40).all()


def test_a_racemate_is_not_a_repeat_of_one_of_its_enantiomers(tmp_path, runs):
    # a hit repeats an earlier one when their canonical SMILES are equal: racemic threonine
    # ('|&1:1,3|', quoted for its commas) had (2S,3R)-threonine's, so it was dropped as a repeat
    # of it; it is a repeat of the threonine written without stereo
    lib = tmp_path / "lib.csv"
    lib.write_text(
        "id,smiles\n"
        "pure,C[C@@H](O)[C@H](N)C(=O)O\n"
        'racemate,"C[C@@H](O)[C@H](N)C(=O)O |&1:1,3|"\n'
        "flat,CC(O)C(N)C(=O)O\n"
        "mirror,C[C@H](O)[C@@H](N)C(=O)O\n"
    )
    _screen(lib, runs, tmp_path, "hits.csv", top=10, all_out=None, models=[runs["logp"]])
    hits = pd.read_csv(tmp_path / "hits.csv").sort_values("row")
    assert hits["id"].tolist() == ["pure", "racemate", "mirror"]
    assert hits["canonical_smiles"].tolist()[1] == "CC(O)C(N)C(=O)O"


def test_default_score_is_the_first_models_probability(library, runs, tmp_path):
    s = _screen(library, runs, tmp_path, models=[f"n={runs['hasn']}", runs["logp"]], top=3)
    assert s["score"] == "`n.has_n_prob`"
    hits = pd.read_parquet(tmp_path / "hits.parquet")
    np.testing.assert_allclose(hits["score"], hits["n.has_n_prob"])


def test_admet_columns_can_be_scored(library, runs, tmp_path, monkeypatch):
    class FakePanel:  # the agreed helixforge.chem.admet API, so the test does not need weights
        endpoints = ["herg"]

        def __init__(self, endpoints=None, option="--endpoints"):
            pass

        def predict_smiles(self, smiles):
            return pd.DataFrame({"admet_herg": [len(s) / 100 for s in smiles]})

    monkeypatch.setitem(
        sys.modules, "helixforge.chem.admet", types.SimpleNamespace(ADMETPanel=FakePanel)
    )
    _screen(library, runs, tmp_path, admet=True, top=5, score="logp.logp_like_pred - admet_herg")
    hits = pd.read_parquet(tmp_path / "hits.parquet")
    np.testing.assert_allclose(hits["admet_herg"], hits["canonical_smiles"].str.len() / 100)
    np.testing.assert_allclose(hits["score"], hits["logp.logp_like_pred"] - hits["admet_herg"])


def test_a_bad_score_is_refused_before_any_work(library, runs, tmp_path):
    with pytest.raises(ConfigError, match="admet_herg") as exc:
        _screen(library, runs, tmp_path, score="logp.logp_like_pred - admet_herg")
    assert "logp.logp_like_pred" in exc.value.hint  # the available columns are listed
    assert not list(tmp_path.glob("*hits*")) and not list(tmp_path.glob(".*partial"))


def test_kill_9_then_resume_loses_and_repeats_no_row(library, runs, tmp_path):
    from kill9 import kill_after_first_chunk
    from typer.testing import CliRunner

    from helixforge.cli.app import app

    def args(out, *extra):
        return ["chem", "screen", str(library), "--model", str(runs["logp"]), "--filters", "pains",
                "--top", "10", "-o", str(out), "--all-out", str(out.with_name("all_" + out.name)),
                "--chunk-size", "30", "--jobs", "1", "-q", *extra]  # fmt: skip

    out = tmp_path / "killed.parquet"
    kill_after_first_chunk(args(out), tmp_path / "marker")
    stage = tmp_path / ".killed.parquet.partial"
    assert not out.exists() and (stage / "pool-000000.parquet").exists()
    runner = CliRunner()
    res = runner.invoke(app, args(out, "--top", "11", "--resume"))
    assert res.exit_code == 2 and "top" in res.output and not out.exists()
    res = runner.invoke(app, args(out, "--resume"))
    assert res.exit_code == 0, res.output
    fresh = tmp_path / "fresh.parquet"
    assert runner.invoke(app, args(fresh)).exit_code == 0
    assert out.read_bytes() == fresh.read_bytes()
    killed_all = pd.read_parquet(tmp_path / "all_killed.parquet")
    assert killed_all["row"].is_unique and len(killed_all) == 133
    pd.testing.assert_frame_equal(killed_all, pd.read_parquet(tmp_path / "all_fresh.parquet"))
    assert (tmp_path / "killed.errors.csv").read_bytes() == (
        tmp_path / "fresh.errors.csv"
    ).read_bytes()
    assert not stage.exists()


def test_predictions_equal_helix_chem_predict(library, runs, tmp_path):
    from helixforge.chem.predict import predict_property

    _screen(library, runs, tmp_path, top=3, models=[runs["hasn"]])
    predict_property(runs["hasn"], library, tmp_path / "pred.parquet")
    screened = pd.read_parquet(tmp_path / "all_hits.parquet").set_index("row")
    predicted = pd.read_parquet(tmp_path / "pred.parquet").set_index("row")
    assert screened.index.tolist() == predicted.index.tolist()
    for col in ("has_n_prob", "has_n_pred", "ad_similarity", "in_domain"):
        np.testing.assert_array_equal(screened[f"hasn.{col}"], predicted[col])


def test_the_shipped_admet_panel_plugs_into_the_score(library, runs, tmp_path):
    from helixforge.chem.admet import ADMETPanel
    from helixforge.chem.admet.weights import WEIGHTS_DIR, available_endpoints

    if "herg" not in available_endpoints(WEIGHTS_DIR):
        pytest.skip("the hERG weights are not shipped in this build")
    s = _screen(
        library, runs, tmp_path, admet=["herg"], top=5, score="logp.logp_like_pred - admet_herg"
    )
    hits = pd.read_parquet(tmp_path / "hits.parquet")
    assert s["hits"] == 5 and {"admet_herg", "admet_herg_pct"} <= set(hits.columns)
    direct = ADMETPanel(["herg"]).predict_smiles(hits["canonical_smiles"].tolist())
    np.testing.assert_allclose(hits["admet_herg"], direct["admet_herg"])
    np.testing.assert_allclose(hits["score"], hits["logp.logp_like_pred"] - hits["admet_herg"])


def test_resume_with_a_changed_library_or_model_is_refused(library, runs, tmp_path, monkeypatch):
    import helixforge.chem.screen.run as run

    def crash(*args, **kwargs):
        raise KeyboardInterrupt  # as if the job died after its last checkpoint

    monkeypatch.setattr(run, "_finish", crash)
    with pytest.raises(KeyboardInterrupt):
        _screen(library, runs, tmp_path, top=5, all_out=None)
    monkeypatch.undo()
    assert (tmp_path / ".hits.parquet.partial" / "state.json").exists()
    library.write_text(library.read_text() + "CCCCO\n")
    with pytest.raises(ConfigError, match="library"):
        _screen(library, runs, tmp_path, top=5, all_out=None, resume=True)


@pytest.mark.parametrize(
    "kw",
    [
        {"filters": "pains,brenk,lipinski", "top": 3},
        {"filters": "pains,brenk", "top": 2, "max_per_scaffold": 1},
        {"filters": "lipinski", "top": 2, "min_distance": 0.4, "max_per_scaffold": 2},
        {"filters": "pains", "top": 3, "score": "logp.logp_like_pred + pass_pains"},
    ],
    ids=["filters", "scaffold", "distance", "score-reads-a-filter"],
)
def test_deferred_filters_give_the_hits_of_filtering_every_row(library, runs, tmp_path, kw):
    """Without --all-out, filters and scaffolds run only on each chunk's best candidates."""
    lazy = _screen(library, runs, tmp_path, "lazy.parquet", all_out=None, chunk_size=60, **kw)
    eager = _screen(library, runs, tmp_path, "eager.parquet", chunk_size=60, **kw)
    assert (tmp_path / "lazy.parquet").read_bytes() == (tmp_path / "eager.parquet").read_bytes()
    assert lazy["exact"] and eager["exact"] and lazy["hits"] == eager["hits"]
    if "score" not in kw:
        assert lazy["filtered"] < eager["filtered"] == eager["screened"]


def test_a_run_replaced_in_place_is_loaded_again(library, runs, tmp_path):
    import shutil

    run = tmp_path / "pic50"
    shutil.copytree(runs["logp"], run)
    first = _screen(library, runs, tmp_path, "a.parquet", models=[run], all_out=None, top=3)
    shutil.rmtree(run)
    shutil.copytree(runs["hasn"], run)  # retrained under the same folder name
    second = _screen(library, runs, tmp_path, "b.parquet", models=[run], all_out=None, top=3)
    assert first["score"] == "`pic50.logp_like_pred`" and second["score"] == "`pic50.has_n_prob`"


def test_a_run_trained_with_several_threads_screens_in_several_processes(
    tmp_path, make_table, fast_gbm, library
):
    """A run trained with --jobs 2 (LightGBM threads 2) screened with --jobs 2: worker
    processes forked after the parent predicted once did hang in LightGBM's OpenMP pool.
    Run in a subprocess so a regression fails on the timeout instead of hanging the suite."""
    import subprocess

    from helixforge.chem.train import train_property_model

    make_table().to_csv(tmp_path / "train.csv", index=False)
    train_property_model(
        tmp_path / "train.csv", "smiles", ["logp_like"], model="gbm",
        model_params={**fast_gbm, "num_threads": 2}, out=tmp_path / "run", report=False,
    )  # fmt: skip
    code = (
        "import sys; from helixforge.chem.screen import screen_library; "
        "s = screen_library(sys.argv[1], [sys.argv[2]], sys.argv[3], chunk_size=40, n_jobs=2); "
        "print(s['rows'])"
    )
    args = [str(library), str(tmp_path / "run"), str(tmp_path / "hits.csv")]
    res = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.split()[-1] == "135"


@pytest.mark.parametrize("deferred", [False, True])
def test_library_columns_named_like_screen_outputs_are_kept_as_input_columns(
    library, runs, tmp_path, deferred
):
    """A vendor library with a 'rank' column crashed at the end (ValueError: cannot insert
    rank, already exists); one named like a model or filter output silently replaced the
    computed value (the input's 'logp.logp_like_pred' was scored). They are kept as input_*."""
    df = pd.read_csv(library)
    clash = ["rank", "score", "row", "qed", "alerts", "logp.logp_like_pred"]
    for c in clash:
        df[c] = 123.0
    df.to_csv(tmp_path / "lib.csv", index=False)
    kw = {"filters": "qed,pains"} if deferred else {"filters": "pains"}
    _screen(tmp_path / "lib.csv", runs, tmp_path, models=[runs["logp"]], top=5, **kw)
    rows = pd.read_parquet(tmp_path / "all_hits.parquet")
    hits = pd.read_parquet(tmp_path / "hits.parquet")
    assert {f"input_{c}" for c in clash} <= set(rows.columns)
    assert (rows["input_logp.logp_like_pred"].astype(float) == 123.0).all()  # read as text
    assert not (rows["logp.logp_like_pred"] == 123.0).any()
    np.testing.assert_allclose(rows["score"], rows["logp.logp_like_pred"])
    assert hits["rank"].tolist() == [1, 2, 3, 4, 5]


def test_a_library_column_screen_does_not_compute_keeps_its_name_for_the_score(
    library, runs, tmp_path
):
    """A precomputed 'qed' column without the qed filter (or 'admet_herg' without --admet)
    is the library's own: --score may use it by name."""
    df = pd.read_csv(library)
    df["qed"], df["admet_herg"] = 0.5, 0.25
    df.to_csv(tmp_path / "lib.csv", index=False)
    score = "logp.logp_like_pred + qed - admet_herg"
    _screen(tmp_path / "lib.csv", runs, tmp_path, models=[runs["logp"]], top=5, score=score)
    rows = pd.read_parquet(tmp_path / "all_hits.parquet")
    np.testing.assert_allclose(rows["score"], rows["logp.logp_like_pred"] + 0.25)


def _killing_screen_chunk(victims):
    """screen_chunk, but the worker dies (as on a segfault in RDKit) on a chunk holding a victim."""
    import os
    import signal

    from helixforge.chem.screen.pipeline import screen_chunk

    def run(frame, errors, config):
        if frame["smiles"].isin(victims).any():
            os.kill(os.getpid(), signal.SIGSEGV)
        return screen_chunk(frame, errors, config)

    return run


def test_a_molecule_that_kills_its_worker_goes_to_the_errors_table(
    library, runs, tmp_path, monkeypatch
):
    from helixforge.chem.screen import local

    lib = pd.read_csv(library)
    victims = [lib["smiles"][10], lib["smiles"][61]]
    _screen(library, runs, tmp_path, "plain.parquet", top=20, chunk_size=9)
    monkeypatch.setattr(local, "_start_method", lambda: "fork")  # workers inherit the patch
    monkeypatch.setattr(local, "screen_chunk", _killing_screen_chunk(victims))
    s = _screen(library, runs, tmp_path, "hits.parquet", top=20, chunk_size=9, n_jobs=2)
    rows = pd.read_parquet(tmp_path / "all_hits.parquet")
    errors = pd.read_csv(tmp_path / "hits.errors.csv")
    assert s["rows"] == 135 == len(rows) + len(errors)  # no row lost, none twice
    # the signal is named when the worker's exit code can be read (usually SIGSEGV here)
    killed = errors[errors["reason"].str.contains(r"(?:killed by \w+|died) on this molecule")]
    assert killed["row"].tolist() == [12, 63]  # file lines: the header is line 1
    assert killed["value"].tolist() == victims
    plain = pd.read_parquet(tmp_path / "all_plain.parquet")
    pd.testing.assert_frame_equal(rows, plain[~plain["row"].isin([12, 63])].reset_index(drop=True))


def _always_dies(frame, errors, config):
    import os
    import signal

    os.kill(os.getpid(), signal.SIGKILL)


def test_a_worker_that_dies_on_any_input_stops_the_screen_without_bisecting(
    library, runs, tmp_path, monkeypatch
):
    from helixforge.chem.screen import local
    from helixforge.core.errors import WorkerCrashedError

    runs_alone = []
    real = local._run_alone
    monkeypatch.setattr(local, "_start_method", lambda: "fork")
    monkeypatch.setattr(local, "screen_chunk", _always_dies)
    monkeypatch.setattr(local, "_run_alone", lambda *a: runs_alone.append(1) or real(*a))
    with pytest.raises(WorkerCrashedError, match="on a known-good molecule") as info:
        _screen(library, runs, tmp_path, top=20, chunk_size=40, n_jobs=2)
    assert "lines 2–41 of the library" in info.value.message
    assert len(runs_alone) == 2  # the chunk alone, then a known-good molecule: no bisection


def test_a_screen_started_by_another_helixforge_version_is_not_resumed(tmp_path, monkeypatch):
    """Screen's checkpoint key held no version: after an upgrade --resume merged chunks of
    two versions into one hits table."""
    import helixforge
    from helixforge.chem.screen.run import _resume_state
    from helixforge.core.checkpoints import VERSION_FIELD

    stage = tmp_path / ".hits.parquet.partial"
    state = _resume_state(stage, {"library": "ab" * 32}, resume=False)
    assert state["key"][VERSION_FIELD] == helixforge.__version__
    assert _resume_state(stage, {"library": "ab" * 32}, resume=True)["done"] == []
    monkeypatch.setattr(helixforge, "__version__", "99.0.0")
    with pytest.raises(ConfigError, match="this is helixforge 99.0.0"):
        _resume_state(stage, {"library": "ab" * 32}, resume=True)
