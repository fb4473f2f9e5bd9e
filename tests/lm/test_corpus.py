import numpy as np
import pytest

from helixforge.core.errors import InputError
from helixforge.lm.corpus import FastaCorpus, LineCorpus, open_corpus, randomize_smiles


def test_fasta_windows_skip_n_and_hold_out_a_record(genome):
    c = open_corpus(genome, window=200, seed=1)
    assert isinstance(c, FastaCorpus)
    assert "chr2" in c.describe()  # the last record is the validation hold-out
    train = c.sample(40, step=0)
    assert all(len(w) == 200 and set(w) <= set("ACGT") for w in train)
    assert c.sample(5, step=3) == c.sample(5, step=3)  # deterministic per step (resume)
    valid = c.validation(4)
    assert valid and all(len(w) == 200 for w in valid)
    # training windows never come from the held-out record
    assert [n for n, _ in c.train] == ["chr1"]


def test_single_record_holds_out_a_region(tmp_path):
    rng = np.random.default_rng(0)
    seq = "".join(rng.choice(list("ACGT"), 4000))
    f = tmp_path / "one.fa"
    f.write_text(">only\n" + seq + "\n")
    c = FastaCorpus(f, window=100, valid_fraction=0.1)
    assert "last 10%" in c.describe()
    tail = seq[3600:]
    rc = str.maketrans("ACGT", "TGCA")
    for w in c.validation(6):
        assert w in tail or w.translate(rc)[::-1] in tail
    assert sum(len(s) for _, s in c.train) == 3600


def test_line_corpus_streams_holds_out_and_resumes(smiles_file):
    c = LineCorpus(smiles_file, seed=0, valid_every=10, shuffle_buffer=16)
    valid = c.validation(100)
    assert len(valid) == 24  # lines 10, 20, … of 241 (header = line 1)
    first = c.sample(8)
    state = c.state()
    c2 = LineCorpus(smiles_file, seed=0, valid_every=10, shuffle_buffer=16)
    c2.restore(state)
    assert c2._consumed == state["consumed"] and len(c2.sample(3)) == 3
    assert all(isinstance(s, str) and s for s in first)


def test_randomized_smiles_is_the_same_molecule():
    import random

    from rdkit import Chem

    s = randomize_smiles("CC(=O)Nc1ccc(O)cc1", random.Random(0))
    assert Chem.CanonSmiles(s) == Chem.CanonSmiles("CC(=O)Nc1ccc(O)cc1")


def test_missing_corpus_is_a_clear_error(tmp_path):
    with pytest.raises(InputError, match="not found"):
        open_corpus(tmp_path / "nope.fa")


def _mirror():
    from helixforge.datasets.registry import mirror_root

    return mirror_root()


@pytest.mark.skipif(_mirror() is None, reason="shared data mirror (../shared/data) not present")
def test_real_corpora_stream_without_loading_everything():
    root = _mirror()
    ecoli = root / "genomics/genomes/ecoli_k12_mg1655_GCF_000005845.2_ASM584v2_genomic.fna.gz"
    moses = root / "chem/corpora/moses_train.csv.gz"
    if not ecoli.exists() or not moses.exists():
        pytest.skip("E. coli genome or MOSES corpus missing from the mirror")
    g = open_corpus(ecoli, window=300)
    assert "last 5% of NC_000913.3" in g.describe()
    assert all(len(w) == 300 for w in g.sample(4, step=0))
    m = open_corpus(moses)
    assert len(m.validation(5)) == 5  # reads ~250 of 1.6 M lines
    assert len(m.sample(3)) == 3


def test_sample_of_short_records_gives_the_records(tmp_path):
    """A FASTA of reads or amplicons (no record as long as the 1 kb sampling window) was refused
    by `lm tokenizer train` ('no record is longer than the window (1000 bp) … use a smaller
    --max-len', an option that verb lacks); its records are the sample."""
    from helixforge.lm.corpus import sample_sequences

    rng = np.random.default_rng(0)
    reads = ["".join(rng.choice(list("ACGT"), 120)) for _ in range(30)]
    f = tmp_path / "reads.fa"
    f.write_text("".join(f">r{i}\n{s}\n" for i, s in enumerate(reads)) + ">empty\n>bad\nXXXXZZZZ\n")
    sample = sample_sequences(f, 1000, window=1000, seed=0)
    assert sorted(sample) == sorted(reads)  # the empty and the all-unknown record are left out
    assert sample_sequences(f, 5, window=50, seed=1) == sample_sequences(f, 5, window=50, seed=1)
    assert all(len(s) <= 50 for s in sample_sequences(f, 100, window=50, seed=0))


