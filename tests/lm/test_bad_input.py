"""helix lm under bad input: each case exits 2 with a message naming the file or option, no
traceback, nothing at the final output path; row-level problems go to the errors table and
every input row is accounted for (rows in = rows out + rows in errors)."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from helixforge.cli.app import app

runner = CliRunner()
SEQS = ["ACGTACGTAGGC", "GGGCCCGGGAAT", "ATATATATATCG", "CCGGAATTCCGG"] * 3


@pytest.fixture(scope="module")
def w(tmp_path_factory, pretrained_encoder, published_bert):
    """A work folder: corpora, tables, a pretrained checkpoint and a fine-tuned run."""
    from helixforge.lm.estimator import LMPropertyModel
    from helixforge.lm.finetune import finetune

    d = tmp_path_factory.mktemp("bad")
    rng = np.random.default_rng(0)
    with gzip.open(d / "g.fa.gz", "wt") as fh:
        fh.write(">chr1\n" + "".join(rng.choice(list("ACGT"), 3000)) + "\n")
    (d / "one.txt").write_text("CCO\n")
    (d / "alln.fa").write_text(">chr1\n" + "N" * 3000 + "\n")
    (d / "empty.txt").write_text("")
    (d / "nohead.fa").write_text("ACGT\nACGT\n")
    raw = gzip.compress((">chr1\n" + "ACGT" * 2000 + "\n").encode())
    (d / "trunc.fa.gz").write_bytes(raw[: len(raw) // 2])
    pd.DataFrame({"sequence": SEQS, "label": [i % 2 for i in range(12)]}).to_csv(
        d / "t.csv", index=False
    )
    text = (d / "t.csv").read_text().splitlines()
    text[3] += ",extra"  # line 4 has an extra field
    (d / "extra.csv").write_text("\n".join(text) + "\n")
    (d / "header_only.csv").write_text("sequence,label\n")
    (d / "blank_seqs.csv").write_text('sequence,label\n"",1\n"",0\n')
    lab = pd.read_csv(d / "t.csv", dtype=str)
    lab.loc[2, "label"] = "inf"
    lab.to_csv(d / "inf.csv", index=False)
    (d / "exists.csv").write_text("x\n")
    pd.DataFrame({"sequence": SEQS, "label": 1}).to_csv(d / "const.csv", index=False)
    pd.DataFrame({"sequence": SEQS[:3], "label": [0, 1, 0]}).to_csv(d / "three.csv", index=False)
    (d / "adir").mkdir()
    (d / "full").mkdir()
    (d / "full" / "f.txt").write_text("x")
    (d / "afile").write_text("x")
    y = np.array([i % 2 for i in range(12)], float)
    m = LMPropertyModel(published_bert, epochs=1, batch_size=8, threads=1, device="cpu")
    m.fit(SEQS, y, ["binary"], seed=0).save(d / "run")  # a bare model folder (older runs)
    shutil.copytree(pretrained_encoder, d / "enc")
    pd.DataFrame({"sequence": SEQS, "gc": [s.count("G") + 0.5 for s in SEQS]}).to_csv(
        d / "cont.csv", index=False
    )
    finetune(published_bert, d / "t.csv", out=d / "ft", epochs=1, batch_size=8, threads=1,
             device="cpu")  # a run directory  # fmt: skip
    return d


def _damaged_copy(src: Path, dst: Path, name: str, how: str) -> Path:
    shutil.copytree(src, dst, dirs_exist_ok=True)
    f = dst / name
    if how == "truncate":
        f.write_bytes(f.read_bytes()[: max(1, f.stat().st_size // 3)])
    elif how == "garbage":
        f.write_text("{not json")
    elif how == "remove":
        shutil.rmtree(f) if f.is_dir() else f.unlink()
    elif how == "foreign":
        f.write_text(
            json.dumps({"model_type": "mamba_novel", "architectures": ["MambaNovelForMaskedLM"]})
        )
    return dst


PRE = ["lm", "pretrain", "--corpus", "{d}/g.fa.gz", "--tokenizer", "dna-char", "--size", "micro",
       "--max-len", "32", "--steps", "2", "--batch-size", "2", "--jobs", "1", "--quiet"]  # fmt: skip


def pre(*extra, out="{d}/out_pre", corpus=None):
    args = list(PRE)
    if corpus:
        args[3] = corpus
    return [*args, *extra, "-o", out]


PRED = ["lm", "predict", "{d}/run", "{d}/t.csv"]
PRED_RUN = ["lm", "predict", "{d}/ft", "{d}/t.csv"]
EMB = ["lm", "embed", "{d}/enc", "{d}/t.csv"]
SCORE = ["lm", "score", "{d}/enc", "{d}/t.csv"]
FT = ["lm", "finetune", "{d}/enc", "{d}/t.csv", "--epochs", "1", "--jobs", "1", "--quiet"]

# (id, argv, text the message must contain, final output path that must not appear)
USAGE = [
    ("pre-batch-0", pre("--batch-size", "0"), "--batch-size", "{d}/out_pre"),
    ("pre-steps-0", pre("--steps", "0"), "--steps", "{d}/out_pre"),
    ("pre-eval-0", pre("--eval-every", "0"), "--eval-every", "{d}/out_pre"),
    ("pre-maxlen-0", pre("--max-len", "0"), "--max-len", "{d}/out_pre"),
    ("pre-maxlen-4", pre("--max-len", "4"), "--max-len", "{d}/out_pre"),
    ("pre-accum-0", pre("--accumulate", "0"), "--accumulate", "{d}/out_pre"),
    ("pre-save-0", pre("--save-every", "0"), "--save-every", "{d}/out_pre"),
    ("pre-valid-neg", pre("--valid-size", "-1"), "--valid-size", "{d}/out_pre"),
    ("pre-jobs-neg", pre("--jobs", "-1"), "--jobs", "{d}/out_pre"),
    ("pre-lr-neg", pre("--lr", "-1"), "--lr", "{d}/out_pre"),
    ("pre-lr-0", pre("--lr", "0"), "--lr", "{d}/out_pre"),
    ("pre-size", pre("--size", "huge"), "huge", "{d}/out_pre"),
    ("pre-arch", pre("--arch", "rnn"), "rnn", "{d}/out_pre"),
    ("pre-kmer-12", pre("--tokenizer", "dna-kmer:12"), "K must be 3..6", "{d}/out_pre"),
    ("pre-holdout", pre("--holdout", "chrZ"), "chrZ", "{d}/out_pre"),
    ("ft-batch-0", [*FT, "--batch-size", "0", "-o", "{d}/o"], "--batch-size", "{d}/o"),
    ("ft-epochs-0", [*FT, "--epochs", "0", "-o", "{d}/o"], "--epochs", "{d}/o"),
    ("ft-maxlen-0", [*FT, "--max-len", "0", "-o", "{d}/o"], "--max-len", "{d}/o"),
    ("ft-maxrows-0", [*FT, "--max-rows", "0", "-o", "{d}/o"], "--max-rows", "{d}/o"),
    ("ft-task", [*FT, "--task", "ranking", "-o", "{d}/o"], "--task", "{d}/o"),
    ("ft-no-label", [*FT, "--label-col", "nope", "-o", "{d}/o"], "nope", "{d}/o"),
    ("ft-no-seq", [*FT, "--input-col", "nope", "-o", "{d}/o"], "nope", "{d}/o"),
    ("ft-ensemble-0", [*FT, "--ensemble", "0", "-o", "{d}/o"], "--ensemble", "{d}/o"),
    ("ft-coverage-0", [*FT, "--coverage", "0", "-o", "{d}/o"], "--coverage", "{d}/o"),
    ("ft-coverage-1", [*FT, "--coverage", "1", "-o", "{d}/o"], "--coverage", "{d}/o"),
    ("ft-class-continuous", ["lm", "finetune", "{d}/enc", "{d}/cont.csv", "--label-col", "gc",
     "--task", "classification", "--epochs", "1", "-o", "{d}/o"], "continuous", "{d}/o"),
    ("ft-binary-3-values", ["lm", "finetune", "{d}/enc", "{d}/cont.csv", "--label-col", "gc",
     "--task", "binary", "--epochs", "1", "-o", "{d}/o"], "binary", "{d}/o"),
    ("ft-token-2-labels", [*FT, "--task", "token-classification", "--label-col", "a",
     "--label-col", "b", "-o", "{d}/o"], "token-classification", "{d}/o"),
    ("ft-token-ensemble", [*FT, "--task", "token-classification", "--ensemble", "2", "-o",
     "{d}/o"], "--ensemble", "{d}/o"),
    ("pred-chunk-0", [*PRED_RUN, "--chunk-size", "0", "-o", "{d}/p.csv"], "--chunk-size", "{d}/p.csv"),
    ("pred-id-col", [*PRED_RUN, "--id-col", "nope", "-o", "{d}/p.csv"], "nope", "{d}/p.csv"),
    ("pred-batch-0", [*PRED, "--batch-size", "0", "-o", "{d}/p.csv"], "--batch-size", "{d}/p.csv"),
    ("emb-batch-0", [*EMB, "--batch-size", "0", "-o", "{d}/e.csv"], "--batch-size", "{d}/e.csv"),
    ("emb-maxlen-0", [*EMB, "--max-len", "0", "-o", "{d}/e.csv"], "--max-len", "{d}/e.csv"),
    ("score-batch-0", [*SCORE, "--batch-size", "0", "-o", "{d}/s.csv"], "--batch-size", "{d}/s.csv"),
    ("pre-device", pre("--device", "gpu"), "--device", "{d}/out_pre"),
    ("ft-device", [*FT, "--device", "bogus", "-o", "{d}/o"], "--device", "{d}/o"),
    ("pred-device", [*PRED_RUN, "--device", "cuda:x", "-o", "{d}/p.csv"], "--device", "{d}/p.csv"),
    ("emb-device", [*EMB, "--device", "bogus", "-o", "{d}/e.csv"], "--device", "{d}/e.csv"),
    ("score-device", [*SCORE, "--device", "bogus", "-o", "{d}/s.csv"], "--device", "{d}/s.csv"),
    ("ft-constant-label", ["lm", "finetune", "{d}/enc", "{d}/const.csv", "--epochs", "1", "-o",
     "{d}/o"], "same label", "{d}/o"),
    ("ft-three-rows", ["lm", "finetune", "{d}/enc", "{d}/three.csv", "--epochs", "1", "-o",
     "{d}/o"], "only 3 distinct", "{d}/o"),
    ("ft-label-is-input", [*FT, "--label-col", "sequence", "-o", "{d}/o"], "also the --input-col",
     "{d}/o"),
    ("pred-xlsx-out", [*PRED_RUN, "-o", "{d}/p.xlsx"], "p.xlsx", "{d}/p.xlsx"),
    ("tok-maxseq-0", ["lm", "tokenizer", "train", "dna-char", "--max-sequences", "0", "-o", "{d}/tk"],
     "--max-sequences", "{d}/tk"),
]  # fmt: skip

CORPUS = [
    ("one-line", pre(corpus="{d}/one.txt"), "one.txt", "{d}/out_pre"),
    ("all-n", pre(corpus="{d}/alln.fa"), "alln.fa", "{d}/out_pre"),
    ("empty", pre(corpus="{d}/empty.txt"), "empty.txt", "{d}/out_pre"),
    ("missing", pre(corpus="{d}/nope.fa"), "nope.fa", "{d}/out_pre"),
    ("no-header", pre(corpus="{d}/nohead.fa"), "nohead.fa", "{d}/out_pre"),
    ("truncated-gz", pre(corpus="{d}/trunc.fa.gz"), "trunc.fa.gz", "{d}/out_pre"),
]

OUTPUTS = [
    ("pre-out-exists", pre(out="{d}/full"), "--overwrite", None),
    ("pre-out-under-file", pre(out="{d}/afile/x"), "afile", "{d}/afile/x"),
    ("pre-out-is-file", pre(out="{d}/afile"), "is a file", None),
    ("pred-out-exists", [*PRED, "-o", "{d}/exists.csv"], "--overwrite", None),
    ("pred-out-dir", [*PRED, "-o", "{d}/adir"], "is a directory", None),
    ("emb-out-exists", [*EMB, "-o", "{d}/exists.csv"], "--overwrite", None),
    ("score-pp-exists", [*SCORE, "-o", "{d}/s2.csv", "--per-position", "{d}/exists.csv"],
     "--per-position", "{d}/s2.csv"),
    ("ft-out-exists", [*FT, "-o", "{d}/full"], "--overwrite", None),
    ("pred-no-rows", ["lm", "predict", "{d}/run", "{d}/header_only.csv", "-o", "{d}/p.csv"],
     "header_only.csv", "{d}/p.csv"),
    ("pred-blank-rows", ["lm", "predict", "{d}/run", "{d}/blank_seqs.csv", "-o", "{d}/p.csv"],
     "blank_seqs.csv", "{d}/p.csv"),
    ("pred-missing-input", ["lm", "predict", "{d}/run", "{d}/nope.csv", "-o", "{d}/p.csv"],
     "nope.csv", "{d}/p.csv"),
    ("pred-input-col", [*PRED, "--input-col", "nope", "-o", "{d}/p.csv"], "nope", "{d}/p.csv"),
    ("run-pred-input-col", [*PRED_RUN, "--input-col", "nope", "-o", "{d}/p.csv"], "nope",
     "{d}/p.csv"),
    ("run-pred-no-rows", ["lm", "predict", "{d}/ft", "{d}/header_only.csv", "-o", "{d}/p.csv"],
     "header_only.csv", "{d}/p.csv"),
    ("run-pred-out-exists", [*PRED_RUN, "-o", "{d}/exists.csv"], "--overwrite", None),
]  # fmt: skip

# (id, folder to damage, file, how, verb argv using {m} for the damaged copy, text in message)
DAMAGE = [
    ("ft-json-garbage", "run", "helixforge_finetune.json", "garbage", "predict", "helixforge_finetune.json"),
    ("ft-json-missing", "run", "helixforge_finetune.json", "remove", "predict", "helixforge_finetune.json"),
    ("ft-weights-trunc", "run", "model/model.safetensors", "truncate", "predict", "model.safetensors"),
    ("ft-config-garbage", "run", "model/config.json", "garbage", "predict", "config.json"),
    ("ft-tokenizer-garbage", "run", "model/tokenizer.json", "garbage", "predict", "tokenizer.json"),
    ("ft-model-missing", "run", "model", "remove", "predict", "model"),
    ("enc-config-garbage", "enc", "config.json", "garbage", "embed", "config.json"),
    ("enc-config-trunc", "enc", "config.json", "truncate", "score", "config.json"),
    ("enc-weights-trunc", "enc", "model.safetensors", "truncate", "embed", "model.safetensors"),
    ("enc-tokenizer-garbage", "enc", "tokenizer.json", "garbage", "embed", "tokenizer"),
    ("enc-tokspec-garbage", "enc", "helixforge_tokenizer.json", "garbage", "embed", "helixforge_tokenizer.json"),
    ("enc-meta-garbage", "enc", "helixforge_lm.json", "garbage", "embed", "helixforge_lm.json"),
    ("enc-finetune-base", "enc", "config.json", "garbage", "finetune", "config.json"),
    ("run-config-garbage", "ft", "config.json", "garbage", "predict", "config.json"),
    ("run-config-missing", "ft", "config.json", "remove", "predict", "config.json"),
    ("run-manifest-garbage", "ft", "model/manifest.json", "garbage", "predict", "manifest.json"),
    ("run-conformal-garbage", "ft", "conformal.json", "garbage", "predict", "conformal.json"),
    ("run-weights-trunc", "ft", "model/member_0/model/model.safetensors", "truncate", "predict",
     "model.safetensors"),
    ("run-member-json-garbage", "ft", "model/member_0/helixforge_finetune.json", "garbage",
     "predict", "helixforge_finetune.json"),
    ("run-member-missing", "ft", "model/member_0", "remove", "predict", "member_0"),
    # found before any work: finetune read the table, then died in a safetensors traceback
    ("enc-weights-trunc-finetune", "enc", "model.safetensors", "truncate", "finetune",
     "model.safetensors: the weights could not be read"),
    ("enc-weights-missing", "enc", "model.safetensors", "remove", "embed", "no weight file"),
    ("enc-weights-missing-finetune", "enc", "model.safetensors", "remove", "finetune",
     "no weight file"),
    # a published layout of an architecture transformers does not know (and no code shipped)
    ("enc-foreign-arch", "enc", "config.json", "foreign", "score", "model_type 'mamba_novel'"),
    ("enc-foreign-arch-finetune", "enc", "config.json", "foreign", "finetune",
     "is not an architecture transformers"),
]  # fmt: skip


def _fmt(args, d):
    return [a.format(d=d) for a in args]


def _refused(res, text: str, final: str | None, d: Path) -> None:
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    assert text in res.output, res.output
    if final:
        assert not Path(final.format(d=d)).exists()


@pytest.mark.parametrize("case", USAGE + CORPUS + OUTPUTS, ids=lambda c: c[0])
def test_refused_with_a_clear_message(w, case):
    _, argv, text, final = case
    res = runner.invoke(app, _fmt(argv, w))
    _refused(res, text, final, w)


@pytest.mark.parametrize("case", DAMAGE, ids=lambda c: c[0])
def test_damaged_model_folder_is_named(w, tmp_path, case):
    _, src, name, how, verb, text = case
    m = _damaged_copy(w / src, tmp_path / "m", name, how)
    out = tmp_path / "o.csv" if verb != "finetune" else tmp_path / "o"
    argv = ["lm", verb, str(m), str(w / "t.csv"), "-o", str(out)]
    if verb == "finetune":
        argv += ["--epochs", "1", "--quiet"]
    res = runner.invoke(app, argv)
    _refused(res, text, str(out), w)


@pytest.mark.parametrize(
    "verb, model",
    [("predict", "run"), ("predict", "ft"), ("embed", "enc"), ("score", "enc")],
)
def test_extra_field_lines_go_to_the_errors_table(w, tmp_path, verb, model):
    out = tmp_path / "o.csv"
    res = runner.invoke(app, ["lm", verb, str(w / model), str(w / "extra.csv"), "-o", str(out)])
    assert res.exit_code == 0, res.output
    rows_out = len(pd.read_csv(out))
    errors = pd.read_csv(tmp_path / "o.errors.csv")
    assert list(errors.row) == [4] and rows_out + len(errors) == 12
    assert "sequence" in pd.read_csv(out).columns  # input columns kept


def test_finetune_records_extra_fields_and_inf_labels(w, tmp_path):
    df = pd.read_csv(w / "inf.csv")
    text = df.to_csv(index=False).splitlines()
    text[5] += ",x"  # line 6 also has an extra field
    (tmp_path / "bad.csv").write_text("\n".join(text) + "\n")
    out = tmp_path / "ft"
    res = runner.invoke(app, ["lm", "finetune", str(w / "run" / "model"), str(tmp_path / "bad.csv"),
                              "--epochs", "1", "--jobs", "1", "--quiet", "-o", str(out)])  # fmt: skip
    assert res.exit_code == 0, res.output
    errors = pd.read_csv(out / "errors.csv")
    assert set(errors.row) == {4, 6}  # the inf label: "not finite" + "no usable label"
    assert json.loads((out / "config.json").read_text())["n_rows"] + errors.row.nunique() == 12
    assert len(pd.read_csv(out / "predictions.csv")) == 10


def test_short_record_fasta_trains_a_tokenizer_and_pretrains(tmp_path):
    """Reads of 120 bp: `tokenizer train dna-bpe` and `pretrain --tokenizer dna-bpe` sampled
    1-2 kb windows and were refused ('use a smaller --max-len'); the early corpus check used a
    64 bp window whatever --max-len said, and a refused run left an empty .NAME.partial folder."""
    rng = np.random.default_rng(1)
    fa = tmp_path / "reads.fa"
    fa.write_text("".join(f">r{i}\n{''.join(rng.choice(list('ACGT'), 120))}\n" for i in range(30)))
    r = runner.invoke(
        app,
        [
            "lm",
            "tokenizer",
            "train",
            "dna-bpe:30",
            "--corpus",
            str(fa),
            "-o",
            str(tmp_path / "tok"),
        ],
    )
    assert r.exit_code == 0, r.output
    assert (tmp_path / "tok" / "tokenizer.json").exists()
    short = tmp_path / "short.fa"
    short.write_text("".join(f">s{i}\n{''.join(rng.choice(list('ACGT'), 40))}\n" for i in range(4)))
    common = ["--size", "micro", "--steps", "1", "--batch-size", "2", "-q"]
    for corpus, tok, max_len in ((fa, "dna-bpe:30", "32"), (short, "dna-char", "32")):
        out_dir = tmp_path / f"p_{corpus.stem}"
        r = runner.invoke(
            app,
            [
                "lm",
                "pretrain",
                "--corpus",
                str(corpus),
                "--tokenizer",
                tok,
                "--max-len",
                max_len,
                "-o",
                str(out_dir),
                *common,
            ],
        )
        assert r.exit_code == 0, r.output
    r = runner.invoke(
        app,
        [
            "lm",
            "pretrain",
            "--corpus",
            str(short),
            "--tokenizer",
            "dna-char",
            "--max-len",
            "100",
            "-o",
            str(tmp_path / "refused"),
            *common,
        ],
    )
    assert r.exit_code == 2 and "window (98 bp)" in r.output, r.output
    assert not (tmp_path / "refused").exists() and not (tmp_path / ".refused.partial").exists()


@pytest.mark.parametrize("verb", ["embed", "score", "finetune"])
def test_max_len_past_the_checkpoints_positions_is_refused(w, tmp_path, published_bert, verb):
    """A BERT checkpoint with a 40-position table and --max-len 1000 raised RuntimeError ('The
    expanded size of the tensor (…) must match the existing size (40)') from inside the model."""
    pub = tmp_path / "pub"
    shutil.copytree(published_bert, pub)
    long = tmp_path / "long.csv"
    pd.DataFrame({"sequence": [s * 30 for s in SEQS], "label": [i % 2 for i in range(12)]}).to_csv(
        long, index=False
    )
    out = tmp_path / ("o" if verb == "finetune" else "o.csv")
    res = runner.invoke(app, ["lm", verb, str(pub), str(long), "-o", str(out), "--max-len", "1000"])
    _refused(res, "--max-len 1,000 is longer than", str(out), tmp_path)
    assert "at most 40 tokens" in res.output


def test_pretrain_max_len_is_capped(w, tmp_path):
    """--arch gpt2 --max-len 100000000 allocated a 100-million-row position table (12.8 GB)."""
    argv = ["lm", "pretrain", "--corpus", str(w / "g.fa.gz"), "--tokenizer", "dna-char",
            "--arch", "gpt2", "--size", "micro", "--max-len", "100000000", "--steps", "1",
            "-o", str(tmp_path / "p")]  # fmt: skip
    _refused(runner.invoke(app, argv), "too long for pretraining", str(tmp_path / "p"), tmp_path)


def test_dna_tokenizer_on_a_smiles_corpus_is_refused(tmp_path):
    """`tokenizer train dna-bpe --corpus mols.smi` and `pretrain --tokenizer dna-char` on SMILES
    trained on molecules as DNA (every O, N, ( … an N or an unknown token) without a word."""
    smi = tmp_path / "mols.smi"
    smi.write_text("smiles\n" + "CCO\nc1ccccc1O\nCC(=O)Nc1ccc(O)cc1\nCCN(CC)CC\n" * 5)
    r = runner.invoke(
        app,
        ["lm", "tokenizer", "train", "dna-bpe:32", "--corpus", str(smi), "-o", str(tmp_path / "t")],
    )
    _refused(r, "not DNA", str(tmp_path / "t"), tmp_path)
    argv = ["lm", "pretrain", "--corpus", str(smi), "--tokenizer", "dna-char", "--size", "micro",
            "--max-len", "16", "--steps", "1", "-o", str(tmp_path / "p")]  # fmt: skip
    _refused(runner.invoke(app, argv), "not DNA", str(tmp_path / "p"), tmp_path)
    assert not (tmp_path / ".p.partial").exists()
    dna = tmp_path / "dna.csv"
    dna.write_text(
        "sequence\n" + "ACGTAGCTAGCTAGCATCGA\nacgtagctagcaaaaatcga\nACGUAGCTAGCNNGCAGGGA\n" * 3
    )
    r = runner.invoke(
        app,
        ["lm", "tokenizer", "train", "dna-bpe:20", "--corpus", str(dna), "-o", str(tmp_path / "d")],
    )
    assert r.exit_code == 0, r.output


@pytest.mark.parametrize("tokenizer", ["smiles-atom", "smiles-bpe:32"])
@pytest.mark.parametrize("corpus", ["dna.txt", "genome.fa"])
def test_smiles_tokenizer_on_a_dna_corpus_is_refused(w, tmp_path, tokenizer, corpus):
    """The reverse of the case above: `pretrain --tokenizer smiles-atom` on DNA lines or a
    genome, and `tokenizer train smiles-bpe` on DNA, trained on bases as SMILES without a word."""
    rng = np.random.default_rng(0)
    seqs = ["".join(rng.choice(list("ACGT"), 60)) for _ in range(30)]
    path = tmp_path / corpus
    if corpus.endswith(".fa"):
        path.write_text(">chr1\n" + "".join(seqs) * 4 + "\n")
    else:
        path.write_text("\n".join(seqs) + "\n")
    argv = ["lm", "pretrain", "--corpus", str(path), "--tokenizer", tokenizer, "--size", "micro",
            "--max-len", "16", "--steps", "1", "-o", str(tmp_path / "p")]  # fmt: skip
    _refused(runner.invoke(app, argv), "not SMILES", str(tmp_path / "p"), tmp_path)
    if tokenizer.startswith("smiles-bpe"):
        argv = ["lm", "tokenizer", "train", tokenizer, "--corpus", str(path), "-o",
                str(tmp_path / "t")]  # fmt: skip
        _refused(runner.invoke(app, argv), "use a dna-* tokenizer", str(tmp_path / "t"), tmp_path)


@pytest.mark.parametrize("record_len", [3000, 200], ids=["long records", "short records"])
def test_a_protein_fasta_is_named_as_not_dna(tmp_path, record_len):
    """A protein FASTA under a DNA tokenizer: the genome reader turned every amino acid into
    N and said 'could not find a window without N runs: the genome is mostly N'."""
    rng = np.random.default_rng(0)
    path = tmp_path / "proteins.fa"
    path.write_text("".join(f">p{i}\n" + "".join(rng.choice(list("ACDEFGHIKLMNPQRSTVWY"), record_len)) + "\n"
                            for i in range(20)))  # fmt: skip
    argv = ["lm", "pretrain", "--corpus", str(path), "--tokenizer", "dna-char", "--size", "micro",
            "--max-len", "16", "--steps", "1", "-o", str(tmp_path / "p")]  # fmt: skip
    _refused(runner.invoke(app, argv), "not DNA", str(tmp_path / "p"), tmp_path)
    argv = [
        "lm",
        "tokenizer",
        "train",
        "dna-bpe:32",
        "--corpus",
        str(path),
        "-o",
        str(tmp_path / "t"),
    ]
    _refused(runner.invoke(app, argv), "not DNA", str(tmp_path / "t"), tmp_path)


def test_a_smiles_corpus_of_carbon_chains_is_not_taken_for_dna(tmp_path):
    """CCCC, CNC, c1ccncc1 are bases-only strings, but no A/G/T/U: SMILES, not DNA."""
    from helixforge.lm.corpus import require_smiles_text

    require_smiles_text(["CCCC", "CNC", "c1ccncc1", "NCCN", "CC(=O)O", "C"], "m.smi", "smiles-atom")


def test_pretrain_batch_past_this_machines_memory_is_refused(w, tmp_path):
    """--batch-size 1e9 spent hours drawing a billion windows (then could not allocate them)."""
    argv = ["lm", "pretrain", "--corpus", str(w / "g.fa.gz"), "--tokenizer", "dna-char",
            "--size", "micro", "--max-len", "16", "--batch-size", "1000000000", "--steps", "1",
            "-o", str(tmp_path / "p")]  # fmt: skip
    _refused(
        runner.invoke(app, argv),
        "--batch-size 1,000,000,000 × --max-len 16",
        str(tmp_path / "p"),
        tmp_path,
    )


def test_refused_lm_predict_leaves_no_staging_folder(w, tmp_path):
    """`lm predict` refused after finished chunks (here: a tail of Latin-1 lines, more than
    stray ones) left .<out>.partial behind, a folder no --resume could get past."""
    good = "".join(f"{s},1\n" for s in SEQS * 4)
    tail = b"AC\xe9GT,1\n" * 20
    (tmp_path / "q.csv").write_bytes(("sequence,label\n" + good).encode() + tail)
    out = tmp_path / "o" / "p.csv"
    res = runner.invoke(app, ["lm", "predict", str(w / "ft"), str(tmp_path / "q.csv"), "-o",
                              str(out), "--chunk-size", "8"])  # fmt: skip
    assert res.exit_code == 2 and "not UTF-8" in res.output, res.output
    assert list(out.parent.iterdir()) == []


def test_lm_predict_names_a_fastq_input(w, tmp_path):
    (tmp_path / "reads.fq").write_text("@r1\nACGT\n+\nIIII\n")
    res = runner.invoke(app, ["lm", "predict", str(w / "ft"), str(tmp_path / "reads.fq"), "-o",
                              str(tmp_path / "p.csv")])  # fmt: skip
    assert res.exit_code == 2 and "a FASTQ file" in res.output, res.output


@pytest.mark.parametrize("inside", ["model", "model/member_0/model"])
def test_predict_on_a_folder_inside_a_run_names_the_run(w, tmp_path, inside):
    """`lm predict RUN/model` said 'helixforge_finetune.json: not found, pass a run directory'
    without saying that RUN is one."""
    out = tmp_path / "p.csv"
    res = runner.invoke(
        app, ["lm", "predict", str(w / "ft" / inside), str(w / "t.csv"), "-o", str(out)]
    )
    _refused(res, f"inside the run directory {w / 'ft'}", str(out), w)
    assert f"helix lm predict {w / 'ft'}" in res.output
