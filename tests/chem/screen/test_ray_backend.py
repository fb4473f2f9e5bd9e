"""The Ray backend on a local cluster (loopback, 2 CPUs) writes the local backend's hits."""

from __future__ import annotations

import pytest

from helixforge.chem.screen import screen_library

ray = pytest.importorskip("ray", reason="Ray is the [scale] extra")
# `make test` runs these after the parallel run, on a quiet machine: Ray 2.x kills its raylet
# when the dashboard agent takes over 15 s to start (ray-project/ray#65983), as it can while
# the other pytest-xdist worker keeps both cores busy
pytestmark = pytest.mark.ray


@pytest.fixture(scope="module")
def cluster():
    """One local Ray cluster (loopback, 2 CPUs) for the module: starting one takes seconds."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, _node_ip_address="127.0.0.1")
    yield
    ray.shutdown()


@pytest.mark.slow
def test_ray_gives_the_same_hits_as_local(library, runs, cluster, tmp_path):
    kw = dict(
        filters="pains",
        top=12,
        max_per_scaffold=2,
        chunk_size=20,
        score="logp.logp_like_pred + hasn.has_n_prob",
    )
    models = [runs["logp"], runs["hasn"]]
    local = screen_library(library, models, tmp_path / "local.parquet", **kw)
    remote = screen_library(library, models, tmp_path / "ray.parquet", backend="ray", **kw)
    assert remote["backend"] == "ray" and remote["workers"] == 2
    assert (tmp_path / "local.parquet").read_bytes() == (tmp_path / "ray.parquet").read_bytes()
    assert (tmp_path / "local.errors.csv").read_bytes() == (
        tmp_path / "ray.errors.csv"
    ).read_bytes()
    assert {k: local[k] for k in ("rows", "screened", "errors", "hits")} == {
        k: remote[k] for k in ("rows", "screened", "errors", "hits")
    }


@pytest.mark.slow
def test_ray_and_local_pick_acyclic_molecules_each_as_its_own_scaffold(runs, cluster, tmp_path):
    """--max-per-scaffold 1 on a library of acyclic molecules (all with the empty scaffold)
    gave one hit; each is its own group now, on both backends."""
    import pandas as pd

    acyclic = ["CCO", "CCN", "CCCC", "CC(=O)O", "NCCN", "OCCO", "CCCl", "CCOC", "CCCCO", "CCCN"]
    library = tmp_path / "acyclic.csv"
    pd.DataFrame({"smiles": acyclic + ["c1ccccc1C", "c1ccccc1CC"]}).to_csv(library, index=False)
    kw = dict(top=8, max_per_scaffold=1, chunk_size=3, score="logp.logp_like_pred")
    local = screen_library(library, [runs["logp"]], tmp_path / "local.parquet", **kw)
    remote = screen_library(library, [runs["logp"]], tmp_path / "ray.parquet", backend="ray", **kw)
    hits = pd.read_parquet(tmp_path / "local.parquet")
    assert local["hits"] == remote["hits"] == 8
    assert (hits["scaffold"] == "").sum() >= 7  # at most one benzene, the rest acyclic
    assert (tmp_path / "local.parquet").read_bytes() == (tmp_path / "ray.parquet").read_bytes()
