"""`predict_admet` in worker processes: a molecule that kills its worker (a segfault in RDKit or
LightGBM, simulated with SIGSEGV as tests/chem/screen does) goes to the errors table, the other
rows are predicted exactly as without it; a worker that dies on anything stops the job."""

from __future__ import annotations

import os

import pandas as pd
import pytest

from helixforge.chem.admet import ADMETPanel
from helixforge.chem.admet.predict import predict_admet

SMILES = [
    "CCO", "c1ccccc1O", "C1CC((", "CC(=O)Nc1ccc(O)cc1", "", "c1ccccc1C(=O)[O-].[Na+]",
    "CN1CCC[C@H]1c1cccnc1", "C(C)(C)(C)(C)C", "OC1(CCN(CCCC(=O)c2ccc(F)cc2)CC1)c1ccc(Cl)cc1",
    "CCN(CC)CC", "12345", "CC(=O)Oc1ccccc1C(=O)O", "CCCCCCCC", "c1ccncc1", "CC(C)Cc1ccc(cc1)C(C)C(=O)O",
    "OC[C@H]1OC(O)[C@H](O)[C@@H](O)[C@@H]1O", "CCN(CC)CC", "Clc1ccccc1",
]  # fmt: skip
VICTIMS = {"CCN(CC)CC", "CCCCCCCC"}  # canonical SMILES: rows 11 and 18 (triethylamine twice), 14
KILLED_ROWS = [11, 14, 18]  # file lines: the header is line 1
ENDPOINTS = "herg,caco2_wang,qed"


def _lib(tmp_path):
    path = tmp_path / "lib.csv"
    pd.DataFrame({"smiles": SMILES, "id": range(len(SMILES))}).to_csv(path, index=False)
    return path


def _segfault_on(victims, real):
    """ADMETPanel.predict_smiles, but the worker dies (as on a segfault) on a list holding a
    victim; forked workers inherit the patch."""
    import os
    import signal

    def predict_smiles(self, canonical_smiles):
        if victims & set(canonical_smiles):
            os.kill(os.getpid(), signal.SIGSEGV)
        return real(self, canonical_smiles)

    return predict_smiles


def test_a_molecule_that_kills_its_worker_goes_to_the_errors_table(tmp_path, monkeypatch):
    lib = _lib(tmp_path)
    clean = predict_admet(lib, tmp_path / "clean.csv", endpoints=ENDPOINTS, n_jobs=2)
    monkeypatch.setattr(
        ADMETPanel, "predict_smiles", _segfault_on(VICTIMS, ADMETPanel.predict_smiles)
    )
    s = predict_admet(lib, tmp_path / "out.csv", endpoints=ENDPOINTS, n_jobs=2)
    out, errors = pd.read_csv(tmp_path / "out.csv"), pd.read_csv(tmp_path / "out.errors.csv")
    plain = pd.read_csv(tmp_path / "clean.csv")
    plain_errors = pd.read_csv(tmp_path / "clean.errors.csv")
    assert s["rows"] == clean["rows"] == len(SMILES) == len(out) + len(errors)
    # the signal is named when the worker's exit code can be read (usually SIGSEGV here)
    killed = errors["reason"].str.contains(r"(?:killed by SIGSEGV|died) on this molecule")
    assert errors.loc[killed, "row"].tolist() == KILLED_ROWS
    assert errors.loc[killed, "value"].tolist() == [SMILES[r - 2] for r in KILLED_ROWS]
    assert (errors.loc[killed, "column"] == "smiles").all()
    pd.testing.assert_frame_equal(errors[~killed].reset_index(drop=True), plain_errors)
    # every other row: the clean run's values, to the last digit
    expected = plain[~plain["row"].isin(KILLED_ROWS)].reset_index(drop=True)
    pd.testing.assert_frame_equal(out, expected, check_exact=True)
    assert len(expected) == len(plain) - len(KILLED_ROWS)


def _sigkill_in_workers(parent: int):
    """standardize_many, but a worker process dies on any input, even none (as when every
    worker runs out of memory); predict_admet's probe molecule in the parent still passes."""
    import os
    import signal

    from helixforge.chem.standardize import standardize_many

    def run(*args, **kwargs):
        if os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)
        return standardize_many(*args, **kwargs)

    return run


def test_a_worker_that_dies_on_any_input_stops_the_job_without_bisecting(tmp_path, monkeypatch):
    from helixforge.chem import standardize
    from helixforge.core import parallel
    from helixforge.core.errors import WorkerCrashedError

    lib = _lib(tmp_path)
    probes = []
    real = parallel.run_in_fresh_worker

    def counting(fn, *args, **kwargs):
        if fn.__name__ == "_work":  # isolate_killers' runs (parallel_map's own call is _run_chunk)
            probes.append(list(args[0]))
        return real(fn, *args, **kwargs)

    monkeypatch.setattr(standardize, "standardize_many", _sigkill_in_workers(os.getpid()))
    monkeypatch.setattr(parallel, "run_in_fresh_worker", counting)
    with pytest.raises(WorkerCrashedError, match="on a known-good molecule") as info:
        predict_admet(lib, tmp_path / "out.csv", endpoints=ENDPOINTS, n_jobs=2)
    assert f"rows 2–{len(SMILES) + 1} of {lib}" in info.value.message
    assert "no input is to blame" in info.value.hint
    assert probes == [["CCO"]]  # one known-good molecule: no bisection
    assert not (tmp_path / "out.csv").exists()


def test_a_worker_that_dies_whenever_it_predicts_stops_the_job_blaming_no_molecule(
    tmp_path, monkeypatch
):
    # Review finding: the probe ran no molecule, and a sub-chunk with none returns before the
    # models; workers that die in the models on anything passed it, and every molecule was
    # bisected alone (2n fresh workers) into the errors table as "killed on this molecule".
    from helixforge.core import parallel
    from helixforge.core.errors import WorkerCrashedError

    parent, real, runs = os.getpid(), ADMETPanel.predict_smiles, []
    real_fresh = parallel.run_in_fresh_worker

    def predict_smiles(self, canonical_smiles):
        if os.getpid() != parent:
            import signal

            os.kill(os.getpid(), signal.SIGSEGV)
        return real(self, canonical_smiles)

    def counting(fn, *args, **kwargs):
        runs.append(fn.__name__)
        return real_fresh(fn, *args, **kwargs)

    monkeypatch.setattr(ADMETPanel, "predict_smiles", predict_smiles)
    monkeypatch.setattr(parallel, "run_in_fresh_worker", counting)
    with pytest.raises(WorkerCrashedError, match="on a known-good molecule"):
        predict_admet(_lib(tmp_path), tmp_path / "out.csv", endpoints=ENDPOINTS, n_jobs=2)
    assert runs.count("_work") == 1  # the probe only: no bisection
    assert not (tmp_path / "out.csv").exists()


def test_the_reason_says_what_the_signal_suggests():
    from helixforge.chem.admet.predict import _killed_reason
    from helixforge.core.parallel import WorkerDeath

    assert "killed by SIGSEGV on this molecule (a crash in RDKit or LightGBM)" in _killed_reason(
        WorkerDeath(-11)
    )
    assert "killed by SIGKILL" in _killed_reason(WorkerDeath(-9))
    assert "out-of-memory" in _killed_reason(WorkerDeath(-9))
    assert _killed_reason(WorkerDeath(None)).startswith("the worker process died on this molecule")
