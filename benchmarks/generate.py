"""Generative benchmark, part 1: the Prior on the MOSES distribution-learning metrics.

    .venv/bin/python benchmarks/generate.py --part prep            # reference caches (once)
    helix chem train-prior ../shared/data/chem/corpora/moses_train.csv.gz \
        -o .bench/generate/prior_moses_run --max-molecules 450000 --max-minutes 40 [--resume]
    .venv/bin/python benchmarks/generate.py --part ship            # run -> package weights
    .venv/bin/python benchmarks/generate.py --part prior --n 10000 --seeds 0 1 2
    .venv/bin/python benchmarks/generate.py --part prior --n 10000 --seeds 0 1 2 --constrained
    .venv/bin/python benchmarks/generate.py --part prior --seeds 1 2 --constrained --metrics quick
    .venv/bin/python benchmarks/generate.py --part prior --seeds 0 1 2 --temperature 0.8 --metrics quick
    .venv/bin/python benchmarks/generate.py --part report

The shipped prior (helixforge/chem/generate/weights/prior_moses, trained on MOSES train) samples
`--n` SMILES per seed at temperature 1; `helixforge.chem.generate.metrics` computes the MOSES
metrics against the MOSES test and scaffold-test sets (all 176k molecules each, as MOSES) and
novelty against the canonical MOSES training set. A calibration row runs the same metrics on a
random sample of the training set (MOSES's own "Train" row), which checks the implementation
against the published numbers. Rows are resumable (task, model, seed); the samples of a
(prior, sampler, seed, n) are cached under .bench/generate/samples, so a `--metrics quick` row
(validity, uniqueness, novelty, IntDiv, Filters, FCD: no SNN/Frag/Scaf, a few CPU minutes)
can later be completed by a full run on the same molecules.

Hook for the goal-directed half: GuacaMol tasks live in benchmarks/generate_guacamol.py (its
own results file); `run_prior_benchmark()` is this file's entry point for the prior section.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import itertools
import random
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "src"))
from _common import RESULTS_DIR, Timer, append_row, done_keys, load_rows, markdown_table  # noqa: E402

NAME = "generate"
JSON = RESULTS_DIR / f"{NAME}.json"
MD = RESULTS_DIR / f"{NAME}.md"
WORK = ROOT / ".bench" / "generate"
CORPORA = ROOT.parent / "shared" / "data" / "chem" / "corpora"
TRAIN, TEST, TESTSF = (CORPORA / f"moses_{p}.csv.gz" for p in ("train", "test", "test_scaffolds"))
METRICS = ["valid", "unique@1000", "unique@10000", "SNN/Test", "SNN/TestSF", "Frag/Test",
           "Frag/TestSF", "Scaf/Test", "Scaf/TestSF", "IntDiv", "IntDiv2", "Filters", "Novelty"]  # fmt: skip

# MOSES published results (molecularsets/moses README @ dd7ed6a, 2023; Polykovskiy et al.,
# "Molecular Sets (MOSES)", Front. Pharmacol. 11:565644, 2020): mean over 3 runs of 30,000
# samples. Columns as METRICS, FCD/Test and FCD/TestSF kept separately.
PUBLISHED = {
    "Train": [1.0, 1.0, 1.0, 0.6419, 0.5859, 1.0, 0.9986, 0.9907, 0.0, 0.8567, 0.8508, 1.0, 1.0],
    "CharRNN": [0.9748, 1.0, 0.9994, 0.6015, 0.5649, 0.9998, 0.9983, 0.9242, 0.1101, 0.8562,
                0.8503, 0.9943, 0.8419],
    "VAE": [0.9767, 1.0, 0.9984, 0.6257, 0.5783, 0.9994, 0.9984, 0.9386, 0.0588, 0.8558, 0.8498,
            0.997, 0.6949],
    "AAE": [0.9368, 1.0, 0.9973, 0.6081, 0.5677, 0.991, 0.9905, 0.9022, 0.0789, 0.8557, 0.8499,
            0.996, 0.7931],
    "JTN-VAE": [1.0, 1.0, 0.9996, 0.5477, 0.5194, 0.9965, 0.9947, 0.8964, 0.1009, 0.8551, 0.8493,
                0.976, 0.9143],
    "LatentGAN": [0.8966, 1.0, 0.9968, 0.5371, 0.5132, 0.9986, 0.9972, 0.8867, 0.1072, 0.8565,
                  0.8505, 0.9735, 0.9498],
}  # fmt: skip
PUBLISHED_FCD = {"Train": (0.008, 0.4755), "CharRNN": (0.0732, 0.5204), "VAE": (0.099, 0.567),
                 "AAE": (0.5555, 1.0572), "JTN-VAE": (0.3954, 0.9382),
                 "LatentGAN": (0.2968, 0.8281)}  # fmt: skip


def read_smiles(path: Path, n: int | None = None) -> list[str]:
    with gzip.open(path, "rt") as f:
        next(f)
        return [line.strip() for line in itertools.islice(f, n)]


def key64(s: str) -> int:
    return int.from_bytes(hashlib.blake2b(s.encode(), digest_size=8).digest(), "little")


def prepare(log=print) -> None:
    """Reference caches: test / scaffold-test stats, canonical train hashes + Bloom filter."""
    import numpy as np

    from helixforge.chem.generate.metrics import ReferenceStats
    from helixforge.chem.generate.novelty import NoveltyReference
    from helixforge.chem.generate.sampling import canonicalize

    WORK.mkdir(parents=True, exist_ok=True)
    for name, path in (("test", TEST), ("testsf", TESTSF)):
        out = WORK / f"ref_{name}.npz"
        if not out.exists():
            with Timer() as t:
                ReferenceStats.from_smiles(read_smiles(path)).save(out)
            log(f"{out.name}: {t.wall:.0f} s")
    hashes, bloom = WORK / "train_canon_hashes.npy", WORK / "novelty.safetensors"
    if not (hashes.exists() and bloom.exists()):
        with Timer() as t:
            canon = [c for c in canonicalize(read_smiles(TRAIN)) if c]
            np.save(hashes, np.unique(np.array([key64(c) for c in canon], dtype=np.uint64)))
            NoveltyReference.build(canon, len(canon)).save(bloom)
        log(f"train canonical hashes + Bloom filter ({len(canon)} molecules): {t.wall:.0f} s")


class TrainHashes:
    """Exact (64-bit hash) membership in the canonical MOSES training set."""

    def __init__(self, path: Path):
        import numpy as np

        self.h = np.load(path)

    def contains(self, smiles):
        import numpy as np

        q = np.array([key64(s) for s in smiles], dtype=np.uint64)
        idx = np.clip(np.searchsorted(self.h, q), 0, len(self.h) - 1)
        return self.h[idx] == q


def cached_samples(
    prior, label: str, seed: int, n: int, constrained: bool, temperature: float = 1.0
):
    """(SMILES, sampling seconds) of the prior's n samples for a seed, cached on disk by the
    prior's weights, the sampler and the seed (same seed, same bytes, so reuse is exact)."""
    import json

    import torch

    h = hashlib.sha256()
    for k, v in sorted(prior.model.state_dict().items()):
        h.update(k.encode())
        h.update(v.detach().cpu().contiguous().numpy().tobytes())
    slug = "".join(c if c.isalnum() else "_" for c in label)
    path = WORK / "samples" / f"{slug}-{h.hexdigest()[:12]}-s{seed}-n{n}.json.gz"
    if path.exists():
        with gzip.open(path, "rt", encoding="utf-8") as f:
            d = json.load(f)
        return d["smiles"], d["sample_seconds"]
    with Timer() as t:
        smiles, _ = prior.sample(n, seed=seed, constrained=constrained, temperature=temperature)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with gzip.open(tmp, "wt", encoding="utf-8") as f:
        json.dump(
            {"smiles": smiles, "sample_seconds": t.wall, "threads": torch.get_num_threads()}, f
        )
    tmp.replace(path)
    return smiles, t.wall


