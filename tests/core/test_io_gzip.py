"""Same command, same seed -> same bytes, also for gzip outputs.

A gzip header holds a modification time and, when the writer is given a path, the file's
name; outputs are written to a random temporary name and renamed into place (atomic writes),
so `gzip.open(tmp)` / pandas' ``compression="gzip"`` gave other bytes on every run.
`core.io.gzip_stream` / `open_output` write mtime 0 and no name; every gzip writer uses them.
"""

import gzip
import time

import pandas as pd
import pytest

from helixforge.core.io import gzip_stream, open_output
from helixforge.core.tables import read_table, write_table
from helixforge.dna.io.fasta import read_fasta, write_fasta

TABLE = pd.DataFrame({"smiles": ["CCO", "c1ccccc1", "CC(=O)O"], "y": [1.5, 2.0, -0.25]})


def write_at(clock: float, monkeypatch, write, path):
    """Call write(path) with the wall clock at `clock` (what gzip puts in its header)."""
    with monkeypatch.context() as m:
        m.setattr(time, "time", lambda: clock)
        write(path)
    return path.read_bytes()


def header_fields(data: bytes) -> tuple[int, int]:
    """(FLG, MTIME) of a gzip member: FLG bit 3 (FNAME) says a file name follows."""
    return data[3], int.from_bytes(data[4:8], "little")


@pytest.mark.parametrize("name", ["t.csv.gz", "t.tsv.gz"])
def test_the_same_table_gives_the_same_gzip_bytes_at_other_times_and_paths(
    tmp_path, monkeypatch, name
):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = write_at(1e9, monkeypatch, lambda p: write_table(TABLE, p), tmp_path / "a" / name)
    second = write_at(2e9, monkeypatch, lambda p: write_table(TABLE, p), tmp_path / "b" / name)
    assert first == second
    flags, mtime = header_fields(first)
    assert mtime == 0 and not flags & 0x08  # no time, no (temporary) file name
    back = read_table(tmp_path / "a" / name)
    assert back["smiles"].tolist() == TABLE["smiles"].tolist()
    sep = "\t" if name.startswith("t.tsv") else ","
    assert pd.read_csv(tmp_path / "b" / name, sep=sep)["y"].tolist() == [1.5, 2.0, -0.25]


def test_a_table_whose_text_needs_quoting_is_reproducible_when_gzipped(tmp_path, monkeypatch):
    df = pd.DataFrame({"name": ["old\rmac", "plain"], "y": [1, 2]})  # '\r' is quoted
    first = write_at(1e9, monkeypatch, lambda p: write_table(df, p), tmp_path / "x.csv.gz")
    second = write_at(2e9, monkeypatch, lambda p: write_table(df, p), tmp_path / "y.csv.gz")
    assert first == second
    assert pd.read_csv(tmp_path / "y.csv.gz")["name"].tolist() == ["old\rmac", "plain"]


def test_a_plain_table_is_unchanged_by_the_gzip_writer(tmp_path):
    write_table(TABLE, tmp_path / "t.csv")
    write_table(TABLE, tmp_path / "t.csv.gz")
    assert (
        gzip.decompress((tmp_path / "t.csv.gz").read_bytes()) == (tmp_path / "t.csv").read_bytes()
    )
    assert (tmp_path / "t.csv").read_bytes() == TABLE.to_csv(index=False).encode()


def test_write_fasta_gz_gives_the_same_bytes_at_other_times_and_paths(tmp_path, monkeypatch):
    records = {"chr1": "ACGT" * 40, "chr2": "NNACGT"}
    first = write_at(1e9, monkeypatch, lambda p: write_fasta(records, p), tmp_path / "a.fa.gz")
    second = write_at(2e9, monkeypatch, lambda p: write_fasta(records, p), tmp_path / "b.fa.gz")
    assert first == second
    assert {r.id: r.seq for r in read_fasta(tmp_path / "b.fa.gz")} == records


def test_open_output_text_and_binary_read_back_with_gzip(tmp_path):
    with open_output(tmp_path / "t.txt.gz", gz=True) as fh:
        fh.write("line one\nline two ü\n")
    assert gzip.decompress((tmp_path / "t.txt.gz").read_bytes()).decode() == (
        "line one\nline two ü\n"
    )
    with open_output(tmp_path / "t.bin", gz=False, text=False) as fh:
        fh.write(b"\x00raw")
    assert (tmp_path / "t.bin").read_bytes() == b"\x00raw"
    with open(tmp_path / "s.gz", "wb") as raw, gzip_stream(raw) as gz:
        gz.write(b"abc")
    assert header_fields((tmp_path / "s.gz").read_bytes()) == (0, 0)
    assert gzip.decompress((tmp_path / "s.gz").read_bytes()) == b"abc"


def test_open_output_passes_the_first_error_on(tmp_path):
    with pytest.raises(ValueError, match="boom"), open_output(tmp_path / "e.gz", gz=True) as fh:
        fh.write("partial\n")
        raise ValueError("boom")


def test_write_text_gzips_a_gz_name_reproducibly(tmp_path, monkeypatch):
    # 'helix dna annotate predict -o genes.gff3.gz' and 'helix dna design -o designs.fa.gz'
    # wrote plain text under the .gz name (zcat: not in gzip format)
    from helixforge.core.tables import write_text

    first = write_at(1e9, monkeypatch, lambda p: write_text("a\tb\n", p), tmp_path / "a.txt.gz")
    second = write_at(2e9, monkeypatch, lambda p: write_text("a\tb\n", p), tmp_path / "b.txt.gz")
    assert first == second and gzip.decompress(first) == b"a\tb\n"
    assert write_text("plain\n", tmp_path / "c.txt").read_bytes() == b"plain\n"


def test_a_gff3_and_a_designs_fasta_named_gz_are_gzip_and_read_back(tmp_path):
    from helixforge.dna.design.pipeline import write_designs
    from helixforge.dna.io import read_gff, write_gff3

    features = pd.DataFrame(
        {"seqid": ["chr1"], "source": ["x"], "type": ["gene"], "start": [0], "end": [30],
         "score": [0.5], "strand": ["+"], "phase": [None], "id": ["g1"], "parent": [None]}
    )  # fmt: skip
    gff = write_gff3(features, tmp_path / "genes.gff3.gz")
    assert gff.read_bytes()[:2] == b"\x1f\x8b"
    assert read_gff(gff)["start"].tolist() == [0]
    designs = pd.DataFrame(
        {"seed": ["s1"], "rank": [1], "score": [0.9], "edits": ["A3G"], "sequence": ["ACGT" * 20]}
    )
    write_designs(designs, tmp_path / "designs.fa.gz")
    assert (tmp_path / "designs.fa.gz").read_bytes()[:2] == b"\x1f\x8b"
    assert [r.seq for r in read_fasta(tmp_path / "designs.fa.gz")] == ["ACGT" * 20]
