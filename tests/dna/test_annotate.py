"""Per-base gene annotation on a synthetic genome: labels, gene calling, metrics, train/predict."""

import numpy as np
import pandas as pd
import pytest
import torch

from helixforge.core.errors import ConfigError, InputError
from helixforge.dna.annotate import (
    GeneAnnotator,
    Region,
    annotate_genome,
    cds_labels,
    gene_metrics,
    parse_region,
    per_base_metrics,
    split_regions,
    train_annotator,
    true_genes,
)
from helixforge.dna.io import read_gff
from helixforge.dna.sequence import reverse_complement

# a strongly biased codon usage (the first 20 sense codons) makes coding DNA easy to learn
CODONS = [
    a + b + c
    for a in "ACGT"
    for b in "ACGT"
    for c in "ACGT"
    if a + b + c not in ("TAA", "TAG", "TGA")
][:20]


def synthetic_genome(tmp_path, n_genes: int = 60, seed: int = 0):
    """Random intergenic DNA with genes built from a small codon set, on both strands."""
    rng = np.random.default_rng(seed)
    parts, gff, pos = [], ["##gff-version 3"], 0
    for i in range(n_genes):
        inter = "".join(rng.choice(list("ACGT"), int(rng.integers(50, 200))))
        parts.append(inter)
        pos += len(inter)
        body = "ATG" + "".join(rng.choice(CODONS, int(rng.integers(60, 150)))) + "TAA"
        strand = "+" if i % 2 else "-"
        gene = body if strand == "+" else reverse_complement(body)
        gff.append(f"chrS\tsim\tCDS\t{pos + 1}\t{pos + len(gene)}\t.\t{strand}\t0\tID=cds{i}")
        parts.append(gene)
        pos += len(gene)
    (tmp_path / "g.fa").write_text(">chrS\n" + "".join(parts) + "\n")
    (tmp_path / "g.gff3").write_text("\n".join(gff) + "\n")
    return tmp_path / "g.fa", tmp_path / "g.gff3"


def test_labels_carry_strand_and_codon_position(tmp_path):
    gff = tmp_path / "a.gff3"
    gff.write_text("c\ts\tCDS\t3\t11\t.\t+\t0\tID=a\nc\ts\tCDS\t13\t18\t.\t-\t0\tID=b\n")
    lab = cds_labels(20, read_gff(gff), "c")
    assert lab.tolist() == [0, 0, 1, 2, 3, 1, 2, 3, 1, 2, 3, 0, 6, 5, 4, 6, 5, 4, 0, 0]
    assert true_genes(read_gff(gff), "c") == [(2, 11, "+"), (12, 18, "-")]


def test_split_regions_fraction_and_named():
    r = split_regions({"a": 1000}, 0.2)
    assert [(x.start, x.end) for x in r["train"] + r["valid"] + r["test"]] == [
        (0, 700),
        (700, 800),
        (800, 1000),
    ]
    r = split_regions({"a": 1000, "b": 500}, "b")
    assert [(x.contig, x.start, x.end) for x in r["test"]] == [("b", 0, 500)]
    assert [(x.contig, x.start, x.end) for x in r["train"]] == [("a", 0, 900)]


def test_gene_metrics_exact_stop_and_overlap():
    true = [(0, 300, "+"), (400, 700, "-"), (800, 1100, "+")]
    pred = [(0, 300, "+"), (430, 700, "-"), (2000, 2300, "+")]
    m = gene_metrics(true, pred)
    assert m["exact_sensitivity"] == pytest.approx(1 / 3)
    assert m["stop_sensitivity"] == pytest.approx(1 / 3)  # the − strand gene's 3' end is its start
    assert m["overlap90_sensitivity"] == pytest.approx(2 / 3)
    assert m["exact_precision"] == pytest.approx(1 / 3)


def test_per_base_metrics_perfect_prediction():
    labels = np.array([0, 1, 2, 3, 0, 4, 5, 6])
    proba = np.eye(7)[labels]
    m = per_base_metrics(labels, proba)
    assert (
        m["cds_plus_f1"] == 1.0 and m["cds_minus_f1"] == 1.0 and m["codon_position_accuracy"] == 1.0
    )


def test_gene_caller_recovers_genes_from_perfect_probabilities(tmp_path):
    fa, gff = synthetic_genome(tmp_path, n_genes=10)
    seq = fa.read_text().split("\n")[1]
    cds = read_gff(gff)
    proba = np.eye(7)[cds_labels(len(seq), cds, "chrS")]
    called = GeneAnnotator(min_gene_len=90).call_genes(seq, proba)
    got = {(g["start"], g["end"], g["strand"]) for g in called}
    assert got == set(true_genes(cds, "chrS"))