def passes(config: dict) -> int:
    """Training passes behind a prior: 1 + the depth of its `trained.init` chain."""
    trained, n = config.get("trained") or {}, 1
    while isinstance(trained.get("init"), dict):
        trained, n = trained["init"].get("trained") or {}, n + 1
    return n


def shipped_label(prior) -> str:
    """Row label of the shipped prior, by its training record (old rows stay distinguishable
    when a better-trained prior replaces it)."""
    n = passes(prior.config)
    return f"HelixForge prior ({n} pass{'es' if n > 1 else ''})"


def run_prior_benchmark(
    model: str | None = None,
    n: int = 10_000,
    seeds=(0,),
    log=print,
    calibration: bool = True,
    constrained: bool = False,
    quick: bool = False,
    label: str | None = None,
    temperature: float = 1.0,
):
    """Sample n SMILES per seed from the prior (`constrained`: syntax-aware sampling, its own
    row label; `temperature` ≠ 1: rows labelled "(T=...)"), compute MOSES metrics (`quick`:
    without SNN/Frag/Scaf, task "moses-quick"), append rows."""
    from helixforge.chem.generate.metrics import (
        ReferenceStats,
        fcd_available,
        moses_metrics,
        reference_fcd_stats,
    )
    from helixforge.chem.generate.prior import Prior

    prepare(log)
    refs = {k: ReferenceStats.load(WORK / f"ref_{k}.npz") for k in ("test", "testsf")}
    fcd_refs = {}
    if fcd_available():  # ChemNet statistics of the references, cached under WORK/fcd
        fcd_refs = {
            "fcd_test": reference_fcd_stats(TEST, cache_dir=WORK / "fcd", log=log),
            "fcd_test_scaffolds": reference_fcd_stats(TESTSF, cache_dir=WORK / "fcd", log=log),
        }
    else:
        log("FCD skipped: install the `generate` extra (fcd_torch)")
    train = TrainHashes(WORK / "train_canon_hashes.npy")
    prior = Prior.load(model)
    label = label or (shipped_label(prior) if model is None else Path(model).name)
    if constrained:
        label += " (constrained)"
    if temperature != 1.0:
        label += f" (T={temperature:g})"
    done = done_keys(JSON)
    jobs = [(label, s) for s in seeds] + [("Train sample (calibration)", 0)] * calibration
    task = "moses-quick" if quick else "moses"
    for name, seed in jobs:
        if (task, name, seed) in done or ("moses", name, seed) in done:
            continue
        with Timer() as t_sample:
            if name.startswith("Train"):
                pool = read_smiles(TRAIN)
                smiles = random.Random(seed).sample(pool, n)
                del pool
        sample_seconds = t_sample.wall
        if not name.startswith("Train"):
            smiles, sample_seconds = cached_samples(prior, name, seed, n, constrained, temperature)
        references = {} if quick else {"test": refs["test"], "test_scaffolds": refs["testsf"]}
        with Timer() as t_metrics:
            m = moses_metrics(smiles, train=train, **references, **fcd_refs)
        if prior.novelty is not None and not name.startswith("Train"):
            from helixforge.chem.generate.metrics import canonical_valid, novelty

            m["Novelty (shipped Bloom filter)"] = novelty(canonical_valid(smiles), prior.novelty)
        m.update(sample_shape(smiles))
        row = {"task": task, "model": name, "seed": seed, "n": n, **m,
               "sample_seconds": round(sample_seconds, 1), "metrics_seconds": round(t_metrics.wall, 1),
               "parameters": prior.num_parameters(), "config": prior.config,
               "constrained": constrained and not name.startswith("Train"),
               "temperature": 1.0 if name.startswith("Train") else temperature}  # fmt: skip
        append_row(JSON, row)
        log(
            f"{name} seed {seed}: "
            + ", ".join(f"{k} {m.get(k, float('nan')):.4f}" for k in [*METRICS, "FCD/Test"])
        )


