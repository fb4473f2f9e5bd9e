"""The on-disk index build: the same files as an index built in memory, in bounded memory."""

from __future__ import annotations

import numpy as np
import pytest

from helixforge.crispr.offtarget_build import NpyAppender, seed_tables, write_index_files
from helixforge.crispr.offtarget_index import OfftargetIndex


def _genome(tmp_path):
    """Two contigs with N runs, an N inside a site, soft-masked stretches, IUPAC codes, U."""
    rng = np.random.default_rng(3)
    chr1 = "".join(rng.choice(list("ACGT"), 30_000))
    chr2 = "".join(rng.choice(list("ACGT"), 12_000))
    chr1 = chr1[:1000] + "N" * 50 + chr1[1050:5000] + chr1[5000:7000].lower() + chr1[7000:]
    chr2 = chr2[:300] + "ACGTRYACGNACGTACGTACGAGG" + chr2[324:9000] + "U" + chr2[9001:]
    path = tmp_path / "g.fa"
    path.write_text(f">chr1\n{chr1}\n>chr2 second\n{chr2}\n>tiny\nACG\n")
    return path


def test_an_appended_npy_file_is_the_file_np_save_writes(tmp_path):
    values = np.arange(10_000, dtype=np.uint64) * 7
    with NpyAppender(tmp_path / "a.npy", np.uint64) as out:
        for part in np.array_split(values, 7):
            out.append(part)
    np.save(tmp_path / "b.npy", values)
    assert (tmp_path / "a.npy").read_bytes() == (tmp_path / "b.npy").read_bytes()
    with NpyAppender(tmp_path / "empty.npy", np.uint32):
        pass
    assert np.load(tmp_path / "empty.npy").shape == (0,)


def test_chunked_seed_tables_equal_one_stable_sort():
    rng = np.random.default_rng(0)
    codes = rng.integers(0, 2**40, 5_000, dtype=np.uint64)
    flags = (rng.random(5_000) < 0.05).astype(np.uint8) * 4  # FLAG_N: left out of the tables
    whole = seed_tables(codes, flags, 20, chunk=10**9)
    for chunk in (7, 999, 4096):
        for (a, oa), (b, ob) in zip(whole, seed_tables(codes, flags, 20, chunk=chunk)):
            assert np.array_equal(a, b) and np.array_equal(oa, ob)
    clean = np.flatnonzero(flags == 0)
    order, offsets = whole[1]
    keys = (codes >> np.uint64(0)) & np.uint64(4**10 - 1)
    assert sorted(order.tolist()) == clean.tolist()
    assert np.all(np.diff(keys[order].astype(np.int64)) >= 0)
    assert offsets[-1] == len(clean)


@pytest.mark.parametrize("chunks", [{}, {"chunk_sites": 97, "seed_chunk": 1000}])
def test_the_on_disk_build_writes_the_in_memory_index_byte_for_byte(tmp_path, chunks):
    genome = _genome(tmp_path)
    OfftargetIndex.build(str(genome), "spcas9").save(tmp_path / "memory")
    (tmp_path / "disk").mkdir()
    meta = write_index_files(str(genome), "spcas9", None, tmp_path / "disk", **chunks)
    names = sorted(p.name for p in (tmp_path / "memory").glob("*.npy"))
    assert names == sorted(p.name for p in (tmp_path / "disk").glob("*.npy"))
    for name in names:
        assert (tmp_path / "memory" / name).read_bytes() == (tmp_path / "disk" / name).read_bytes()
    ref = OfftargetIndex.load(tmp_path / "memory").meta
    assert meta["n_sites"] == ref["n_sites"] > 0 and meta["n_sites_with_n"] == ref["n_sites_with_n"]
    assert meta["notes"] == ref["notes"] and meta["contigs"] == ["chr1", "chr2", "tiny"]


def test_build_index_writes_on_disk_the_index_a_search_reads(tmp_path):
    from helixforge.core.artifacts import load_json
    from helixforge.crispr.offtarget import build_index, find_offtargets

    genome = _genome(tmp_path)
    a = build_index(str(genome), "spcas9", out=tmp_path / "a")
    build_index(str(genome), "spcas9", out=tmp_path / "b")
    assert a.meta["build_seconds"] >= 0 and a.path == tmp_path / "a"
    for name in sorted(p.name for p in (tmp_path / "a").iterdir()):
        if name != "timings.json":  # the same genome and options: the same bytes
            assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert "build_seconds" in load_json(tmp_path / "a" / "timings.json")
    from helixforge.crispr.offtarget import decode_codes

    sites = decode_codes(np.asarray(a.codes[[5, 500, 5000]]), 20)  # guides with an on-target
    spacers = ["".join("ACGT"[b] for b in row) for row in sites]
    on_disk = find_offtargets(spacers, tmp_path / "a", max_mismatches=4).sites
    in_memory = find_offtargets(spacers, str(genome), max_mismatches=4).sites
    cols = ["spacer", "contig", "start", "strand", "mismatches"]
    assert len(on_disk) > 0
    assert on_disk[cols].sort_values(cols).values.tolist() == (
        in_memory[cols].sort_values(cols).values.tolist()
    )


def test_a_genome_too_big_to_index_in_memory_is_refused_before_any_work(tmp_path, monkeypatch):
    from helixforge.core.errors import ConfigError
    from helixforge.crispr import offtarget_index
    from helixforge.crispr.offtarget import find_offtargets

    genome = _genome(tmp_path)
    monkeypatch.setattr(offtarget_index, "available_memory", lambda: 100 * 2**20)
    with pytest.raises(ConfigError, match="helix crispr index") as info:
        find_offtargets(["ACGTACGTACGTACGTACGT"], str(genome), max_mismatches=3)
    assert "GB is available" in info.value.message
