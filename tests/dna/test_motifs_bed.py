"""BED output of motif hits: valid BED6 whatever the names hold, and the same bytes each run.

BED is tab-separated, headerless and unquoted: a motif or sequence name holding a tab, '\\r'
or '\\n' (a motif file with Windows line ends, a pasted name) split the line, and pandas'
quoting ('"a""b"') is not BED either. `hits_to_bed` drops such characters at the ends of a
name and writes '_' for them inside; the hits table (.tsv / .parquet) keeps the names.
"""

import gzip
import time

import numpy as np
import pandas as pd

from helixforge.dna.motifs import Motif, scan, write_hits


def counts_for(consensus: str, strength: float = 20.0) -> np.ndarray:
    c = np.ones((len(consensus), 4))
    for i, b in enumerate(consensus):
        c[i, "ACGT".index(b)] = strength
    return c


SEQS = {"chr1": "TT" + "AGATAAGA" + "TTTT" + "CACGTGAC" + "TT", "chr\r2": "GG" + "AGATAAGA"}


def bed_lines(path) -> list[list[str]]:
    raw = path.read_bytes()
    if path.name.endswith(".gz"):
        raw = gzip.decompress(raw)
    text = raw.decode("utf-8")
    assert text.endswith("\n") and "\r" not in text
    return [line.split("\t") for line in text.split("\n")[:-1]]


def test_names_holding_cr_tab_newline_or_quotes_give_valid_bed6(tmp_path):
    motifs = [
        Motif("T0001.1", "GATA-like\r", counts_for("AGATAAGA")),  # a CRLF motif file
        Motif("T0002.1", 'E\tbox\n"bHLH"', counts_for("CACGTGAC")),
    ]
    hits = scan(SEQS, motifs)
    assert len(hits) >= 3
    bed = write_hits(hits, tmp_path / "h.bed")
    lines = bed_lines(bed)
    assert len(lines) == len(hits) and all(len(f) == 6 for f in lines)
    names = {f[3] for f in lines}
    assert names == {"T0001.1_GATA-like", 'T0002.1_E_box_"bHLH"'}
    assert {f[0] for f in lines} == {"chr1", "chr_2"}
    back = pd.read_csv(bed, sep="\t", header=None, quoting=3)  # QUOTE_NONE, as BED readers
    assert back.shape == (len(hits), 6)
    assert (
        back[1].tolist() == hits["start"].tolist() and back[5].tolist() == hits["strand"].tolist()
    )
    # the hits table keeps the names as read
    tsv = write_hits(hits, tmp_path / "h.parquet")
    assert set(pd.read_parquet(tsv)["name"]) == {"GATA-like\r", 'E\tbox\n"bHLH"'}


def test_bed_gz_gives_the_same_bytes_at_other_times_and_paths(tmp_path, monkeypatch):
    hits = scan(SEQS, [Motif("T0001.1", "GATA-like", counts_for("AGATAAGA"))])
    outs = []
    for clock, folder in [(1e9, "a"), (2e9, "b")]:
        with monkeypatch.context() as m:
            m.setattr(time, "time", lambda clock=clock: clock)
            outs.append(write_hits(hits, tmp_path / folder / "hits.bed.gz").read_bytes())
    assert outs[0] == outs[1]
    assert bed_lines(tmp_path / "a" / "hits.bed.gz")[0][:4] == [
        "chr1",
        "2",
        "10",
        "T0001.1_GATA-like",
    ]