def sample_shape(smiles: list[str]) -> dict[str, float]:
    """What the validity column does not show: how many samples are empty strings (a SELFIES
    that decodes to nothing; counted invalid by `metrics.validity`) and the mean heavy-atom
    count of the valid ones (a SELFIES sampler is always "valid", but can stop early and give
    small molecules)."""
    from helixforge.chem.generate.metrics import to_mols

    mols = [m for m in to_mols(smiles, "sample_shape") if m is not None]
    atoms = sum(m.GetNumHeavyAtoms() for m in mols) / len(mols) if mols else float("nan")
    return {"empty samples": sum(1 for s in smiles if not s), "heavy atoms (valid, mean)": atoms}


def ship(run: str) -> None:
    """Copy a trained prior (a train-prior run directory) into the package as the default
    prior: float16 weights plus the MOSES-train novelty Bloom filter from `prepare`."""
    import shutil

    from helixforge.chem.generate.novelty import NoveltyReference
    from helixforge.chem.generate.prior import Prior, default_prior_path

    prepare()
    prior = Prior.load(run)
    prior.novelty = NoveltyReference.load(WORK / "novelty.safetensors")
    dest = default_prior_path()
    if dest.exists():
        shutil.rmtree(dest)
    prior.save(dest, dtype="float16")
    print(f"shipped {run} -> {dest}: " + ", ".join(
        f"{f.name} {f.stat().st_size / 1e6:.2f} MB" for f in sorted(dest.iterdir())))  # fmt: skip