def test_sample_of_a_fasta_without_sequence_is_refused(tmp_path):
    from helixforge.core.errors import EmptyInputError
    from helixforge.lm.corpus import sample_sequences

    f = tmp_path / "bad.fa"
    f.write_text(">a\n>b\nXXZZ**\n")
    with pytest.raises(EmptyInputError, match=r"bad\.fa: no record has A/C/G/T"):
        sample_sequences(f, 10)
    (tmp_path / "none.fa").write_text("\n\n")
    with pytest.raises(EmptyInputError, match="no FASTA records"):
        sample_sequences(tmp_path / "none.fa", 10)


def test_text_before_the_first_header_names_its_line_and_a_false_gz(tmp_path):
    """The message always said 'line 1'; a plain-text file named .gz read as text said nothing
    about the name."""
    (tmp_path / "late.fa").write_text("\n\nACGT\n>a\nACGT\n")
    with pytest.raises(InputError, match="line 3 comes before any FASTA header"):
        FastaCorpus(tmp_path / "late.fa", window=2)
    (tmp_path / "fake.fa.gz").write_text("not gzip\n")
    with pytest.raises(InputError) as e:
        FastaCorpus(tmp_path / "fake.fa.gz", window=2)
    assert "named .gz but is not gzip-compressed" in e.value.hint


def test_corpus_refusals_say_what_is_wrong(tmp_path):
    """Holding out every record, or a FASTA of empty records, read 'no record is longer than the
    window (1 bp)'; a directory read 'corpus file not found'."""
    from helixforge.core.errors import ConfigError

    rng = np.random.default_rng(0)
    f = tmp_path / "g.fa"
    f.write_text("".join(f">c{i}\n{''.join(rng.choice(list('ACGT'), 500))}\n" for i in range(2)))
    with pytest.raises(ConfigError, match="every record is held out"):
        FastaCorpus(f, window=1, holdout=["c0", "c1"])
    (tmp_path / "e.fa").write_text(">a\n>b\n")
    with pytest.raises(InputError, match="hold no sequence"):
        FastaCorpus(tmp_path / "e.fa", window=1)
    with pytest.raises(InputError, match=r"longest training record has 500 bp"):
        FastaCorpus(f, window=600)
    with pytest.raises(InputError, match="is a directory"):
        open_corpus(tmp_path)


def test_a_one_line_corpus_is_refused_without_naming_pretraining_only(tmp_path):
    """`lm tokenizer train` on a one-line file said 'pretraining needs many'."""
    from helixforge.core.errors import EmptyInputError

    (tmp_path / "one.smi").write_text("CCO\n")
    with pytest.raises(EmptyInputError, match="training a tokenizer or a model needs many"):
        open_corpus(tmp_path / "one.smi")


def test_a_csv_corpus_whose_header_names_no_smiles_column_is_refused(tmp_path):
    """'a,b' was taken for data: the header row was trained on as a SMILES line."""
    from helixforge.core.errors import ConfigError

    p = tmp_path / "x.csv"
    p.write_text("a,b\nCCO,1\nCCN,2\n")
    with pytest.raises(ConfigError, match="names no SMILES column") as e:
        LineCorpus(p)
    assert "--input-col" in e.value.hint
    c = LineCorpus(p, column="a")  # naming the column reads it
    assert "a" not in c.validation(100) + c.sample(4)
    one = tmp_path / "one.csv"  # one column without a header: every line is data
    one.write_text("CCO\nCCN\nCCC\n")
    assert LineCorpus(one)._has_header is False


def test_a_corpus_path_that_is_none_is_named():
    from helixforge.core.errors import InputError
    from helixforge.lm.corpus import open_corpus

    with pytest.raises(InputError, match="corpus is None"):
        open_corpus(None)


