"""Every `helix` verb against a matrix of generic bad files, for every file it reads or writes.

The walk reads the Typer app itself: each verb's arguments and options that name an input
file or directory (INPUT, LIBRARY, FASTA, --valid, --model RUN, --config …) must have a
recipe in `RECIPES`, so a new verb or file option fails `test_every_file_parameter_is_covered`
until it is added here. Each recipe is a valid command line on tiny fixtures; one file at a
time is swapped for a bad one (a run / model directory: missing, a file, empty, with damaged
JSON, or a valid directory of another kind, e.g. a chem run given to dna predict):

    missing · a directory · empty (0 bytes) · blank lines only · header only · binary garbage ·
    all NUL bytes · truncated .gz · not UTF-8 (Latin-1 in a text cell of every row) ·
    UTF-16 (a FASTA / VCF / GFF / TOML / motif file) · the wrong format for the name
    (.csv that is Parquet, .parquet that is text, a FASTA that is a CSV …)

and each output (-o/--out, --report …) for a path that is the input, a folder that cannot be
made, a path below a file, a folder where a file is written (and the reverse), and (when not
root) a read-only folder.
A UTF-8 BOM with CRLF line ends is a valid file: it must read as the plain one does.

The contract for every bad case: exit code 2, a message naming the file and saying what to do
(the '→' hint line, or click's usage error), no traceback, nothing left behind (no output,
partial or temporary file) and no input changed. Two files may stay, as the project means
them to: the errors table of a job refused for having no usable row (it says why each row was
rejected), and a FASTA reader's .fai index beside its input (as samtools makes).

Run it alone with: .venv/bin/pytest -q tests/cli/test_bad_files_everywhere.py (~45 s CPU;
the workspace of tiny runs is built once per module, ~12 s of that).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import re
import shutil
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd
import pytest
import typer.main
import typer.testing
from cli_verbs import cli_verbs
from typer.testing import CliRunner

from helixforge.cli.app import app

runner = CliRunner()
SITE = "AGATAAGA"


def _dna(n: int, seed: int) -> str:
    return "".join(np.random.default_rng(seed).choice(list("ACGT"), n))


# ---------------------------------------------------------------- the walk


VERBS = cli_verbs()

# Parameter names / help words that say "this names a file or directory to read".
_FILE_WORDS = re.compile(
    r"\b(file|table|fasta|genome|directory|run|checkpoint|corpus|gff3?|vcf|toml|index|"
    r"prior|csv|tsv|parquet)\b",
    re.I,
)
# Parameters whose help mentions such words but that take no path (a name, a spec, a count …).
NOT_FILES = {
    ("chem evaluate", "target"),
    ("chem train", "metric"),
    ("chem train", "param"),
    ("chem train", "model"),  # a model name (lm:PATH is covered by lm verbs)
    ("chem train-prior", "smiles_col"),
    ("chem train-prior", "epochs"),
    ("chem screen", "score"),
    ("chem generate", "temperature"),
    ("chem design", "optimizer"),
    ("crispr design", "target"),  # a sequence, region or gene (FILE#RECORD: not covered)
    ("crispr design", "restriction"),
    ("crispr index", "enzyme"),
    ("crispr index", "pams"),
    ("crispr offtargets", "enzyme"),
    ("crispr offtargets", "pams"),
    ("crispr train-ontarget", "model"),
    ("crispr train-ontarget", "param"),
    ("dna design", "seed_seq"),
    ("dna design", "class_"),
    ("dna design", "avoid"),
    ("dna design", "preserve"),
    ("dna design", "length"),
    ("dna evaluate", "seq_col"),
    ("dna evaluate", "flank"),
    ("dna evaluate", "iupac"),
    ("dna interpret", "class_"),
    ("dna interpret", "iupac"),
    ("dna predict", "seq_col"),
    ("dna predict", "flank"),
    ("dna predict", "iupac"),
    ("dna train", "model"),
    ("dna train", "auto_candidates"),
    ("dna train", "auto_epochs"),
    ("dna train", "auto_budget"),
    ("dna train", "seq_col"),
    ("dna train", "label_col"),
    ("dna train", "flank"),
    ("dna train", "iupac"),
    ("dna train", "param"),
    ("dna variants score", "method"),
    ("dna variants score", "window"),
    ("dna variants score", "class_"),
    ("lm finetune", "max_rows"),
    ("lm pretrain", "holdout"),  # FASTA record names
    ("lm pretrain", "column"),
    ("data fetch", "name"),
    ("data path", "part"),
    ("chem embed", "features"),
    ("chem admet", "input_col"),
}
# Inputs that only matter with another input kind (a FASTA or BED input), not in a recipe.
NOT_COVERED = {
    ("dna evaluate", "labels"): "only read with a FASTA input",
    ("dna evaluate", "genome"): "only read with a BED input",
    ("dna predict", "genome"): "only read with a BED input",
    ("dna train", "labels"): "only read with a FASTA input",
    ("dna train", "genome"): "only read with a BED input",
    ("dna variants score", "motifs"): "only read with --method motif / ensemble",
    ("chem embed", "input"): "needs the MiniMol weights (helixforge[pretrained])",
}


def _output_param(p) -> bool:
    return p.name in {"out_path", "out_dir", "report", "all_out", "per_position"}


def _file_params(verb: str, cmd) -> list[str]:
    found = []
    for p in cmd.params:
        if p.name in ("help",) or getattr(p, "is_flag", False) or _output_param(p):
            continue
        if (verb, p.name) in NOT_FILES:
            continue
        text = f"{p.name} {getattr(p, 'help', None) or ''}"
        if p.param_type_name == "argument" or _FILE_WORDS.search(text):
            found.append(p.name)
    return found


# dna design --lm names a checkpoint directory in words the pattern above does not know
EXTRA_FILES = {("dna design", "lm")}
NOT_FILES |= {
    ("data path", "name"),
    ("data show", "name"),
    ("lm tokenizer train", "spec"),
    ("lm embed", "max_len"),
    ("lm finetune", "max_len"),
    ("lm score", "max_len"),
    ("lm pretrain", "save_every"),
}


def file_params(verb: str) -> list[str]:
    cmd = VERBS[verb]
    extra = [p.name for p in cmd.params if (verb, p.name) in EXTRA_FILES]
    return [*_file_params(verb, cmd), *extra]


# ---------------------------------------------------------------- recipes
# verb → (argv with {param} placeholders, {param: fixture name or '=literal'}, {output: name})
# A recipe key may carry a '#variant' tail for a second command line of the same verb.

RECIPES: dict[str, tuple[list[str], dict[str, str], dict[str, str]]] = {
    "chem admet": (
        ["chem", "admet", "{input}", "-o", "{out_path}", "--report", "{report}", "-j", "1", "-q"],
        {"input": "chem.csv"},
        {"out_path": "admet.csv", "report": "admet.html"},
    ),
    "chem design": (
        ["chem", "design", "--config", "{config}", "--prior", "{prior}", "--optimizer", "rl",
         "--budget", "4", "-o", "{out_path}", "-j", "1", "-q"],
        {"config": "design.toml", "prior": "prior"},
        {"out_path": "design_run"},
    ),
    "chem evaluate": (
        ["chem", "evaluate", "{run_dir}", "{data}", "-o", "{out_dir}", "-j", "1", "-q"],
        {"run_dir": "chemrun", "data": "chem.csv"},
        {"out_dir": "evaluation"},
    ),
    "chem finetune-prior": (
        ["chem", "finetune-prior", "{actives}", "--model", "{model}", "-o", "{out_path}",
         "--epochs", "1", "--augment", "1", "--val-fraction", "0", "-q"],
        {"actives": "chem.csv", "model": "prior"},
        {"out_path": "ft_run"},
    ),
    "chem generate": (
        ["chem", "generate", "--model", "{model}", "--n", "8", "--max-len", "40",
         "--fcd-ref", "{fcd_ref}", "-o", "{out_path}", "--device", "cpu", "-q"],
        {"model": "prior", "fcd_ref": "chem.csv"},
        {"out_path": "samples.csv"},
    ),
    "chem predict": (
        ["chem", "predict", "{run_dir}", "{input}", "-o", "{out_path}", "-j", "1", "-q"],
        {"run_dir": "chemrun", "input": "chem.csv"},
        {"out_path": "pred.csv"},
    ),
    "chem screen": (
        ["chem", "screen", "{library}", "--model", "{model}", "-o", "{out_path}",
         "--all-out", "{all_out}", "-j", "1", "-q"],
        {"library": "chem.csv", "model": "chemrun"},
        {"out_path": "hits.csv", "all_out": "all.csv"},
    ),
    "chem standardize": (
        ["chem", "standardize", "{input}", "-o", "{out_path}", "-j", "1", "-q"],
        {"input": "chem.csv"},
        {"out_path": "std.csv"},
    ),
    "chem train": (
        ["chem", "train", "{data}", "--label-col", "logp", "--split", "random", "--model", "gbm",
         "--param", "n_estimators=5", "--param", "early_stopping_rounds=2", "-j", "1",
         "-o", "{out_dir}", "-q"],
        {"data": "chem.csv"},
        {"out_dir": "chem_train_run"},
    ),
    "chem train-prior": (
        ["chem", "train-prior", "{corpus}", "--input-col", "smiles", "--init", "{init}",
         "--max-molecules", "16", "--batch-size", "8", "-o", "{out_path}", "-q"],
        {"corpus": "chem.csv", "init": "prior"},
        {"out_path": "prior_run"},
    ),
    "crispr design": (
        ["crispr", "design", "--target", "chr1:1001-1300", "--genome", "{genome}",
         "--index", "{index}", "--annotation", "{annotation}", "--top", "3",
         "--ontarget-model", "none", "-o", "{out_path}", "--report", "{report}", "-j", "1", "-q"],
        {"genome": "genome.fa", "index": "crispr_index", "annotation": "genes.gff3"},
        {"out_path": "guides.tsv", "report": "guides.html"},
    ),
    "crispr design#ontarget": (
        ["crispr", "design", "--target", "chr1:1001-1300", "--genome", "{genome}",
         "--ontarget-model", "{ontarget_model}", "--top", "3", "-m", "1", "-o", "{out_path}",
         "-j", "1", "-q"],
        {"genome": "genome.fa", "ontarget_model": "ontarget_run"},
        {"out_path": "guides.tsv"},
    ),
    "crispr index": (
        ["crispr", "index", "{genome}", "-o", "{out_dir}", "-q"],
        {"genome": "genome.fa"},
        {"out_dir": "index_out"},
    ),
    "crispr offtargets": (
        ["crispr", "offtargets", "{spacers}", "--index", "{index}", "-m", "2", "-o", "{out_path}",
         "-j", "1", "-q"],
        {"spacers": "spacers.csv", "index": "crispr_index"},
        {"out_path": "ot.tsv"},
    ),
    "crispr offtargets#genome": (
        ["crispr", "offtargets", "{spacers}", "--genome", "{genome}", "-m", "2",
         "-o", "{out_path}", "-j", "1", "-q"],
        {"spacers": "spacers.csv", "genome": "genome.fa"},
        {"out_path": "ot.tsv"},
    ),
    "crispr score-ontarget": (
        ["crispr", "score-ontarget", "{data}", "--input-col", "context", "--model", "{model}",
         "-o", "{out_path}", "-q"],
        {"data": "contexts.csv", "model": "ontarget_run"},
        {"out_path": "scored.csv"},
    ),
    "crispr train-ontarget": (
        ["crispr", "train-ontarget", "{data}", "--input-col", "context", "--label-col",
         "activity", "--param", "n_estimators=5", "-o", "{out_dir}", "-j", "1", "-q"],
        {"data": "contexts.csv"},
        {"out_dir": "ontarget_run"},
    ),
    "dna annotate predict": (
        ["dna", "annotate", "predict", "{run}", "{genome}", "-o", "{out_path}", "-j", "1",
         "--device", "cpu", "-q"],
        {"run": "annrun", "genome": "ann.fa"},
        {"out_path": "genes_out.gff3"},
    ),
    "dna annotate train": (
        ["dna", "annotate", "train", "{genome}", "{gff}", "-o", "{out_dir}", "--holdout", "0.3",
         "--epochs", "1", "--channels", "8", "--window", "256", "--windows-per-epoch", "8",
         "-j", "1", "--device", "cpu", "-q"],
        {"genome": "ann.fa", "gff": "ann.gff3"},
        {"out_dir": "ann_out"},
    ),
    "dna design": (
        ["dna", "design", "{run}", "--fasta", "{fasta}", "--class", "1", "--edits", "1",
         "-o", "{out_path}", "--device", "cpu", "-j", "1", "-q"],
        {"run": "dnarun", "fasta": "seqs.fa"},
        {"out_path": "designs.fa"},
    ),
    "dna design#lm": (
        ["dna", "design", "{run}", "--lm", "{lm}", "--n", "2", "--length", "64", "--edits", "1",
         "-o", "{out_path}", "--device", "cpu", "-j", "1", "-q"],
        {"run": "dnarun", "lm": "decoder"},
        {"out_path": "designs.fa"},
    ),
    "dna evaluate": (
        ["dna", "evaluate", "{run}", "{data}", "-o", "{out_dir}", "-j", "1", "--device", "cpu",
         "-q"],
        {"run": "dnarun", "data": "dna.csv"},
        {"out_dir": "dna_eval"},
    ),
    "dna interpret": (
        ["dna", "interpret", "{run}", "{fasta}", "--method", "ism", "--motifs", "{motifs_file}",
         "--max-sequences", "2", "-o", "{out_dir}", "--device", "cpu", "-j", "1", "-q"],
        {"run": "dnarun", "fasta": "seqs.fa", "motifs_file": "gata.transfac"},
        {"out_dir": "interp"},
    ),
    "dna motifs enrich": (
        ["dna", "motifs", "enrich", "{foreground}", "{background}", "--motifs", "{motifs_file}",
         "-o", "{out_path}", "-q"],
        {"foreground": "seqs.fa", "background": "bg.fa", "motifs_file": "gata.transfac"},
        {"out_path": "enrich.tsv"},
    ),
    "dna motifs scan": (
        ["dna", "motifs", "scan", "{fasta}", "--motifs", "{motifs_file}", "-o", "{out_path}",
         "-q"],
        {"fasta": "seqs.fa", "motifs_file": "gata.transfac"},
        {"out_path": "hits.tsv"},
    ),
    "dna predict": (
        ["dna", "predict", "{run}", "{input}", "-o", "{out_path}", "-j", "1", "--device", "cpu",
         "-q"],
        {"run": "dnarun", "input": "dna.csv"},
        {"out_path": "dna_pred.csv"},
    ),
    "dna train": (
        ["dna", "train", "{data}", "--valid", "{valid}", "--test", "{test}", "--model", "cnn",
         "--epochs", "1", "--batch-size", "32", "-j", "1", "--device", "cpu", "-o", "{out_dir}",
         "-q"],
        {"data": "dna.csv", "valid": "dna_valid.csv", "test": "dna_test.csv"},
        {"out_dir": "dna_train_run"},
    ),
    "dna variants score": (
        ["dna", "variants", "score", "--vcf", "{vcf}", "--genome", "{genome}", "--model",
         "{model}", "--window", "64", "-o", "{out_path}", "--device", "cpu", "-j", "1", "-q"],
        {"vcf": "variants.vcf", "genome": "genome.fa", "model": "dnarun"},
        {"out_path": "vscores.tsv"},
    ),
    "lm embed": (
        ["lm", "embed", "{model}", "{input_path}", "-o", "{out_path}", "--device", "cpu",
         "-j", "1", "-q"],
        {"model": "encoder", "input_path": "dna.csv"},
        {"out_path": "emb.parquet"},
    ),
    "lm finetune": (
        ["lm", "finetune", "{model}", "{data}", "--valid", "{valid}", "--test", "{test}",
         "--epochs", "1", "--batch-size", "16", "-o", "{out_dir}", "--device", "cpu", "-j", "1",
         "-q"],
        {"model": "encoder", "data": "dna.csv", "valid": "dna_valid.csv", "test": "dna_test.csv"},
        {"out_dir": "ft_lm"},
    ),
    "lm info": (["lm", "info", "{model}"], {"model": "encoder"}, {}),
    "lm predict": (
        ["lm", "predict", "{model}", "{input_path}", "-o", "{out_path}", "--device", "cpu",
         "-j", "1", "-q"],
        {"model": "lmrun", "input_path": "dna.csv"},
        {"out_path": "lm_pred.csv"},
    ),
    "lm pretrain": (
        ["lm", "pretrain", "--corpus", "{corpus}", "--tokenizer", "{tokenizer}", "--size",
         "micro", "--max-len", "40", "--steps", "2", "--batch-size", "4", "--eval-every", "2",
         "-o", "{out_dir}", "--device", "cpu", "-j", "1", "-q"],
        {"corpus": "genome.fa", "tokenizer": "encoder"},
        {"out_dir": "pretrain_run"},
    ),
    "lm score": (
        ["lm", "score", "{model}", "{input_path}", "-o", "{out_path}", "--per-position",
         "{per_position}", "--device", "cpu", "-j", "1", "-q"],
        {"model": "encoder", "input_path": "dna.csv"},
        {"out_path": "lm_scores.csv", "per_position": "lm_positions.csv"},
    ),
    "lm tokenizer train": (
        ["lm", "tokenizer", "train", "dna-bpe:40", "--corpus", "{corpus}", "--max-sequences",
         "20", "-o", "{out_dir}"],
        {"corpus": "genome.fa"},
        {"out_dir": "tok_out"},
    ),
}  # fmt: skip

DIRS = {"chemrun", "prior", "crispr_index", "annrun", "dnarun", "decoder", "encoder", "lmrun",
        "ontarget_run"}  # fmt: skip


# ---------------------------------------------------------------- fixtures


DESIGN_TOML = """title = "tiny"
[[component]]
type = "qed"
[rl]
batch_size = 4
max_len = 24
"""
CHEM = [c + t for c in ("c1ccccc1", "C1CCCCC1", "c1ccncc1", "C1CCNCC1") for t in "C N O".split()]
CHEM += [c + t for c in ("c1ccsc1", "C1CCOC1", "C1CCCC1", "c1ccoc1") for t in "CC CO Cl".split()]


_COMMAND = []  # the click command, built once: typer builds it anew per invoke (~0.1 s)


def _invoke(argv: list[str]):
    if not _COMMAND:
        _COMMAND.append(typer.main.get_command(app))
    with mock.patch.object(typer.testing, "_get_command", lambda _app: _COMMAND[0]):
        return runner.invoke(app, argv, catch_exceptions=True)


def _must(argv: list[str]) -> None:
    res = _invoke(argv)
    assert res.exit_code == 0, f"fixture command failed: helix {' '.join(argv)}\n{res.output}"


def build_workspace(d: Path) -> Path:
    """Valid tiny inputs, runs and models for every recipe, in `d`."""
    import torch

    from helixforge.chem.generate.prior import tiny_prior
    from helixforge.lm.models import build_model
    from helixforge.lm.tokenizers import build_tokenizer

    torch.set_num_threads(1)
    d.mkdir(parents=True, exist_ok=True)
    from rdkit import Chem
    from rdkit.Chem import Crippen

    logp = [round(Crippen.MolLogP(Chem.MolFromSmiles(s)), 3) for s in CHEM]
    pd.DataFrame({"id": [f"m{i}" for i in range(len(CHEM))], "smiles": CHEM, "logp": logp}).to_csv(
        d / "chem.csv", index=False
    )
    seqs = []
    for i in range(48):
        s = list(_dna(64, i))
        if i % 2:
            s[20:28] = list(SITE)
        seqs.append("".join(s))
    pd.DataFrame(
        {
            "name": [f"s{i}" for i in range(48)],
            "sequence": seqs,
            "label": [i % 2 for i in range(48)],
        }
    ).to_csv(d / "dna.csv", index=False)
    for k, name in ((1, "dna_valid.csv"), (2, "dna_test.csv")):
        extra = [_dna(64, 1000 * k + i) for i in range(12)]
        pd.DataFrame(
            {
                "name": [f"v{i}" for i in range(12)],
                "sequence": extra,
                "label": [i % 2 for i in range(12)],
            }
        ).to_csv(d / name, index=False)
    (d / "seqs.fa").write_text("".join(f">p{i}\n{s}\n" for i, s in enumerate(seqs[:8])))
    (d / "bg.fa").write_text("".join(f">b{i}\n{_dna(64, 500 + i)}\n" for i in range(8)))
    rows = [f"{i + 1:02d}\t" + "\t".join("30" if "ACGT"[k] == b else "1" for k in range(4))
            for i, b in enumerate(SITE)]  # fmt: skip
    (d / "gata.transfac").write_text(
        "AC T0001.1\nXX\nID GATA-like\nXX\nPO\tA\tC\tG\tT\n" + "\n".join(rows) + "\nXX\n//\n"
    )
    genome = _dna(12_000, 2)
    (d / "genome.fa").write_text(
        ">chr1\n" + "\n".join(genome[i : i + 60] for i in range(0, 12_000, 60)) + "\n"
    )
    (d / "genes.gff3").write_text(
        "##gff-version 3\nchr1\tt\tgene\t900\t1500\t.\t+\t.\tID=g1;Name=GENE1\n"
        "chr1\tt\tCDS\t1000\t1400\t.\t+\t0\tID=c1;Parent=g1\n"
    )
    ctx = []
    for i in range(40):
        s = list(_dna(30, 900 + i))
        s[25:27] = "GG"
        ctx.append("".join(s))
    pd.DataFrame(
        {"name": [f"g{i}" for i in range(40)], "context": ctx,
         "activity": [round(float(x), 3) for x in np.random.default_rng(1).random(40)]}
    ).to_csv(d / "contexts.csv", index=False)  # fmt: skip
    pd.DataFrame({"name": ["a", "b"], "spacer": [genome[2000:2020], genome[5000:5020]]}).to_csv(
        d / "spacers.csv", index=False
    )
    vcf_rows = [f"chr1\t{p}\trs{p}\t{genome[p - 1]}\t{'A' if genome[p - 1] != 'A' else 'C'}\t.\t.\t."
                for p in (300, 600, 900)]  # fmt: skip
    (d / "variants.vcf").write_text(
        "##fileformat=VCFv4.2\n##contig=<ID=chr1>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
        + "\n".join(vcf_rows) + "\n"
    )  # fmt: skip
    seq = _dna(3000, 3)
    gene = "ATG" + "GCT" * 100 + "TAA"
    seq = seq[:500] + gene + seq[500:1500] + gene + seq[1500:]
    (d / "ann.fa").write_text(">c1\n" + seq + "\n")
    g2 = 1501 + len(gene)
    (d / "ann.gff3").write_text(
        f"c1\ts\tCDS\t501\t{500 + len(gene)}\t.\t+\t0\tID=a;Name=geneA\n"
        f"c1\ts\tCDS\t{g2}\t{g2 + len(gene) - 1}\t.\t+\t0\tID=b;Name=geneB\n"
    )
    (d / "start.smi").write_text("\n".join(CHEM[:6]) + "\n")
    (d / "design.toml").write_text(DESIGN_TOML)
    tiny_prior(seed=0).save(d / "prior")
    tok = build_tokenizer("dna-char")
    size = {"hidden": 32, "layers": 1, "heads": 2, "ffn": 64}
    for arch in ("encoder", "decoder"):
        torch.manual_seed(0)
        build_model(arch, size, len(tok), 80).save_pretrained(str(d / arch))
        tok.save(d / arch)
    _must(["chem", "train", str(d / "chem.csv"), "--label-col", "logp", "--split", "random",
           "--model", "gbm", "--param", "n_estimators=5", "--param", "early_stopping_rounds=2",
           "-j", "1", "-o", str(d / "chemrun"), "-q"])  # fmt: skip
    _must(["dna", "train", str(d / "dna.csv"), "--model", "cnn", "--epochs", "1", "-j", "1",
           "--device", "cpu", "-o", str(d / "dnarun"), "-q"])  # fmt: skip
    _must(["crispr", "index", str(d / "genome.fa"), "-o", str(d / "crispr_index"), "-q"])
    _must(["crispr", "train-ontarget", str(d / "contexts.csv"), "--input-col", "context",
           "--label-col", "activity", "--param", "n_estimators=5", "-o", str(d / "ontarget_run"),
           "-j", "1", "-q"])  # fmt: skip
    _must(["dna", "annotate", "train", str(d / "ann.fa"), str(d / "ann.gff3"), "-o",
           str(d / "annrun"), "--holdout", "0.3", "--epochs", "1", "--channels", "8",
           "--window", "256", "--windows-per-epoch", "8", "-j", "1", "--device", "cpu", "-q"])  # fmt: skip
    _must(["lm", "finetune", str(d / "encoder"), str(d / "dna.csv"), "--epochs", "1",
           "--batch-size", "16", "-o", str(d / "lmrun"), "--device", "cpu", "-j", "1", "-q"])  # fmt: skip
    return d


def argv_for(verb: str, ws: Path, case: Path, swap: dict[str, str] | None = None) -> list[str]:
    """The recipe's command line on the workspace `ws`, outputs in `case`, with the values in
    `swap` (param → path) in place of the fixtures."""
    template, inputs, outputs = RECIPES[verb]
    values = {}
    for name, fixture in inputs.items():
        values[name] = fixture[1:] if fixture.startswith("=") else str(ws / fixture)
    for name, file in outputs.items():
        values[name] = str(case / file)
    values.update(swap or {})
    return [values[t[1:-1]] if t.startswith("{") and t.endswith("}") else t for t in template]


# ---------------------------------------------------------------- bad files

TABLES = (".csv", ".tsv", ".smi")
TEXT = (".csv", ".tsv", ".smi", ".fa", ".gff3", ".vcf", ".toml", ".transfac")


def _garbage(n: int = 4096) -> bytes:
    return np.random.default_rng(7).integers(0, 256, n, dtype=np.uint8).tobytes()


def _latin1(good: Path) -> bytes:
    """The file with a Latin-1 'é' (byte 0xE9, not UTF-8) in a text cell of every line."""
    out = []
    for line in good.read_text().splitlines(keepends=True):
        text = line.rstrip("\n")
        if good.suffix in (".csv", ".tsv"):
            sep = "\t" if good.suffix == ".tsv" else ","
            first, _, rest = text.partition(sep)
            text = f"{first}\xe9{sep}{rest}"  # the id / name column (the header's first name too)
        elif good.suffix == ".fa":  # in the bases (a header's description may be Latin-1)
            text = text if text.startswith(">") else text[:10] + "\xe9" + text[10:]
        elif good.suffix == ".vcf" and not text.startswith("#"):
            # in ALT: a byte in ID or INFO is only data (htslib reads them as bytes)
            f = text.split("\t")
            f[4] += "\xe9"
            text = "\t".join(f)
        elif good.suffix == ".gff3" and not text.startswith("#"):
            text += ";Note=caf\xe9"
        elif good.suffix in (".toml", ".transfac") and text.startswith(("title", "ID ")):
            text += "\xe9"
        out.append(text + "\n")
    return "".join(out).encode("latin-1")


def _header_only(good: Path) -> bytes | None:
    lines = good.read_text().splitlines(keepends=True)
    if good.suffix in (".csv", ".tsv"):
        return lines[0].encode()
    if good.suffix in (".vcf", ".gff3"):
        return "".join(ln for ln in lines if ln.startswith("#")).encode()
    if good.suffix == ".fa":
        return "".join(ln for ln in lines if ln.startswith(">")).encode()
    if good.suffix == ".toml":
        return b"# a design file with nothing in it\n"
    return None


def _wrong_format(good: Path, ws: Path) -> tuple[str, bytes] | None:
    """(name, bytes): a file whose content is not what its name says."""
    if good.suffix in (".csv", ".tsv"):
        buf = io.BytesIO()
        pd.read_csv(good, sep="\t" if good.suffix == ".tsv" else ",").to_parquet(buf)
        return good.name, buf.getvalue()  # a .csv that is really Parquet
    return good.name, (ws / "chem.csv").read_bytes()  # a FASTA / VCF / TOML … that is a CSV


def bad_file(kind: str, good: Path, ws: Path, case: Path) -> Path:
    """A bad stand-in of `kind` for the input file `good`, made in `case`."""
    folder = case / kind
    folder.mkdir(parents=True)
    name, data = good.name, None
    if kind == "missing":
        return folder / name
    if kind == "directory":
        (folder / name).mkdir()
        return folder / name
    if kind == "empty":
        data = b""
    elif kind == "header_only":
        data = _header_only(good)
    elif kind == "binary":
        data = _garbage()
    elif kind == "blank_lines":  # only line breaks and spaces
        data = b"\n  \n\t\n\n"
    elif kind == "zero_filled":  # what a crash can leave of a file: its size, all NUL bytes
        data = b"\x00" * 4096
    elif kind == "truncated_gz":
        whole = gzip.compress(good.read_bytes(), mtime=0)
        name, data = good.name + ".gz", whole[: len(whole) // 2]
    elif kind == "latin1":
        data = _latin1(good)
    elif kind == "utf16":  # Windows 'Unicode text', what PowerShell's > writes
        data = good.read_text().encode("utf-16")
    elif kind == "wrong_format":
        name, data = _wrong_format(good, ws)
    elif kind == "text_as_parquet":
        name, data = good.stem + ".parquet", good.read_bytes()
    assert data is not None, (kind, good)
    (folder / name).write_bytes(data)
    return folder / name


def bad_dir(kind: str, good: Path, case: Path) -> Path:
    """A bad stand-in of `kind` for the run / model directory `good`, made in `case`."""
    path = case / kind / good.name
    path.parent.mkdir(parents=True)
    if kind == "a_file":
        path.write_text("not a directory\n")
    elif kind == "empty_dir":
        path.mkdir()
    elif kind == "damaged_json":  # every JSON file of a real run replaced by binary bytes
        shutil.copytree(good, path)
        for file in path.rglob("*.json"):
            file.write_bytes(_garbage(200))
    return path


def bom_crlf(good: Path, case: Path) -> Path:
    path = case / "bom_crlf" / good.name
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\xef\xbb\xbf" + good.read_bytes().replace(b"\n", b"\r\n"))
    return path


# ---------------------------------------------------------------- the contract


def _tree(root: Path, *, content: bool = False) -> dict[str, object]:
    """path → (size, mtime) of every file below `root` (sha256 with `content`; directories as
    'dir')."""
    out: dict[str, object] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames:
            out[os.path.relpath(os.path.join(dirpath, name), root)] = "dir"
        for name in filenames:
            full = os.path.join(dirpath, name)
            if content:
                with open(full, "rb") as fh:
                    out[os.path.relpath(full, root)] = hashlib.sha256(fh.read()).hexdigest()
            else:
                st = os.lstat(full)
                out[os.path.relpath(full, root)] = (st.st_size, st.st_mtime_ns)
    return out


# What a message must not say of a kind of bad file: it would send the user the wrong way.
MISLEADING = {
    "zero_filled": ("UTF-16", "before the first", "Windows-1252"),
    "binary": ("UTF-16", "before the first"),
    "utf16": ("Windows-1252", "before the first"),
}


def check_refused(
    argv: list[str], named: Path | str, roots: list[Path], kind: str = ""
) -> list[str]:
    """Run `argv`; the problems with how it was refused (empty list: as the contract says)."""
    before = {root: _tree(root) for root in roots}
    res = _invoke(argv)
    out = res.output
    problems = []
    if res.exit_code != 2:
        problems.append(f"exit code {res.exit_code} (expected 2)")
    if "Traceback" in out or (
        res.exception is not None and not isinstance(res.exception, SystemExit)
    ):
        problems.append(f"a traceback / exception: {res.exception!r}")
    shown = " ".join(out.split())  # Rich may wrap a long path
    if str(named) not in shown and Path(named).name not in shown:
        problems.append(f"the message does not name {Path(named).name}")
    if "→" not in out and "Invalid value" not in out:
        problems.append("no hint saying what to do")
    wrong = [w for w in MISLEADING.get(kind, ()) if w in out]
    if wrong:
        problems.append(f"a misleading message for a {kind} file: says {wrong}")
    for root, old in before.items():
        new = _tree(root)
        # the errors table of a job refused for having no usable row says why each was rejected
        # (and a .fai a FASTA reader indexes the input with, as samtools does, is no output)
        added = sorted(
            k for k in set(new) - set(old) if not k.endswith(("errors.csv", ".fai", ".gzi"))
        )
        changed = sorted(k for k in old if k in new and new[k] != old[k])
        gone = sorted(set(old) - set(new))
        if added:
            problems.append(f"left behind in {root.name}: {added[:5]}")
        if changed or gone:
            problems.append(f"changed in {root.name}: {(changed + gone)[:5]}")
    if problems:
        problems.append("output: " + out.strip()[-700:])
    return problems


# ---------------------------------------------------------------- the cases


def _verb(key: str) -> str:
    return key.split("#")[0]


def _is_dir_param(fixture: str) -> bool:
    return fixture.startswith("=") or fixture in DIRS


FILE_KINDS = ("missing", "directory", "empty", "blank_lines", "header_only", "binary",
              "zero_filled", "truncated_gz", "latin1", "utf16", "wrong_format",
              "text_as_parquet")  # fmt: skip
DIR_KINDS = ("missing", "a_file", "empty_dir", "damaged_json", "other_run")
# For "other_run": a valid directory of another kind in place of the one the verb reads.
OTHER_RUN = {"chemrun": "dnarun", "dnarun": "chemrun", "lmrun": "dnarun", "prior": "chemrun",
             "annrun": "dnarun", "crispr_index": "chemrun", "encoder": "prior",
             "decoder": "chemrun", "ontarget_run": "chemrun"}  # fmt: skip


def _input_cases():
    for key, (_, inputs, _) in RECIPES.items():
        for param, fixture in inputs.items():
            if _is_dir_param(fixture):
                kinds = [
                    k
                    for k in DIR_KINDS
                    if "=" not in fixture or k not in ("damaged_json", "other_run")
                ]
            else:
                suffix = Path(fixture).suffix
                kinds = [k for k in FILE_KINDS
                         if (k != "header_only" or suffix in (".csv", ".tsv", ".fa", ".vcf", ".gff3", ".toml"))
                         and (k != "latin1" or suffix in TEXT)
                         # a UTF-16 table is read (core.table_reader); other text is refused
                         and (k != "utf16" or suffix in (".fa", ".gff3", ".vcf", ".toml", ".transfac"))
                         and (k != "text_as_parquet" or suffix in (".csv", ".tsv"))]  # fmt: skip
            for kind in kinds:
                yield pytest.param(key, param, kind, id=f"{key}-{param}-{kind}")


def _output_cases():
    for key, (_, _inputs, outputs) in RECIPES.items():
        for param in outputs:
            for kind in ("is_input", "unmakeable", "parent_is_file", "other_kind", "read_only_dir"):
                yield pytest.param(key, param, kind, id=f"{key}-{param}-{kind}")


XFAIL: dict[str, str] = {}


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    ws = build_workspace(tmp_path_factory.mktemp("ws"))
    before = _tree(ws, content=True)
    yield ws
    assert _tree(ws, content=True) == before, "a bad-file case changed the valid fixtures"


def _xfail(request, case_id: str) -> None:
    for pattern, why in XFAIL.items():
        if re.fullmatch(pattern, case_id):
            request.applymarker(pytest.mark.xfail(reason=why, strict=True))


@pytest.mark.parametrize(("key", "param", "kind"), list(_input_cases()))
def test_a_bad_input_is_refused_with_a_message(ws, tmp_path, request, key, param, kind):
    _xfail(request, request.node.callspec.id)
    fixture = RECIPES[key][1][param]
    case = tmp_path / "case"
    case.mkdir()
    if kind == "other_run":
        bad = ws / OTHER_RUN[fixture]
    elif _is_dir_param(fixture):
        good = ws / "chemrun" if fixture.startswith("=") else ws / fixture
        bad = bad_dir(kind, good, case)
    else:
        bad = bad_file(kind, ws / fixture, ws, case)
    argv = argv_for(key, ws, case / "out", {param: str(bad)})
    (case / "out").mkdir()
    problems = check_refused(argv, bad, [ws, case], kind)
    assert not problems, f"helix {' '.join(argv)}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize(("key", "param", "kind"), list(_output_cases()))
def test_a_bad_output_path_is_refused_before_any_work(ws, tmp_path, request, key, param, kind):
    _xfail(request, request.node.callspec.id)
    _, inputs, outputs = RECIPES[key]
    case = tmp_path / "case"
    (case / "out").mkdir(parents=True)
    swap = {}
    if kind == "is_input":
        first, fixture = next(iter(inputs.items()))
        if fixture.startswith("="):
            pytest.skip("the first input is a name")
        target = case / "in" / Path(fixture).name
        target.parent.mkdir()
        if (ws / fixture).is_dir():
            shutil.copytree(ws / fixture, target)
        else:
            shutil.copy(ws / fixture, target)
        swap = {first: str(target), param: str(target)}
    elif kind == "unmakeable":  # /proc refuses a new folder, also to root
        swap = {param: f"/proc/helix-no-such-dir/{outputs[param]}"}
    elif kind == "other_kind":  # a folder where a file is written, a file where a folder is
        target = case / "taken" / outputs[param]
        target.parent.mkdir()
        if Path(outputs[param]).suffix:
            target.mkdir()
            (target / "keep.txt").write_text("keep me\n")
        else:
            target.write_text("keep me\n")
        swap = {param: str(target)}
    elif kind == "read_only_dir":
        if os.geteuid() == 0:
            pytest.skip("root may write in a read-only folder (the /proc case stands in)")
        locked = case / "locked"
        locked.mkdir()
        locked.chmod(0o555)
        request.addfinalizer(lambda: locked.chmod(0o755))
        swap = {param: str(locked / outputs[param])}
    else:
        (case / "a_file").write_text("x\n")
        swap = {param: str(case / "a_file" / outputs[param])}
    argv = argv_for(key, ws, case / "out", swap)
    problems = check_refused(argv, swap[param], [ws, case])
    assert not problems, f"helix {' '.join(argv)}:\n  " + "\n  ".join(problems)


# Recipes a BOM copy cannot run whole: chem admet takes ~10 s (its input is read by the table
# reader every other table verb tests here); crispr design checks the genome against the
# index's checksum, which a BOM copy cannot match (`crispr offtargets#genome` reads it).
BOM_SKIP = {("chem admet", "input"), ("crispr design", "genome")}
BOM_CASES = [
    pytest.param(key, param, id=f"{key}-{param}")
    for key, (_, inputs, _) in RECIPES.items()
    for param, fixture in inputs.items()
    if not _is_dir_param(fixture) and Path(fixture).suffix in TEXT and (key, param) not in BOM_SKIP
]


@pytest.mark.parametrize(("key", "param"), BOM_CASES)
def test_a_utf8_bom_with_crlf_line_ends_reads_as_the_plain_file(ws, tmp_path, request, key, param):
    _xfail(request, request.node.callspec.id)
    fixture = RECIPES[key][1][param]
    case = tmp_path / "case"
    (case / "out").mkdir(parents=True)
    path = bom_crlf(ws / fixture, case)
    argv = argv_for(key, ws, case / "out", {param: str(path)})
    res = _invoke(argv)
    assert res.exit_code == 0, f"helix {' '.join(argv)}:\n{res.output[-800:]}"


def test_every_file_parameter_is_covered():
    """A new verb, or a new file argument / option, needs a recipe here."""
    covered = {(_verb(k), p) for k, (_, inputs, _) in RECIPES.items() for p in inputs}
    missing = [
        f"{verb}: {param}"
        for verb in VERBS
        for param in file_params(verb)
        if (verb, param) not in covered and (verb, param) not in NOT_COVERED
    ]
    no_recipe = [
        verb
        for verb, cmd in VERBS.items()
        if any(_output_param(p) for p in cmd.params)
        and verb not in {_verb(k) for k in RECIPES}
        and verb not in ("demo", "data fetch", "chem embed")
    ]
    assert not missing and not no_recipe, f"no recipe for {missing} / {no_recipe}"