def report() -> None:
    from _common import fmt_mean_sd

    def cell(vals):
        vals = [v for v in vals if v is not None]
        return f"{vals[0]:.4f}" if len(vals) == 1 else fmt_mean_sd(vals, 4)

    full = {(r["model"], r["seed"]) for r in load_rows(JSON) if r.get("task") == "moses"}
    rows = [r for r in load_rows(JSON) if r.get("task") == "moses"
            or (r.get("task") == "moses-quick" and (r["model"], r["seed"]) not in full)]  # fmt: skip
    ours = {}
    for r in rows:
        ours.setdefault((r["model"], r["task"]), []).append(r)
    ours = {(name if task == "moses" else f"{name} [quick metrics]"): rs
            for (name, task), rs in sorted(ours.items())}  # fmt: skip
    table = []
    for name, rs in ours.items():
        table.append([f"**{name}** (measured, n={rs[0]['n']})"]
                     + [cell([r.get(k) for r in rs]) for k in METRICS]
                     + [cell([r.get(k) for r in rs]) if any(r.get(k) is not None for r in rs) else "–"
                        for k in ("FCD/Test", "FCD/TestSF")])  # fmt: skip
    for name, vals in PUBLISHED.items():
        table.append([f"{name} (MOSES paper)"] + [f"{v:.4f}" for v in vals]
                     + [f"{x:.4f}" for x in PUBLISHED_FCD[name]])  # fmt: skip
    timing = [[name, rs[0]["n"], f"{sum(r['sample_seconds'] for r in rs) / len(rs):.1f}",
               f"{sum(r['metrics_seconds'] for r in rs) / len(rs):.1f}"] for name, rs in ours.items()]  # fmt: skip
    text = PRIOR_HEADER + markdown_table(["model", *METRICS, "FCD/Test", "FCD/TestSF"], table)
    text += "\nTiming (wall seconds on the shared 2-core CPU machine, 1 thread):\n\n"
    text += markdown_table(["model", "n", "sampling s", "metrics s"], timing)
    from helixforge.chem.generate.prior import Prior

    current = shipped_label(Prior.load())
    bloom = [(r["Novelty"], r["Novelty (shipped Bloom filter)"]) for r in rows
             if r["model"] == current
             if r.get("Novelty (shipped Bloom filter)") is not None]  # fmt: skip
    if bloom:
        text += (f"\nNovelty with the shipped Bloom filter (what `helix chem generate` reports): "
                 f"{sum(b for _, b in bloom) / len(bloom):.4f} vs exact "
                 f"{sum(a for a, _ in bloom) / len(bloom):.4f} (mean over seeds).\n")  # fmt: skip
    for name in sorted({r["model"] for r in rows if r["model"].endswith(CONSTRAINED)}):
        text += constrained_note(rows, name[: -len(CONSTRAINED)])
    text += goals_note(rows, current)
    text += temperature_note(rows, current)
    text += vocab_note(rows)
    text += PRIOR_NOTES
    MD.parent.mkdir(parents=True, exist_ok=True)
    MD.write_text(text, encoding="utf-8")


CONSTRAINED = " (constrained)"