def test_a_hold_out_with_no_validation_window_is_refused(tmp_path):
    """--holdout naming a record shorter than the window (or all N) trained without any
    validation ('valid loss n/a', final_valid_loss null) and said nothing under --quiet."""
    from helixforge.core.errors import ConfigError

    rng = np.random.default_rng(0)
    f = tmp_path / "g.fa"
    body = "".join(rng.choice(list("ACGT"), 3000))
    f.write_text(f">big\n{body}\n>tiny\nACGTACGTAC\n>gap\n{'N' * 500}\n>ok\n{body[:300]}\n")
    for name in ("tiny", "gap"):
        with pytest.raises(ConfigError, match=f"hold-out record.*{name}.*no validation window"):
            FastaCorpus(f, window=100, holdout=[name])
    c = FastaCorpus(f, window=100, holdout=["tiny", "ok"])  # one usable record is enough
    assert c.validation(2) and [n for n, _ in c.train] == ["big", "gap"]


def test_a_line_check_keeps_refused_lines_out_of_training_and_validation(tmp_path):
    from helixforge.lm.corpus import open_corpus

    good = [f"ACGT{'ACGT' * (i % 5)}" for i in range(40)]
    good[9] = "hello world"  # line 10: a validation line (every 5th)
    good[12] = "ACGT-ACGT"  # line 13: a training line
    (tmp_path / "c.txt").write_text("\n".join(good) + "\n")
    check = lambda s: "not DNA" if set(s) - set("ACGT") else None  # noqa: E731
    corpus = open_corpus(tmp_path / "c.txt", valid_every=5, check=check)
    drawn = set(corpus.sample(200)) | set(corpus.validation(100))
    assert "hello world" not in drawn and "ACGT-ACGT" not in drawn
    assert corpus.rejected_lines() == {10: ("hello world", "not DNA"), 13: ("ACGT-ACGT", "not DNA")}
    unchecked = open_corpus(tmp_path / "c.txt", valid_every=5)
    assert "hello world" in unchecked.validation(100) and unchecked.rejected_lines() == {}


def test_a_genome_with_latin1_in_a_header_description_is_read_as_genome_reads_it(tmp_path):
    # '>chr1 ... souche étudiée' saved as Latin-1: the description is only shown (Genome and
    # fasta_records read it); the record name and the bases are what the corpus uses
    rng = np.random.default_rng(0)
    bases = "".join(rng.choice(list("ACGT"), 600))
    f = tmp_path / "latin1.fa"
    f.write_bytes(b">chr1 E. coli souche \xe9tudi\xe9e\n" + bases.encode() + b"\n")
    c = FastaCorpus(f, window=100)
    assert c.n_bases == 600
    # in a sequence line the same byte is not a base: refused, naming the line
    f.write_bytes(b">chr1\n" + bases[:300].encode() + b"\xe9\n" + bases[300:].encode() + b"\n")
    with pytest.raises(InputError, match="line 2"):
        FastaCorpus(f, window=100)


@pytest.mark.parametrize(
    "layout",
    ["blank line after each", "blank line before each", "CRLF and a BOM"],
)
def test_blank_lines_do_not_empty_the_validation_hold_out(tmp_path, layout):
    """Every 5th *sequence* is held out. Counting file lines instead, a blank line after every
    sequence put every held-out line number on a blank line: no validation at all."""
    seqs = [f"ACGT{'ACGT' * (i % 7)}{'CA' * i}" for i in range(40)]
    path = tmp_path / "c.txt"
    if layout == "blank line after each":
        path.write_text("\n\n".join(seqs) + "\n\n")
    elif layout == "blank line before each":
        path.write_text("".join(f"\n{s}" for s in seqs) + "\n")
    else:
        path.write_bytes(("\ufeff" + "\r\n".join(seqs) + "\r\n").encode("utf-8"))
    corpus = open_corpus(path, valid_every=5)
    valid = corpus.validation(100)
    assert valid == seqs[4::5]  # the 5th, 10th, … sequence, whatever lies between them
    assert set(corpus.training_sample(100)) == set(seqs) - set(valid)


def test_records_sharing_the_held_out_records_name_are_still_trained_on(tmp_path):
    """Short records all named 'read': the last 5 % of the longest is held out, and the other
    'read' records were dropped from training with it (matched by name, not position)."""
    rng = np.random.default_rng(0)
    lengths = [300, 500, 300]
    path = tmp_path / "reads.fa"
    path.write_text("".join(f">read\n{''.join(rng.choice(list('ACGT'), n))}\n" for n in lengths))
    c = open_corpus(path, window=200, seed=0)
    assert [len(s) for _, s in c.train] == [300, 300, 475]  # the longest, cut at 95 %
    assert [len(s) for _, s in c.valid] == [25]
