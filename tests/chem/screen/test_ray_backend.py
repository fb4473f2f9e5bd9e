"""The Ray backend on a local cluster (loopback, 2 CPUs) writes the local backend's hits."""

from __future__ import annotations

import pytest

from helixforge.chem.screen import screen_library

ray = pytest.importorskip("ray", reason="Ray is the [scale] extra")


@pytest.mark.slow
def test_ray_gives_the_same_hits_as_local(library, runs, tmp_path):
    kw = dict(
        filters="pains",
        top=12,
        max_per_scaffold=2,
        chunk_size=20,
        score="logp.logp_like_pred + hasn.has_n_prob",
    )
    models = [runs["logp"], runs["hasn"]]
    local = screen_library(library, models, tmp_path / "local.parquet", **kw)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, _node_ip_address="127.0.0.1")
    try:
        remote = screen_library(library, models, tmp_path / "ray.parquet", backend="ray", **kw)
    finally:
        ray.shutdown()
    assert remote["backend"] == "ray" and remote["workers"] == 2
    assert (tmp_path / "local.parquet").read_bytes() == (tmp_path / "ray.parquet").read_bytes()
    assert (tmp_path / "local.errors.csv").read_bytes() == (
        tmp_path / "ray.errors.csv"
    ).read_bytes()
    assert {k: local[k] for k in ("rows", "screened", "errors", "hits")} == {
        k: remote[k] for k in ("rows", "screened", "errors", "hits")
    }