def goals_note(rows: list[dict], current: str) -> str:
    """Issue 13's prior goals against the shipped prior's rows (mean over seeds)."""
    rs = [r for r in rows if r["model"] == current]
    if not rs:
        return f"\nNo rows yet for the shipped prior ({current}).\n"

    def mean(k):
        vals = [r[k] for r in rs if r.get(k) is not None]
        return sum(vals) / len(vals) if vals else float("nan")

    valid, novelty, fcd = mean("valid"), mean("Novelty"), mean("FCD/Test")
    verdict = {True: "met", False: "**not met**"}
    return (
        f"\nGoals of issue 13 for the shipped prior ({current}, {len(rs)} seed(s)): validity ≥ 98 % "
        f"— {verdict[valid >= 0.98]} ({100 * valid:.1f} %); novelty ≥ 90 % — "
        f"{verdict[novelty >= 0.90]} ({100 * novelty:.1f} %); FCD/Test below CharRNN's 0.073 — "
        f"{verdict[fcd < 0.073]} ({fcd:.2f}).\n"
    )


def temperature_note(rows: list[dict], base: str) -> str:
    """The shipped prior sampled below temperature 1 ("(T=...)" rows) against its temperature-1
    rows, on the seeds both have: validity and novelty against issue 13's goals, and FCD."""
    plain = {r["seed"]: r for r in rows if r["model"] == base}
    cooler = {}
    for r in rows:
        head, _, t = r["model"].partition(" (T=")
        if head == base and t.endswith(")"):
            cooler.setdefault(float(t[:-1]), {})[r["seed"]] = r
    if not plain or not cooler:
        return ""

    def mean(rs, k):
        vals = [r.get(k) for r in rs if r.get(k) is not None]
        return sum(vals) / len(vals) if vals else float("nan")

    seeds = sorted(set(plain).intersection(*(set(b) for b in cooler.values())))
    if not seeds:
        return ""
    keys = ("valid", "Novelty", "IntDiv", "FCD/Test")
    lines = ["", "| temperature | " + " | ".join(keys) + " |", "|---" * (len(keys) + 1) + "|"]
    for t, src in [(1.0, plain), *sorted(cooler.items(), reverse=True)]:
        rs = [src[s] for s in seeds]
        lines.append(f"| {t:g} | " + " | ".join(f"{mean(rs, k):.4f}" for k in keys) + " |")
    return (
        f"\n{base} sampled below temperature 1 (`helix chem generate --temperature T`; rows "
        f'"(T=...)"; means over seeds {", ".join(map(str, seeds))}, the same seeds at every '
        "temperature). A cooler sampler trades likeness to the data for validity: the validity "
        "and novelty goals can be met this way, but FCD, the distance to MOSES's own molecules, "
        "grows, so the issue's goals are judged on temperature 1 above.\n" + "\n".join(lines) + "\n"
    )


def vocab_note(rows: list[dict]) -> str:
    """SMILES against SELFIES priors of the same architecture trained for one pass from random
    weights (plain sampling, temperature 1), mean over each row's seeds, with the training
    molecules from the prior's config (the corpora may differ: the table says so)."""
    groups: dict[str, list[dict]] = {}
    for r in rows:
        cfg = r.get("config") or {}
        if (r.get("task") == "moses" and not r.get("constrained") and r.get("temperature", 1.0) == 1.0
                and not r["model"].startswith("Train") and passes(cfg) == 1):  # fmt: skip
            groups.setdefault(r["model"], []).append(r)
    if not any((rs[0]["config"] or {}).get("vocab_kind") == "selfies" for rs in groups.values()):
        return ""

    def mean(rs, k):
        vals = [r.get(k) for r in rs if r.get(k) is not None]
        digits = 1 if k.startswith("heavy") else 4
        return f"{sum(vals) / len(vals):.{digits}f}" if vals else "–"

    keys = ("valid", "unique@10000", "Novelty", "SNN/Test", "Frag/Test", "Scaf/Test", "IntDiv",
            "Filters", "FCD/Test", "heavy atoms (valid, mean)")  # fmt: skip
    lines = ["", "| model | vocab | training molecules | seeds | empty samples | "
             + " | ".join(keys) + " |", "|---" * (len(keys) + 5) + "|"]  # fmt: skip
    for name, rs in sorted(groups.items()):
        cfg = rs[0]["config"]
        arch = f"{cfg.get('num_layers')}×{cfg.get('hidden_size')}"
        empty = [r.get("empty samples") for r in rs]
        lines.append(
            f"| {name} | {cfg.get('vocab_kind', 'smiles')} ({arch}) | "
            f"{(cfg.get('trained') or {}).get('molecules', 0):,} | {len(rs)} | "
            + (f"{sum(empty)} of {sum(r['n'] for r in rs):,}" if None not in empty else "–")
            + " | "
            + " | ".join(mean(rs, k) for k in keys)
            + " |"
        )
    return (
        "\nSMILES against SELFIES vocabulary: priors of the same size trained for one pass from "
        "random weights, sampled at temperature 1 (means over seeds; the training molecules are "
        "the prior's `config.json` → `trained.molecules`: rows trained on different numbers of "
        "molecules are not an equal-data comparison). An empty sample (a SELFIES that decodes to "
        "nothing) counts as invalid; heavy atoms is the mean size of the valid samples (MOSES "
        "test: 21.6).\n" + "\n".join(lines) + "\n"
    )