def test_train_and_predict_on_synthetic_genome(tmp_path):
    torch.set_num_threads(1)
    fa, gff = synthetic_genome(tmp_path)
    metrics = train_annotator(
        fa,
        gff,
        out=tmp_path / "run",
        holdout=0.25,
        epochs=3,
        window=512,
        batch_size=8,
        channels=16,
        dilations=[1, 2, 4, 8],
        windows_per_epoch=200,
        threads=1,
    )
    assert metrics["coding_f1"] > 0.8
    assert metrics["overlap90_sensitivity"] > 0.5
    assert (tmp_path / "run" / "predictions.gff3").exists() and (
        tmp_path / "run" / "card.md"
    ).exists()
    for name in ("config.json", "versions.json", "metrics.json", "errors.csv", "report.html"):
        assert (tmp_path / "run" / name).exists(), name
    assert (tmp_path / "run" / "model" / "model.safetensors").exists()
    assert not list(tmp_path.glob(".run*"))  # the staging directory was swapped in
    genes = annotate_genome(tmp_path / "run", fa, tmp_path / "genes.gff3")
    called = read_gff(tmp_path / "genes.gff3", types={"CDS"})
    assert len(called) == len(genes) > 10
    assert isinstance(called, pd.DataFrame) and set(called["strand"]) == {"+", "-"}

    # a 1-based inclusive region: genes only inside it, in genome coordinates
    first = min(g["start"] for g in genes)
    sub = annotate_genome(
        tmp_path / "run", fa, tmp_path / "sub.gff3", region=f"chrS:{first + 1}-{first + 2000}"
    )
    assert sub and all(first <= g["start"] and g["end"] <= first + 2000 for g in sub)


def test_regions_are_one_based_inclusive():
    lengths = {"chr1": 1000, "chr2": 50}
    assert parse_region("chr1:101-200", lengths) == Region("chr1", 100, 200)
    assert parse_region("chr1:1,001-2,000".replace("1,001", "901"), lengths) == Region(
        "chr1", 900, 1000
    )  # the end is clipped to the contig
    assert parse_region("chr2", lengths) == Region("chr2", 0, 50)
    for bad in ("chr1:0-10", "chr1:20-10", "chr1:1001-1002", "chrX:1-10", "chr1:a-b"):
        with pytest.raises(ConfigError, match="--region"):
            parse_region(bad, lengths)
    r = split_regions({"a": 1000}, "a:801-1000")
    assert [(x.start, x.end) for x in r["test"]] == [(800, 1000)]


def test_a_region_of_a_contig_whose_name_holds_a_colon_is_read_from_the_right():
    """'HLA-A*01:01:101-200' was split at the first ':' (contig 'HLA-A*01'): a contig name may
    hold ':' in FASTA; a text that is both a contig and a region of another is refused."""
    lengths = {"HLA-A*01:01": 500, "chrUn:KI270302v1": 300, "chr1": 1000, "chr1:100": 40}
    assert parse_region("HLA-A*01:01:101-200", lengths) == Region("HLA-A*01:01", 100, 200)
    assert parse_region("HLA-A*01:01", lengths) == Region("HLA-A*01:01", 0, 500)
    assert parse_region("chrUn:KI270302v1:11", lengths) == Region("chrUn:KI270302v1", 10, 300)
    assert parse_region("{chr1:100}", lengths) == Region("chr1:100", 0, 40)
    assert parse_region("{chr1}:100-200", lengths) == Region("chr1", 99, 200)
    with pytest.raises(ConfigError, match=r"--region 'chr1:100' is ambiguous"):
        parse_region("chr1:100", lengths)
    with pytest.raises(ConfigError, match=r"contig 'HLA-B\*07:02' is not in the genome"):
        parse_region("HLA-B*07:02:1-10", lengths)


def test_a_gff_whose_every_cds_is_past_the_contig_end_names_the_line(tmp_path):
    from helixforge.core.errors import NoUsableRowsError

    (tmp_path / "g.fa").write_text(">chr1\n" + "ACGT" * 500 + "\n")
    (tmp_path / "a.gff3").write_text("##gff-version 3\nchr1\tx\tCDS\t1901\t2300\t.\t+\t0\tID=c1\n")
    with pytest.raises(NoUsableRowsError, match="no usable CDS") as exc:
        train_annotator(tmp_path / "g.fa", tmp_path / "a.gff3", out=tmp_path / "run")
    assert "row 2, column 'end': CDS ends past the end of chr1" in exc.value.hint


