"""Malformed inputs and options for every crispr verb: exit code 2, a message naming the file or
option, no traceback, nothing at the final output path; row-level faults are accounted for
(rows in = rows out + rows in the errors table)."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from helixforge.cli.app import app
from helixforge.crispr.offtarget import build_index

runner = CliRunner()
GOOD_CTX = "TTCTGCCTTGTTTCTTTCCTCTCTGGGTCG"


def _seq(seed: int, n: int) -> str:
    return "".join(np.random.default_rng(seed).choice(list("ACGT"), n))


def _contexts(n: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        s = rng.choice(list("ACGT"), 30)
        s[25:27] = "G"
        out.append("".join(s))
    return out


@pytest.fixture(scope="module")
def d(tmp_path_factory):
    """Every input the cases need, made once."""
    d = tmp_path_factory.mktemp("bad")
    seq = _seq(1, 20_000)
    (d / "g.fa").write_text(">chr1\n" + seq + "\n")
    (d / "other.fa").write_text(">chr1\n" + _seq(2, 20_000) + "\n")
    (d / "empty.fa").write_text("")
    (d / "notfasta.fa").write_text("this is not a fasta file\n")
    raw = gzip.compress((">chr1\n" + seq + "\n").encode())
    (d / "trunc.fa.gz").write_bytes(raw[: len(raw) // 2])
    (d / "a.gtf").write_text('chr1\tx\tCDS\t1001\t1600\t.\t+\t0\tgene_id "g1"; gene_name "thrA";\n')
    build_index(d / "g.fa", "spcas9", out=d / "idx")
    (d / "plain_dir").mkdir()
    (d / "plain_dir" / "keep.txt").write_text("not an index")
    (d / "badidx").mkdir()
    (d / "badidx" / "index.json").write_text("{broken")
    (d / "afile").write_text("a file, not a directory")
    (d / "exists.tsv").write_text("keep me\n")
    (d / "gdup.fa").write_text(">chr1\n" + seq[:5000] + "\n>chr1\n" + seq[5000:] + "\n")
    (d / "glatin1.fa").write_bytes(b">chr1 caf\xe9\n" + seq.encode() + b"\n")
    (d / "gbyte.fa").write_bytes(b">chr1\n" + seq[:5000].encode() + b"\xe9\n")
    spacers = [seq[1000:1020], seq[3000:3020]]
    pd.DataFrame({"guide_id": ["a", "b"], "spacer": spacers}).to_csv(d / "sp.csv", index=False)
    pd.DataFrame({"spacer": ["ACGT", "NNNN"]}).to_csv(d / "allbad.csv", index=False)
    (d / "empty.csv").write_text("")
    (d / "header.csv").write_text("spacer\n")
    pd.DataFrame({"context": [GOOD_CTX] * 3}).to_csv(d / "ctx.csv", index=False)
    pd.DataFrame({"context": ["ACGT", "XX"]}).to_csv(d / "ctxbad.csv", index=False)
    rawc = gzip.compress(("context\n" + (GOOD_CTX + "\n") * 2000).encode())
    (d / "ctx_trunc.csv.gz").write_bytes(rawc[: len(rawc) // 2])
    (d / "badmodel").mkdir()
    (d / "badmodel" / "config.json").write_text("{not json")
    ctx = _contexts(60)
    y = [float(c[23] == "G") + 0.01 * i for i, c in enumerate(ctx)]
    pd.DataFrame({"context": ctx, "lfc": y}).to_csv(d / "screen.csv", index=False)
    pd.DataFrame({"context": ctx[:5], "lfc": y[:5]}).to_csv(d / "tiny.csv", index=False)
    pd.DataFrame({"context": ctx, "lfc": ["x"] * 60}).to_csv(d / "nolabel.csv", index=False)
    _runs(d)
    return d


def _runs(d) -> None:
    """A train-ontarget run and damaged / foreign copies of it."""
    import shutil

    from helixforge.crispr.ontarget import train_ontarget

    train_ontarget(d / "screen.csv", "context", "lfc", "gbm", d / "run", params={"n_estimators": 5})
    for name in ("run_trunc", "run_nofile", "run_chem", "run_badcfg", "run_nomanifest"):
        shutil.copytree(d / "run", d / name)
    f = d / "run_trunc/model/member_0/model.txt"
    f.write_text(f.read_text()[:100])
    (d / "run_nofile/model/member_0/config.json").unlink()
    cfg = json.loads((d / "run/config.json").read_text())
    (d / "run_chem/config.json").write_text(json.dumps({**cfg, "domain": "chem"}))
    (d / "run_badcfg/config.json").write_text('{"domain": "crispr", ')
    (d / "run_nomanifest/model/manifest.json").unlink()


DESIGN = ["crispr", "design", "--ontarget-model", "none"]
OT = ["crispr", "offtargets"]
SCORE = ["crispr", "score-ontarget"]
TRAIN = ["crispr", "train-ontarget"]
TRAIN_OK = ["{d}/screen.csv", "--label-col", "lfc", "--param", "n_estimators=5"]

# (id, argv with {d} = inputs folder and {o} = a fresh output path, text the message must hold)
CASES = [
    # ---- index
    ("index-missing-genome", ["crispr", "index", "{d}/nope.fa", "-o", "{o}"], "nope.fa"),
    ("index-genome-is-dir", ["crispr", "index", "{d}/plain_dir", "-o", "{o}"], "plain_dir"),
    ("index-empty-genome", ["crispr", "index", "{d}/empty.fa", "-o", "{o}"], "empty.fa"),
    ("index-not-fasta", ["crispr", "index", "{d}/notfasta.fa", "-o", "{o}"], "notfasta.fa"),
    ("index-truncated-gz", ["crispr", "index", "{d}/trunc.fa.gz", "-o", "{o}"], "trunc.fa.gz"),
    ("index-bad-enzyme", ["crispr", "index", "{d}/g.fa", "-e", "cas99", "-o", "{o}"], "--enzyme"),
    ("index-bad-pam", ["crispr", "index", "{d}/g.fa", "--pams", "NGX", "-o", "{o}"], "NGX"),
    ("index-pam-length", ["crispr", "index", "{d}/g.fa", "--pams", "NGGG", "-o", "{o}"], "3 nt"),
    ("index-out-is-file", ["crispr", "index", "{d}/g.fa", "-o", "{d}/afile"], "--out"),
    ("index-out-exists", ["crispr", "index", "{d}/g.fa", "-o", "{d}/idx"], "already exists"),
    ("index-out-not-index", ["crispr", "index", "{d}/g.fa", "-o", "{d}/plain_dir", "--overwrite"],
     "not an off-target index"),
    ("index-parent-is-file", ["crispr", "index", "{d}/g.fa", "-o", "{d}/afile/idx"], "--out"),
    # ---- offtargets
    ("ot-missing-table", [*OT, "{d}/nope.csv", "--index", "{d}/idx", "-o", "{o}"], "nope.csv"),
    ("ot-missing-column", [*OT, "{d}/sp.csv", "--index", "{d}/idx", "--input-col", "seq", "-o", "{o}"],
     "'seq'"),
    ("ot-missing-id-col", [*OT, "{d}/sp.csv", "--index", "{d}/idx", "--id-col", "name", "-o", "{o}"],
     "'name'"),
    ("ot-genome-and-index", [*OT, "{d}/sp.csv", "--index", "{d}/idx", "-g", "{d}/g.fa", "-o", "{o}"],
     "exactly one"),
    ("ot-no-genome", [*OT, "{d}/sp.csv", "-o", "{o}"], "exactly one"),
    ("ot-not-an-index", [*OT, "{d}/sp.csv", "--index", "{d}/plain_dir", "-o", "{o}"], "plain_dir"),
    ("ot-corrupt-index", [*OT, "{d}/sp.csv", "--index", "{d}/badidx", "-o", "{o}"], "index.json"),
    ("ot-mm-too-high", [*OT, "{d}/sp.csv", "--index", "{d}/idx", "-m", "9", "-o", "{o}"],
     "--max-mismatches"),
    ("ot-mm-negative", [*OT, "{d}/sp.csv", "--index", "{d}/idx", "-m", "-1", "-o", "{o}"],
     "--max-mismatches"),
    ("ot-max-sites-0", [*OT, "{d}/sp.csv", "--index", "{d}/idx", "--max-sites", "0", "-o", "{o}"],
     "--max-sites"),
    ("ot-jobs-negative", [*OT, "{d}/sp.csv", "--index", "{d}/idx", "--jobs", "-2", "-o", "{o}"],
     "--jobs"),
    ("ot-all-rows-bad", [*OT, "{d}/allbad.csv", "--index", "{d}/idx", "-o", "{o}"], "allbad.csv"),
    ("ot-empty-table", [*OT, "{d}/empty.csv", "--index", "{d}/idx", "-o", "{o}"], "empty.csv"),
    ("ot-header-only", [*OT, "{d}/header.csv", "--index", "{d}/idx", "-o", "{o}"], "header.csv"),
    ("ot-pam-not-indexed", [*OT, "{d}/sp.csv", "--index", "{d}/idx", "--pams", "NTG", "-o", "{o}"],
     "NTG"),
    ("ot-enzyme-vs-index", [*OT, "{d}/sp.csv", "--index", "{d}/idx", "-e", "ascas12a", "-o", "{o}"],
     "ascas12a"),
    ("ot-out-exists", [*OT, "{d}/sp.csv", "--index", "{d}/idx", "-o", "{d}/exists.tsv"],
     "already exists"),
    ("ot-bad-spacer-list", [*OT, "ACGT,NNN", "--index", "{d}/idx", "-o", "{o}"], "spacer list"),
    # '-o out.tsv/' names a directory: refused like every other verb (was written as out.tsv)
    ("ot-out-trailing-slash", [*OT, "{d}/sp.csv", "--index", "{d}/idx", "-o", "{o}/"],
     "ends with '/'"),
    ("design-out-trailing-slash", [*DESIGN, "-t", "chr1:1001-1400", "-g", "{d}/g.fa", "-o", "{o}/"],
     "ends with '/'"),
    ("score-out-trailing-slash", [*SCORE, "{d}/ctx.csv", "--model", "gbm", "-o", "{o}/"],
     "ends with '/'"),
    # ---- design
    ("design-top-negative", [*DESIGN, "-t", "chr1:1001-1400", "-g", "{d}/g.fa", "--top", "-3", "-o", "{o}"],
     "--top"),
    ("design-top-zero", [*DESIGN, "-t", "chr1:1001-1400", "-g", "{d}/g.fa", "--top", "0", "-o", "{o}"],
     "--top"),
    ("design-mm-too-high", [*DESIGN, "-t", "chr1:1001-1400", "-g", "{d}/g.fa", "-m", "9", "-o", "{o}"],
     "--max-mismatches"),
    ("design-bad-char", [*DESIGN, "-t", "ACGTQACGTACGTACGTACGTACGTACG", "-o", "{o}"], "position 5"),
    ("design-unknown-contig", [*DESIGN, "-t", "chr9:1-100", "-g", "{d}/g.fa", "-o", "{o}"],
     "'chr9'"),
    ("design-outside-contig", [*DESIGN, "-t", "chr1:1-99999", "-g", "{d}/g.fa", "-o", "{o}"],
     "outside contig"),
    ("design-region-no-genome", [*DESIGN, "-t", "chr1:1-100", "-o", "{o}"], "no genome"),
    ("design-unknown-gene", [*DESIGN, "-t", "zzzQ", "-g", "{d}/g.fa", "-a", "{d}/a.gtf", "-o", "{o}"],
     "is not in the annotation a.gtf"),
    ("design-missing-annotation", [*DESIGN, "-t", "thrA", "-g", "{d}/g.fa", "-a", "{d}/nope.gtf", "-o", "{o}"],
     "nope.gtf"),
    ("design-index-other-genome", [*DESIGN, "-t", "chr1:1001-1400", "-g", "{d}/other.fa", "--index", "{d}/idx",
                                   "-o", "{o}"], "other.fa"),
    ("design-bad-restriction", [*DESIGN, "-t", "chr1:1001-1400", "-g", "{d}/g.fa", "--restriction", "NotOne",
                                "-o", "{o}"], "NotOne"),
    ("design-bad-custom-pam", [*DESIGN, "-t", "ACGT" * 10, "-e", "custom:NGX:20", "-o", "{o}"], "NGX"),
    ("design-report-is-dir", [*DESIGN, "-t", "ACGT" * 10, "--report", "{d}/plain_dir", "-o", "{o}"],
     "--report"),
    ("design-out-exists", [*DESIGN, "-t", "ACGT" * 10, "-o", "{d}/exists.tsv"], "already exists"),
    ("design-short-target", [*DESIGN, "-t", "ACGTACGTAC", "-o", "{o}"], "shorter than one"),
    # ---- score-ontarget
    ("score-missing-file", [*SCORE, "{d}/nope.csv", "-o", "{o}"], "nope.csv"),
    ("score-missing-column", [*SCORE, "{d}/ctx.csv", "--input-col", "seq", "-o", "{o}"], "'seq'"),
    ("score-unknown-model", [*SCORE, "{d}/ctx.csv", "--model", "nomodel", "-o", "{o}"], "nomodel"),
    ("score-wrong-enzyme", [*SCORE, "{d}/ctx.csv", "--enzyme", "sacas9", "-o", "{o}"], "sacas9"),
    ("score-all-invalid", [*SCORE, "{d}/ctxbad.csv", "-o", "{o}"], "ctxbad.csv"),
    ("score-out-exists", [*SCORE, "{d}/ctx.csv", "-o", "{d}/exists.tsv"], "already exists"),
    ("score-corrupt-model", [*SCORE, "{d}/ctx.csv", "--model", "{d}/badmodel", "-o", "{o}"],
     "config.json"),
    ("score-truncated-gz", [*SCORE, "{d}/ctx_trunc.csv.gz", "-o", "{o}"], "ctx_trunc.csv.gz"),
    # ---- train-ontarget
    ("train-missing-label", [*TRAIN, "{d}/screen.csv", "--label-col", "nope", "-o", "{o}"], "'nope'"),
    ("train-bad-model", [*TRAIN, *TRAIN_OK, "--model", "xgb", "-o", "{o}"], "--model"),
    ("train-test-fraction-0", [*TRAIN, *TRAIN_OK, "--test-fraction", "0", "-o", "{o}"],
     "--test-fraction"),
    ("train-test-fraction-big", [*TRAIN, *TRAIN_OK, "--test-fraction", "1.5", "-o", "{o}"],
     "--test-fraction"),
    ("train-param-type", [*TRAIN, "{d}/screen.csv", "--label-col", "lfc", "--param", "n_estimators=abc",
                          "-o", "{o}"], "n_estimators"),
    ("train-param-unknown", [*TRAIN, *TRAIN_OK, "--param", "bogus=1", "-o", "{o}"], "bogus"),
    ("train-param-syntax", [*TRAIN, *TRAIN_OK, "--param", "n_estimators", "-o", "{o}"], "--param"),
    ("train-too-few-rows", [*TRAIN, "{d}/tiny.csv", "--label-col", "lfc", "-o", "{o}"], "tiny.csv"),
    ("train-no-numeric-label", [*TRAIN, "{d}/nolabel.csv", "--label-col", "lfc", "-o", "{o}"],
     "nolabel.csv"),
    ("train-out-is-file", [*TRAIN, *TRAIN_OK, "-o", "{d}/afile"], "--out"),
    ("train-jobs-negative", [*TRAIN, *TRAIN_OK, "--jobs", "-1", "-o", "{o}"], "--jobs"),
    ("train-ensemble-0", [*TRAIN, *TRAIN_OK, "--ensemble", "0", "-o", "{o}"], "--ensemble"),
    ("train-coverage-0", [*TRAIN, *TRAIN_OK, "--coverage", "0", "-o", "{o}"], "--coverage"),
    ("train-coverage-big", [*TRAIN, *TRAIN_OK, "--coverage", "1.5", "-o", "{o}"], "--coverage"),
    ("train-missing-group-col", [*TRAIN, *TRAIN_OK, "--group-col", "study", "-o", "{o}"], "'study'"),
    ("train-out-is-a-run", [*TRAIN, *TRAIN_OK, "-o", "{d}/run"], "already exists"),
    ("score-run-truncated-model", [*SCORE, "{d}/ctx.csv", "--model", "{d}/run_trunc", "-o", "{o}"],
     "model.txt"),
    ("score-run-missing-file", [*SCORE, "{d}/ctx.csv", "--model", "{d}/run_nofile", "-o", "{o}"],
     "member_0"),
    ("score-run-other-domain", [*SCORE, "{d}/ctx.csv", "--model", "{d}/run_chem", "-o", "{o}"],
     "chem run"),
    ("score-run-damaged-config", [*SCORE, "{d}/ctx.csv", "--model", "{d}/run_badcfg", "-o", "{o}"],
     "config.json"),
    ("score-run-no-manifest", [*SCORE, "{d}/ctx.csv", "--model", "{d}/run_nomanifest", "-o", "{o}"],
     "manifest.json"),
    # ---- found by the hostile-user pass: misleading messages and outputs that are inputs
    ("ot-index-missing", [*OT, "{d}/sp.csv", "--index", "{d}/noidx", "-o", "{o}"], "index not found"),
    ("ot-index-is-fasta", [*OT, "{d}/sp.csv", "--index", "{d}/g.fa", "-o", "{o}"], "--genome"),
    ("ot-out-is-input", [*OT, "{d}/sp.csv", "--index", "{d}/idx", "-o", "{d}/sp.csv", "--overwrite"],
     "is the input"),
    ("design-index-missing", [*DESIGN, "-t", "chr1:1001-1400", "-g", "{d}/g.fa", "--index", "{d}/noidx",
                              "-o", "{o}"], "index not found"),
    ("design-out-is-genome", [*DESIGN, "-t", "chr1:1001-1400", "-g", "{d}/g.fa", "-o", "{d}/g.fa",
                              "--overwrite"], "is the input"),
    ("design-region-dots", [*DESIGN, "-t", "chr1:1001..1400", "-g", "{d}/g.fa", "-o", "{o}"], "not a region"),
    ("design-region-negative", [*DESIGN, "-t", "chr1:-5-100", "-g", "{d}/g.fa", "-o", "{o}"], "not a region"),
    ("design-gene-odd-chars", [*DESIGN, "-t", "zz;q", "-g", "{d}/g.fa", "-a", "{d}/a.gtf", "-o", "{o}"],
     "is not in the annotation a.gtf"),
    ("design-genome-dup-names", [*DESIGN, "-t", "chr1:1001-1400", "-g", "{d}/gdup.fa", "-o", "{o}"],
     "appears more than once"),
    ("design-genome-non-ascii-base", [*DESIGN, "-t", "chr1:1001-1400", "-g", "{d}/gbyte.fa", "-o", "{o}"],
     "line 2: a sequence line holds a byte that is no base letter"),
    ("score-out-is-input", [*SCORE, "{d}/ctx.csv", "-o", "{d}/ctx.csv", "--overwrite"], "is the input"),
    ("train-out-holds-input", [*TRAIN, *TRAIN_OK, "-o", "{d}", "--overwrite"], "holds the input"),
    # ---- robustness sweep: a named on-target model that cannot be loaded is an error, not a note
    ("design-ontarget-model-missing", [*DESIGN, "-t", "chr1:1001-1400", "-g", "{d}/g.fa",
                                       "--ontarget-model", "{d}/nomodel", "-o", "{o}"], "nomodel"),
    ("design-ontarget-model-typo", [*DESIGN, "-t", "chr1:1001-1400", "-g", "{d}/g.fa",
                                    "--ontarget-model", "defualt", "-o", "{o}"], "defualt"),
    # ---- two outputs of one job at one path: the later one replaced the earlier, exit 0
    ("design-report-is-out", [*DESIGN, "-t", "chr1:1001-1400", "-g", "{d}/g.fa", "--report", "{o}",
                              "-o", "{o}"], "one output would replace the other"),
]  # fmt: skip


def test_there_are_at_least_40_cases():
    assert len(CASES) >= 40
    assert len({c[0] for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_input_exits_2_with_a_named_message(case, d, tmp_path):
    _, argv, expected = case
    out = tmp_path / "result" / "out.tsv"

    def files():  # pyfaidx's .fai files are caches, not outputs
        return {p: p.read_bytes() for p in d.rglob("*") if p.is_file() and p.suffix != ".fai"}

    before = files()
    args = [a.replace("{d}", str(d)).replace("{o}", str(out)) for a in argv]
    res = runner.invoke(app, args)
    text = res.output
    assert res.exit_code == 2, text
    assert "Traceback" not in text
    assert res.exception is None or isinstance(res.exception, SystemExit)
    assert expected in " ".join(text.split()) or expected in text, text
    assert not out.exists() and not out.with_name("out.summary.tsv").exists()
    assert files() == before  # no input or pre-existing output was touched


# ---------------------------------------------------------------- row-level faults: accounted


def test_offtargets_rows_in_equal_rows_out_plus_errors(d, tmp_path):
    s = pd.read_csv(d / "sp.csv")["spacer"].tolist()
    lines = ["guide_id,spacer", f"a,{s[0]}", f"b,{s[1]},extra", 'c,""', "d,ACGTN",
             f"e,{s[0][:-1]}U", f"a,{s[1]}", f"f,{s[1].lower()}", "g"]  # fmt: skip
    (tmp_path / "in.csv").write_text("\n".join(lines) + "\n")
    res = runner.invoke(app, [*OT, str(tmp_path / "in.csv"), "--index", str(d / "idx"),
                              "-o", str(tmp_path / "o.tsv")])  # fmt: skip
    assert res.exit_code == 0, res.output
    summary = pd.read_csv(tmp_path / "o.summary.tsv", sep="\t")
    errors = pd.read_csv(tmp_path / "o.errors.csv")
    assert len(lines) - 1 == len(summary) + errors["row"].nunique()
    assert summary["guide_id"].tolist() == ["a", "e", "f"]  # U reads as T; lowercase is fine
    assert sorted(errors["row"]) == [3, 4, 5, 7, 9]  # extra field, empty, N, duplicate id, missing


def test_offtargets_names_the_character_before_the_length(d, tmp_path):
    # 'ACGT ACGT…' (a space inside) was reported as "spacer is 21 nt"; the space is the fault.
    s = pd.read_csv(d / "sp.csv")["spacer"].tolist()[0]
    spaced, empty = f"{s[:4]} {s[4:]}", ""
    (tmp_path / "in.csv").write_text(f"guide_id,spacer\na,{s}\nb,{spaced}\nc,{empty}\n")
    res = runner.invoke(app, [*OT, str(tmp_path / "in.csv"), "--index", str(d / "idx"),
                              "-o", str(tmp_path / "o.tsv")])  # fmt: skip
    assert res.exit_code == 0, res.output
    reasons = pd.read_csv(tmp_path / "o.errors.csv").set_index("row")["reason"]
    assert reasons[3] == "character ' ' at position 5 is not A, C, G or T"
    assert reasons[4] == "empty cell; expected a 20-nt spacer"


def test_score_ontarget_rows_in_equal_rows_out_plus_unparsed_lines(d, tmp_path):
    lines = ["name,context", f"g1,{GOOD_CTX}", f"g2,{GOOD_CTX},extra", "g3,ACGT", 'g4,""',
             f"g5,{GOOD_CTX[4:27]}", f"g6,{GOOD_CTX.replace('GG', 'GR', 1)}"]  # fmt: skip
    (tmp_path / "in.csv").write_text("\n".join(lines) + "\n")
    res = runner.invoke(app, [*SCORE, str(tmp_path / "in.csv"), "--model", "gbm",
                              "-o", str(tmp_path / "s.csv")])  # fmt: skip
    assert res.exit_code == 0, res.output
    out = pd.read_csv(tmp_path / "s.csv")
    errors = pd.read_csv(tmp_path / "s.errors.csv")
    assert out["name"].tolist() == ["g1", "g3", "g4", "g5", "g6"]
    only_in_errors = errors[errors["reason"].str.contains("number of fields")]["row"]
    assert only_in_errors.tolist() == [3]
    assert len(lines) - 1 == len(out) + len(only_in_errors)
    assert set(out.loc[out.ontarget_score.isna(), "name"]) == {"g3", "g4", "g6"}
    assert {3, 4, 5, 7} == set(errors["row"])


def test_train_ontarget_rows_in_equal_rows_used_plus_rejected(d, tmp_path):
    df = pd.read_csv(d / "screen.csv")
    lines = ["context,lfc"] + [f"{c},{y}" for c, y in zip(df.context, df.lfc)]
    lines[3] += ",extra"
    lines[4] = lines[4].split(",")[0] + ",inf"
    lines[5] = lines[5].split(",")[0] + ",n/a"
    lines[6] = "ACGT," + lines[6].split(",")[1]
    lines[7] = lines[7].split(",")[0] + ","
    (tmp_path / "in.csv").write_text("\n".join(lines) + "\n")
    run = tmp_path / "run"
    res = runner.invoke(app, [*TRAIN, str(tmp_path / "in.csv"), "--label-col", "lfc", "--param",
                              "n_estimators=5", "-o", str(run)])  # fmt: skip
    assert res.exit_code == 0, res.output
    preds = pd.read_csv(run / "predictions.csv")
    errors = pd.read_csv(run / "errors.csv")
    assert len(lines) - 1 == len(preds) + errors["row"].nunique()
    assert set(errors["row"]) == {4, 5, 6, 7, 8}
    assert not set(preds["row"]) & set(errors["row"])
    cfg = json.loads((run / "config.json").read_text())
    assert cfg["rows_in"] == 60 and cfg["rows_used"] == 55


def test_design_with_an_iupac_base_goes_on(d, tmp_path):
    seq = (d / "g.fa").read_text().split("\n")[1]
    bad = seq[:1100] + "R" + seq[1101:2000]
    res = runner.invoke(app, [*DESIGN, "-t", bad[1000:1300], "-o", str(tmp_path / "g.tsv")])
    assert res.exit_code == 0, res.output
    g = pd.read_csv(tmp_path / "g.tsv", sep="\t")
    skipped = pd.read_csv(tmp_path / "g.skipped.tsv", sep="\t")
    assert len(g) > 0 and len(skipped) > 0 and "skipped" in res.output


@pytest.mark.parametrize("verb", ["design", "offtargets", "index"])
def test_a_genome_with_a_latin1_header_is_read(d, tmp_path, verb):
    """'>chr1 caf\\xe9' (Latin-1, not UTF-8) was refused as 'not UTF-8 text'; the bases are
    ASCII, so every verb that opens the genome reads it."""
    g, out = str(d / "glatin1.fa"), str(tmp_path / "o.tsv")
    spacer = pd.read_csv(d / "sp.csv")["spacer"][0]
    argv = {"design": [*DESIGN, "-t", "chr1:1001-1400", "-g", g, "-m", "1", "-o", out],
            "offtargets": [*OT, spacer, "-g", g, "-m", "1", "-o", out],
            "index": ["crispr", "index", g, "-o", str(tmp_path / "idx")]}[verb]  # fmt: skip
    res = runner.invoke(app, argv)
    assert res.exit_code == 0, res.output
    if verb == "design":
        assert len(pd.read_csv(out, sep="\t")) > 0
    if verb == "offtargets":
        assert len(pd.read_csv(tmp_path / "o.summary.tsv", sep="\t")) == 1


@pytest.mark.parametrize("target", ["chr1:1,001-1,400", "chr1:19801", "chr1", "1:1001-1400"])
def test_design_reads_regions_as_samtools_does(d, tmp_path, target):
    res = runner.invoke(app, [*DESIGN, "-t", target, "-g", str(d / "g.fa"), "-m", "1",
                              "-o", str(tmp_path / "g.tsv")])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert len(pd.read_csv(tmp_path / "g.tsv", sep="\t")) > 0


def test_design_finds_a_gtf_gene_whose_quoted_name_holds_a_semicolon(d, tmp_path):
    gtf = tmp_path / "q.gtf"
    gtf.write_text('chr1\tx\tCDS\t1001\t1600\t.\t+\t0\tgene_id "g1"; gene_name "ab;c";\r\n')
    res = runner.invoke(app, [*DESIGN, "-t", "ab;c", "-g", str(d / "g.fa"), "-a", str(gtf),
                              "-m", "1", "-o", str(tmp_path / "g.tsv")])  # fmt: skip
    assert res.exit_code == 0, res.output
    # the gene column holds the whole quoted name (it said 'ab': cut at the ';')
    assert set(pd.read_csv(tmp_path / "g.tsv", sep="\t")["gene"]) == {"ab;c"}


@pytest.mark.parametrize(
    "name, argv",
    [
        ("x.offtargets.tsv", ["-t", "chr1:1001-1400", "-g", "{inp}", "-m", "1"]),
        ("x.skipped.tsv", ["-t", "{inp}#chr1", "-m", "1"]),
        ("t.fa", ["-t", "{inp}#chr1", "-m", "1", "--report", "{inp}"]),
    ],
)
def test_design_side_outputs_never_replace_an_input(d, tmp_path, name, argv):
    """-o x.tsv also writes x.offtargets.tsv and x.skipped.tsv; a genome or a target FASTA
    (FILE#RECORD) of that name was overwritten, and --report could name the target file."""
    inp = tmp_path / name
    inp.write_text(">chr1\n" + (d / "g.fa").read_text().split("\n")[1][:3000] + "\n")
    before = inp.read_bytes()
    args = [a.format(inp=inp) for a in argv]
    res = runner.invoke(app, [*DESIGN, *args, "-o", str(tmp_path / "x.tsv"), "-q"])
    assert res.exit_code == 2, res.output
    assert "is the input" in res.output and name in res.output, res.output
    assert inp.read_bytes() == before and not (tmp_path / "x.tsv").exists()


def test_design_skips_a_malformed_annotation_line_and_says_so(d, tmp_path):
    """One bad line in a GTF (start past end) stopped a gene-name design that did not need it."""
    gtf = tmp_path / "a.gtf"
    gtf.write_text(
        (d / "a.gtf").read_text()
        + 'chr1\tx\tCDS\t5000\t4000\t.\t+\t0\tgene_id "g2"; gene_name "bad";\n'
    )
    res = runner.invoke(app, [*DESIGN, "-t", "thrA", "-a", str(gtf), "-g", str(d / "g.fa"),
                              "-m", "1", "-o", str(tmp_path / "g.tsv")])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "1 malformed line(s) skipped" in res.output and "row 2" in res.output, res.output
    assert len(pd.read_csv(tmp_path / "g.tsv", sep="\t")) > 0


def test_train_ontarget_cnn_too_large_for_memory_is_a_clean_error(d, tmp_path, monkeypatch):
    """--model cnn --param channels=1e9 was a torch allocation RuntimeError traceback."""
    import helixforge.crispr.ontarget_cnn as cnn

    def no_memory(*args, **kwargs):
        raise RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried to allocate 4e10")

    monkeypatch.setattr(cnn, "make_cnn", no_memory)
    res = runner.invoke(app, ["crispr", "train-ontarget", str(d / "screen.csv"), "--label-col",
                              "lfc", "--model", "cnn", "--param", "channels=1000000000", "-o",
                              str(tmp_path / "m")])  # fmt: skip
    assert res.exit_code == 2 and "Traceback" not in res.output, res.output
    assert "channels=1000000000" in res.output and "does not fit in memory" in res.output
    assert not (tmp_path / "m").exists()


def test_train_ontarget_cnn_that_diverged_is_refused(d, tmp_path):
    """--model cnn --param lr=1e30: the outputs overflowed to NaN with finite weights, and a
    model predicting NaN for every guide was saved (held-out Spearman nan, coverage 0)."""
    res = runner.invoke(app, ["crispr", "train-ontarget", str(d / "screen.csv"), "--label-col",
                              "lfc", "--model", "cnn", "--param", "lr=1e30", "--param", "epochs=1",
                              "-o", str(tmp_path / "m")])  # fmt: skip
    assert res.exit_code == 2 and "training diverged" in res.output, res.output
    assert "--param lr" in res.output and not (tmp_path / "m").exists()


@pytest.mark.parametrize(
    "argv",
    [
        ["crispr", "index", "{d}/g.fa", "--pams", ","],
        ["crispr", "offtargets", "{d}/sp.csv", "--index", "{d}/idx", "--pams", " , "],
        [*DESIGN, "-t", "chr1:1001-1400", "-g", "{d}/g.fa", "--restriction", ","],
    ],
)
def test_a_list_option_that_names_nothing_is_refused(d, tmp_path, argv):
    """--pams ',' indexed / searched the default PAMs and --restriction ',' flagged nothing, as
    if the option were not given."""
    out = tmp_path / "o"
    res = runner.invoke(app, [a.format(d=d) for a in argv] + ["-o", str(out)])
    assert res.exit_code == 2 and "names nothing" in res.output, res.output
    assert not out.exists()


def test_outputs_fed_back_keep_their_old_values_as_input_columns(d, tmp_path):
    """score-ontarget of a scored table overwrote the old ontarget_score without a word;
    offtargets of a summary table kept the old counts under the summary's own names."""
    s1, s2 = tmp_path / "s1.csv", tmp_path / "s2.csv"
    for src, dst in ((d / "ctx.csv", s1), (s1, s2)):
        res = runner.invoke(app, ["crispr", "score-ontarget", str(src), "-o", str(dst)])
        assert res.exit_code == 0, res.output
    assert {"input_ontarget_score", "ontarget_score"} <= set(pd.read_csv(s2).columns)
    summary = tmp_path / "o1.summary.tsv"
    pd.read_csv(d / "sp.csv").assign(offtargets=99, mm0=99).to_csv(tmp_path / "sp.csv", index=False)
    res = runner.invoke(app, ["crispr", "offtargets", str(tmp_path / "sp.csv"), "--index",
                              str(d / "idx"), "-o", str(tmp_path / "o1.tsv")])  # fmt: skip
    assert res.exit_code == 0, res.output
    table = pd.read_csv(summary, sep="\t")
    assert (table["input_offtargets"] == 99).all() and (table["offtargets"] != 99).all()
    assert (table["mm0"] != 99).all()


def test_a_missing_target_file_with_a_record_is_named_as_missing(tmp_path):
    """-t nope.fa#chr1 said "target 'nope.fa#chr1' is not a DNA sequence of A/C/G/T/N"."""
    res = runner.invoke(app, [*DESIGN, "-t", f"{tmp_path}/nope.fa#chr1", "-o",
                              str(tmp_path / "g.tsv")])  # fmt: skip
    assert res.exit_code == 2 and "nope.fa: target FASTA file not found" in res.output, res.output


def test_side_files_keep_every_dot_of_the_output_name():
    """`a.v1.tsv` and `a.v2.tsv` get their own errors / summary files (the name was cut at the
    first dot, so the two runs shared `a.errors.csv`); an output named like a side file then
    gets side files of its own instead of colliding with them."""
    from helixforge.crispr.offtarget import offtarget_output_paths

    v1, v2 = offtarget_output_paths("d/a.v1.tsv"), offtarget_output_paths("d/a.v2.tsv")
    assert v1["errors"].name == "a.v1.errors.csv" and v2["errors"].name == "a.v2.errors.csv"
    assert v1["summary"].name == "a.v1.summary.tsv"
    named = offtarget_output_paths("d/x.summary.tsv")
    assert len({named["out"], named["summary"], named["errors"]}) == 3