def constrained_note(rows: list[dict], base: str) -> str:
    """A paragraph comparing syntax-aware and plain sampling of the prior labelled `base` on the
    seeds both have (paired: same seed, same prior)."""
    plain = {r["seed"]: r for r in rows if r["model"] == base}
    masked = {r["seed"]: r for r in rows if r["model"] == base + CONSTRAINED}
    seeds = sorted(set(plain) & set(masked))
    if not seeds:
        return ""

    def mean(rs, k):
        vals = [r.get(k) for r in rs if r.get(k) is not None]
        return sum(vals) / len(vals) if vals else float("nan")

    p, m = [plain[s] for s in seeds], [masked[s] for s in seeds]
    parts = [
        f"{k} {mean(p, k):.4f} → {mean(m, k):.4f}"
        for k in ("valid", "unique@10000", "Novelty", "IntDiv", "Filters", "FCD/Test", "FCD/TestSF")
    ]
    return (
        f"\n{base}: syntax-aware sampling (`Prior.sample(constrained=True)`, `helix chem generate "
        f'--constrained`; the "(constrained)" row), paired with plain sampling on seed(s) '
        f"{', '.join(map(str, seeds))}: " + ", ".join(parts) + f"; sampling "
        f"{mean(p, 'sample_seconds'):.0f} s → {mean(m, 'sample_seconds'):.0f} s per "
        f"{p[0]['n']} molecules (wall seconds of runs made under different loads of the shared "
        "machine, not comparable; docs/generate.md has a same-time CPU comparison, what the mask "
        "covers and the breakdown of the invalid samples by cause).\n"
    )


PRIOR_HEADER = """# Generative chemistry benchmark

Machine: shared 2-core CPU, no GPU; every job on one thread. Produced by
`benchmarks/generate.py` (rows in generate.json). GuacaMol goal-directed tasks (RL and GA):
see generate_guacamol.md.

## Prior (MOSES)

MOSES distribution-learning metrics of the shipped prior, sampled at temperature 1, against
the MOSES test and scaffold-test sets (176k molecules each) and the canonical MOSES training
set (novelty), mean ± sd over seeds (n per seed in the first column). Published rows: MOSES
README @ dd7ed6a / Polykovskiy et al., Front. Pharmacol. 2020 (3 runs × 30,000 samples; GPU
models trained for many epochs). Higher is better for every column but FCD (a too-high SNN
also means copying the training set).

"""