def test_one_malformed_gff_line_goes_to_the_errors_table_not_the_job(tmp_path):
    """A GFF with one bad CDS line (start > end, start not a number, 5 columns, strand '*')
    stopped `dna annotate train` at that line; the good CDS lines were never used."""
    rng = np.random.default_rng(0)
    (tmp_path / "g.fa").write_text(">chr1\n" + "".join(rng.choice(list("ACGT"), 3000)) + "\n")
    (tmp_path / "a.gff3").write_text(
        "##gff-version 3\n"
        "chr1\tx\tCDS\t400\t101\t.\t+\t0\tID=bad1\n"
        "chr1\tx\tCDS\tabc\t100\t.\t+\t0\tID=bad2\n"
        "chr1\tx\tCDS\t101\t400\n"
        "chr1\tx\tCDS\t601\t900\t.\t*\t0\tID=bad4\n"
        "chr1\tx\tCDS\t101\t400\t.\t+\t0\tID=good1\n"
        "chr1\tx\tCDS\t1201\t1500\t.\t-\t0\tID=good2\n"
    )
    run = tmp_path / "run"
    train_annotator(tmp_path / "g.fa", tmp_path / "a.gff3", out=run, epochs=1, window=256,
                    channels=4, device="cpu", threads=1)  # fmt: skip
    errors = pd.read_csv(run / "errors.csv")
    assert errors["row"].tolist() == [2, 3, 4, 5]
    assert errors["column"].fillna("").tolist() == ["start", "start", "", "strand"]
    # without an errors table the reader still names the line
    with pytest.raises(InputError, match="line 2, column 'start'"):
        read_gff(tmp_path / "a.gff3")


@pytest.mark.parametrize(
    "options, match",
    [
        ({"channels": 10**9}, "--channels 1,000,000,000 needs about"),
        ({"batch_size": 10**9}, "--batch-size 1,000,000,000 × --window"),
        ({"windows_per_epoch": 10**9}, "--windows-per-epoch must be at most"),
    ],
)
def test_sizes_past_this_machines_memory_are_refused_before_training(tmp_path, options, match):
    """--channels 1e9 / --batch-size 1e9 failed inside torch / NumPy with an allocation error
    (a traceback); --windows-per-epoch 1e9 ran for days."""
    from helixforge.dna.annotate.train import check_options

    with pytest.raises(ConfigError, match=match):
        check_options(dict(options))
    check_options({"channels": 48, "batch_size": 16, "window": 2048})  # the defaults fit


def test_kill_9_during_annotate_training_then_resume_gives_the_uninterrupted_model(tmp_path):
    from kill9 import kill_after_epoch
    from typer.testing import CliRunner

    from helixforge.cli.app import app

    fa, gff = synthetic_genome(tmp_path, n_genes=20)
    args = ["dna", "annotate", "train", str(fa), str(gff), "--holdout", "0.25", "--epochs", "3",
            "--window", "256", "--batch-size", "8", "--channels", "8", "--windows-per-epoch",
            "40", "--threads", "1", "--device", "cpu", "-q"]  # fmt: skip
    whole = CliRunner().invoke(app, [*args, "-o", str(tmp_path / "whole")])
    assert whole.exit_code == 0, whole.output
    marker = tmp_path / "marker"
    kill_after_epoch([*args, "-o", str(tmp_path / "run")], marker, epochs=2)
    assert (tmp_path / ".run.partial" / "checkpoints" / "last.pt").is_file()
    changed = CliRunner().invoke(app, [*args, "--seed", "3", "-o", str(tmp_path / "run"),
                                       "--resume"])  # fmt: skip
    assert changed.exit_code != 0 and "seed" in changed.output
    res = CliRunner().invoke(app, [*args, "-o", str(tmp_path / "run"), "--resume"])
    assert res.exit_code == 0, res.output
    a = (tmp_path / "whole" / "model" / "model.safetensors").read_bytes()
    assert (tmp_path / "run" / "model" / "model.safetensors").read_bytes() == a
    assert not (tmp_path / ".run.partial").exists()
    assert not (tmp_path / "run" / "checkpoints").exists()
    assert len(__import__("json").loads((tmp_path / "run" / "history.json").read_text())) == 3


def test_a_holdout_that_leaves_a_part_without_bases_is_refused_before_training():
    from helixforge.core.errors import ConfigError

    with pytest.raises(ConfigError, match="leaves no held-out") as e:
        split_regions({"a": 30_000}, 1e-9)  # a 0 bp test region: sklearn's 'empty input array'
    assert e.value.hint.startswith("hold out a larger part")
    with pytest.raises(ConfigError, match="leaves no training") as e:
        split_regions({"a": 1000}, "a")  # the whole contig held out
    assert e.value.hint.startswith("hold out a smaller part")  # it said 'a larger fraction'