PRIOR_NOTES = """
Notes:
- FCD/Test and FCD/TestSF use fcd_torch's ChemNet, whose weights ship inside its wheel (the
  `generate` extra; nothing is downloaded), on the canonical valid samples as MOSES does. The
  other MOSES metrics are computed by `helixforge.chem.generate.metrics` (same definitions, Morgan r=2 1024-bit fingerprints, BRICS
  fragments, Bemis–Murcko scaffolds with ≥ 2 rings, MOSES's own MCF + WEHI PAINS SMARTS).
- FCD shrinks with the sample size (about a + 1,200/n for FCD/Test: a 10k random training
  sample reads 0.136, a 30k one 0.047, extrapolated ≈ 0.005 against MOSES's published 0.008 —
  see docs/generate.md), so a 10k row overstates FCD against MOSES's 30k rows by ~0.09. That
  does not change the verdict: the shipped prior's 0.70 is far above CharRNN's 0.073 (and above AAE's 0.56).
- The prior is a 1.46M-parameter 3×256 LSTM trained on one CPU thread: "(1 pass)" is one pass
  over 1.3M MOSES-train molecules (70 minutes); "(2 passes)" continues it over all 1.58M
  molecules with a new cosine schedule (`helix chem train-prior --init default --lr 5e-4 --seed
  1`, 62 min); "(3 passes)" continues that over 1M more (`--lr 3e-4 --seed 2`, 37 min). CharRNN
  (3×768) trained for many epochs on a GPU. Syntax-aware sampling does not close the validity
  gap (the "(constrained)" rows): syntax is about a third of the failures, aromaticity and
  valence the rest, and masking the syntax mostly turns those samples into other failures
  (docs/generate.md, "Syntax-aware sampling").
- The "Train sample (calibration)" row applies our metrics to random MOSES training molecules:
  it should match MOSES's published Train row (their Novelty of 1.0 aside: a training molecule
  is not novel).
- Fewer samples than MOSES's 30,000 make IntDiv and unique@10k slightly different (self pairs,
  fewer draws); Frag/Scaf cosine similarities grow with sample size.
- SELFIES (issue 13's validity goal): "SELFIES prior (400k molecules, 1 pass)" and "SMILES
  prior (400k molecules, 1 pass)" are the same 3×256 LSTM and settings (`helix chem train-prior
  SUBSET --vocab selfies|smiles --hidden 256 --layers 3 --seed 0`: batch 128, Adam 1e-3, one
  cosine schedule run to its end) on the same random 400,000 MOSES-train molecules (seed
  20261202; the first 2,000 held out), 22 and 26 minutes of training plus a 3.5 and 1.2
  minute vocabulary scan, on one thread of the shared machine (loads differed). Every SELFIES sample is valid (1.00 vs 0.69) and none is empty,
  but the model is much further from MOSES: held-out NLL 29.1 vs 23.8 nats per molecule (the
  same 2,000 molecules), FCD/Test 11.6 vs 0.86, SNN/Test 0.37 vs 0.51, Filters 0.57 vs 0.95;
  its higher Novelty (0.995) and IntDiv (0.884; training set 0.857) are that distance too. In
  the first 3,000 valid samples of seed 0, 20 % have a ring of ≥ 8 atoms (MOSES test 0 %, the
  shipped SMILES prior 0.2 %) and 67 % an aromatic ring (MOSES test 99 %): SELFIES spells ring
  sizes as counts and aromatic rings as alternating Kekulé bonds, and this small model gets
  them wrong where a SMILES model's mistakes are invalid strings that validity filters out.
  Validity by construction is not the way to issue 13's goal; the SMILES prior stays. (The
  400k SMILES prior's FCD/Test, 0.86, is below the 1.3M "(1 pass)" row's 1.85 at a lower
  validity; its corpus is a random subset, that one the first 1.3M lines of the file: not
  investigated.)
"""


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", choices=["prep", "ship", "prior", "report"], default="prior")
    ap.add_argument("--model", default=None, help="prior directory (default: shipped prior)")
    ap.add_argument(
        "--label",
        default=None,
        help="row label (default: 'HelixForge prior (N passes)' for the shipped prior, else the "
        "--model directory name); label a candidate as it will read once shipped",
    )
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument(
        "--metrics",
        choices=["full", "quick"],
        default="full",
        help="quick: no SNN/Frag/Scaf (rows of task moses-quick; a full run later reuses the "
        "cached samples)",
    )
    ap.add_argument(
        "--constrained",
        action="store_true",
        help="syntax-aware sampling (Prior.sample(constrained=True)); rows labelled '(constrained)'",
    )
    ap.add_argument(
        "--temperature",
        type=float,
        default=1.0,
        help="sampling temperature (rows labelled '(T=...)' when not 1)",
    )
    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    if a.part == "prep":
        prepare()
    elif a.part == "ship":
        ship(a.model or str(WORK / "prior_moses_run"))
    elif a.part == "prior":
        run_prior_benchmark(
            a.model,
            a.n,
            a.seeds,
            constrained=a.constrained,
            quick=a.metrics == "quick",
            label=a.label,
            temperature=a.temperature,
        )
        report()
    else:
        report()
    print(f"done in {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
