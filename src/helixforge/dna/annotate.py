"""Per-base gene annotation: label every base of a genome as non-coding or protein-coding on
either strand, then turn the per-base calls into genes (GFF3).

    metrics = train_annotator("genome.fa.gz", "genes.gff.gz", holdout="0.2", out="runs/ann")
    genes = annotate_genome("runs/ann", "genome.fa.gz", out="genes.gff3")

Labels (7 classes): 0 non-coding; 1–3 CDS on the + strand at codon position 1, 2, 3; 4–6 CDS on
the − strand at codon position 1, 2, 3 (codon positions from the GFF start and phase). Codon
positions make the per-base model learn the reading frame, which the gene caller then uses.

Model: a dilated residual CNN (no pooling, "same" padding) that maps a window of one-hot bases
(N, L, 4) to per-base logits (N, L, 7); its receptive field is a few hundred bases. Training
draws random windows from the training region, with reverse-complement augmentation (the
reverse complement of a + strand gene is a − strand gene with the same codon positions).

Gene calling (ORF-aware): on each strand and frame, every open reading frame from a stop codon to
the next is a candidate; for each, the start codon (ATG/GTG/TTG) is chosen that maximises
Σ (P(coding in that frame) − τ) over [start, stop], a maximal-scoring segment that must end in
the stop codon. Candidates with a positive score and at least `min_gene_len` bases are kept,
best first, rejecting those that overlap an accepted gene by more than `max_overlap` bases.

Evaluation on the held-out region: per-base precision / recall / F1 for CDS+ and CDS− (and
coding vs non-coding), and gene recovery: exact (both ends match, same strand), stop-exact
(3′ end matches), and ≥ 90 % reciprocal overlap, as sensitivity (of annotated genes) and
precision (of predicted genes).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from helixforge.core.errors import ConfigError, InputError
from helixforge.dna.encode import rc_codes
from helixforge.dna.io import Genome, read_gff, write_gff3
from helixforge.dna.sequence import encode_int, reverse_complement

N_CLASSES = 7
CLASS_NAMES = ["noncoding", "CDS+1", "CDS+2", "CDS+3", "CDS-1", "CDS-2", "CDS-3"]
RC_CLASS = np.array(
    [0, 4, 5, 6, 1, 2, 3], dtype=np.int64
)  # label of a base after reverse-complementing
STARTS = ("ATG", "GTG", "TTG")
STOPS = ("TAA", "TAG", "TGA")
FORMAT = "helixforge.dna.GeneAnnotator/1"


# ---------------------------------------------------------------------------- labels


def cds_labels(length: int, cds, contig: str) -> np.ndarray:
    """Per-base int8 labels (0–6, see module doc) for one contig from CDS rows of `read_gff`."""
    lab = np.zeros(length, dtype=np.int8)
    rows = cds[cds["seqid"] == contig]
    for s, e, strand, phase in zip(
        rows["start"], rows["end"], rows["strand"], rows["phase"], strict=False
    ):
        s, e = max(0, int(s)), min(length, int(e))
        if e <= s:
            continue
        p = int(phase) if str(phase).isdigit() else 0
        x = np.arange(s, e)
        if strand == "+":
            lab[s:e] = 1 + (x - s - p) % 3
        elif strand == "-":
            lab[s:e] = 4 + (e - 1 - x - p) % 3
    return lab


def true_genes(cds, contig: str) -> list[tuple[int, int, str]]:
    """Annotated genes as (start, end, strand), one per CDS id (multi-part CDS span min..max)."""
    rows = cds[cds["seqid"] == contig]
    if len(rows) == 0:
        return []
    key = (
        rows["id"]
        .where(rows["id"] != "", rows["parent"])
        .where(lambda k: k != "", rows["line"].astype(str))
    )
    grouped = (
        rows.assign(_k=key.to_numpy())
        .groupby(["_k", "strand"], sort=False)
        .agg(start=("start", "min"), end=("end", "max"))
    )
    return sorted(
        {
            (int(s), int(e), str(st))
            for (_, st), s, e in zip(grouped.index, grouped["start"], grouped["end"], strict=False)
        }
    )


# ---------------------------------------------------------------------------- regions


@dataclass
class Region:
    contig: str
    start: int
    end: int

    def __len__(self) -> int:
        return self.end - self.start


def split_regions(
    lengths: dict[str, int], holdout: str | float = 0.2, valid_fraction: float = 0.1
) -> dict[str, list[Region]]:
    """Train / valid / test regions.

    `holdout` is a fraction (the last part of every contig is test, the part before it valid)
    or a comma list of 'CONTIG' / 'CONTIG:START-END' (0-based) test regions; then the last
    `valid_fraction` of the remaining training stretch of each contig is used for validation.
    """
    out: dict[str, list[Region]] = {"train": [], "valid": [], "test": []}
    frac = None
    try:
        frac = float(holdout)
    except (TypeError, ValueError):
        pass
    if frac is not None:
        if not 0 < frac < 1 or frac + valid_fraction >= 1:
            raise ConfigError(
                f"--holdout {holdout} must be a fraction between 0 and {1 - valid_fraction:.2f}"
            )
        for c, n in lengths.items():
            t0 = int(round(n * (1 - frac)))
            v0 = int(round(n * (1 - frac - valid_fraction)))
            out["train"].append(Region(c, 0, v0))
            out["valid"].append(Region(c, v0, t0))
            out["test"].append(Region(c, t0, n))
        return out
    tests: dict[str, list[tuple[int, int]]] = {}
    for item in str(holdout).split(","):
        item = item.strip()
        if not item:
            continue
        m = re.fullmatch(r"(.+?):(\d[\d,]*)-(\d[\d,]*)", item)
        c, s, e = (
            (m.group(1), int(m.group(2).replace(",", "")), int(m.group(3).replace(",", "")))
            if m
            else (item, 0, None)
        )
        if c not in lengths:
            import difflib

            close = difflib.get_close_matches(c, list(lengths), n=5, cutoff=0.4)
            raise ConfigError(
                f"held-out contig {c!r} is not in the genome",
                hint=f"closest: {', '.join(close) or ', '.join(list(lengths)[:10])}",
            )
        e = lengths[c] if e is None else min(e, lengths[c])
        if s >= e:
            raise ConfigError(f"held-out region {item!r} is empty")
        tests.setdefault(c, []).append((s, e))
    if not tests:
        raise ConfigError(
            "--holdout names no region", hint="pass a fraction like 0.2 or CONTIG[:START-END]"
        )
    for c, n in lengths.items():
        cuts = sorted(tests.get(c, []))
        out["test"] += [Region(c, s, e) for s, e in cuts]
        pos = 0
        free = []
        for s, e in cuts:
            if s > pos:
                free.append((pos, s))
            pos = max(pos, e)
        if pos < n:
            free.append((pos, n))
        for s, e in free:
            v = int(round((e - s) * valid_fraction))
            if e - s - v > 0:
                out["train"].append(Region(c, s, e - v))
            if v > 0:
                out["valid"].append(Region(c, e - v, e))
    return out


# ---------------------------------------------------------------------------- model


class AnnotatorNet:
    """Factory for the per-base dilated residual CNN (kept as a function to import torch lazily)."""

    @staticmethod
    def build(
        channels: int = 48,
        dilations: Sequence[int] = (1, 2, 4, 8, 16, 32, 64),
        stem_kernel: int = 9,
        dropout: float = 0.1,
    ):
        import torch
        from torch import nn

        from helixforge.dna.models.resnet import DilatedBlock

        class _Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.stem = nn.Sequential(
                    nn.Conv1d(4, channels, stem_kernel, padding=stem_kernel // 2),
                    nn.BatchNorm1d(channels),
                    nn.ReLU(),
                )
                self.blocks = nn.Sequential(
                    *[DilatedBlock(channels, d, dropout=dropout) for d in dilations]
                )
                self.out = nn.Conv1d(channels, N_CLASSES, 1)

            def forward(self, x: torch.Tensor) -> torch.Tensor:  # (N, L, 4) → (N, L, 7)
                return self.out(self.blocks(self.stem(x.transpose(1, 2)))).transpose(1, 2)

        return _Net()


@dataclass
class AnnotatorConfig:
    channels: int = 48
    dilations: list[int] = field(default_factory=lambda: [1, 2, 4, 8, 16, 32, 64])
    window: int = 2048
    batch_size: int = 16
    epochs: int = 6
    windows_per_epoch: int | None = (
        None  # default: enough windows to cover the training region once
    )
    lr: float = 2e-3
    patience: int = 2
    rc_augment: bool = True
    seed: int = 0
    threshold: float = 0.5
    min_gene_len: int = 90
    max_overlap: int = 60


class GeneAnnotator:
    """Per-base CDS model + ORF-aware gene caller. `fit(genome, gff)`, `predict_proba(seq)`,
    `call_genes(seq, proba)`, `save(dir)` / `load(dir)`; `forward_onehot(x)` for attributions."""

    def __init__(
        self, device: str = "auto", threads: int | None = None, quiet: bool = True, **options: Any
    ):
        unknown = set(options) - set(AnnotatorConfig.__dataclass_fields__)
        if unknown:
            raise ConfigError(f"unknown annotator option(s): {sorted(unknown)}")
        self.config = AnnotatorConfig(**options)
        self.device = device
        self.threads = threads
        self.quiet = quiet
        self.torch_module = None
        self.history: list[dict[str, float]] = []
        self.train_seconds = 0.0

    def _build(self):
        return AnnotatorNet.build(self.config.channels, tuple(self.config.dilations))

    # -------------------------------------------------------------- training
    def fit(
        self,
        codes: dict[str, np.ndarray],
        labels: dict[str, np.ndarray],
        train: list[Region],
        valid: list[Region],
        checkpoint_dir: str | None = None,
    ) -> GeneAnnotator:
        """Train on windows of `train` regions; early stopping on the loss over `valid` regions."""
        import torch
        import torch.nn.functional as F

        from helixforge.core.training import TrainConfig, fit, seed_everything, set_threads

        cfg = self.config
        set_threads(self.threads)
        seed_everything(cfg.seed)
        train = [r for r in train if len(r) >= cfg.window]
        if not train:
            raise InputError(
                f"no training region is at least {cfg.window} bases long",
                hint="use a smaller --window or a larger genome",
            )
        total = sum(len(r) for r in train)
        n_windows = cfg.windows_per_epoch or max(cfg.batch_size, total // cfg.window)
        rng = np.random.default_rng(cfg.seed)
        weights = np.array([len(r) - cfg.window + 1 for r in train], dtype=float)
        weights /= weights.sum()

        class _TrainWindows:
            def __len__(self):
                return (n_windows + cfg.batch_size - 1) // cfg.batch_size

            def __iter__(self):
                for _ in range(len(self)):
                    which = rng.choice(len(train), size=cfg.batch_size, p=weights)
                    xs, ys = [], []
                    for w in which:
                        r = train[w]
                        s = int(rng.integers(r.start, r.end - cfg.window + 1))
                        c, y = (
                            codes[r.contig][s : s + cfg.window],
                            labels[r.contig][s : s + cfg.window].astype(np.int64),
                        )
                        if cfg.rc_augment and rng.random() < 0.5:
                            c, y = rc_codes(c), RC_CLASS[y][::-1]
                        xs.append(c)
                        ys.append(y)
                    yield (
                        _onehot(np.stack(xs)),
                        torch.from_numpy(np.ascontiguousarray(np.stack(ys))),
                    )

        valid_batches = []
        for r in valid:
            for s in range(r.start, r.end - cfg.window + 1, cfg.window):
                valid_batches.append(
                    (
                        codes[r.contig][s : s + cfg.window],
                        labels[r.contig][s : s + cfg.window].astype(np.int64),
                    )
                )
        vb = [
            (
                _onehot(np.stack([c for c, _ in valid_batches[i : i + cfg.batch_size]])),
                torch.from_numpy(np.stack([y for _, y in valid_batches[i : i + cfg.batch_size]])),
            )
            for i in range(0, len(valid_batches), cfg.batch_size)
        ]

        def loss_fn(model, batch):
            x, y = batch
            return F.cross_entropy(model(x).reshape(-1, N_CLASSES), y.reshape(-1))

        self.torch_module = self._build()
        tc = TrainConfig(
            epochs=cfg.epochs,
            lr=cfg.lr,
            weight_decay=1e-4,
            patience=cfg.patience if vb else None,
            device=self.device,
            warmup_fraction=0.05,
            checkpoint_dir=checkpoint_dir,
            resume=bool(checkpoint_dir),
            quiet=self.quiet,
        )
        res = fit(
            self.torch_module, _TrainWindows(), loss_fn=loss_fn, valid_batches=vb or None, config=tc
        )
        self.history, self.train_seconds = res.history, res.seconds
        self.torch_module.eval()
        return self

    # -------------------------------------------------------------- inference
    def forward_onehot(self, x):
        """Per-base logits (N, L, 7) for a one-hot tensor (N, L, 4); differentiable."""
        if self.torch_module is None:
            raise ConfigError(
                "the annotator is not trained", hint="fit() or GeneAnnotator.load(dir)"
            )
        self.torch_module.eval()
        return self.torch_module(x)

    def predict_proba(
        self, seq: str | np.ndarray, chunk: int = 16384, margin: int = 512
    ) -> np.ndarray:
        """(L, 7) per-base class probabilities for a whole sequence, in overlapping chunks whose
        margins are discarded so every base sees full context."""
        import torch

        codes = encode_int(seq.upper()) if isinstance(seq, str) else np.asarray(seq, dtype=np.uint8)
        n = len(codes)
        out = np.zeros((n, N_CLASSES), dtype=np.float32)
        device = next(self.torch_module.parameters()).device
        step = chunk - 2 * margin
        with torch.no_grad():
            for core0 in range(0, n, step):
                core1 = min(n, core0 + step)
                a, b = max(0, core0 - margin), min(n, core1 + margin)
                x = _onehot(codes[a:b][None]).to(device)
                p = torch.softmax(self.forward_onehot(x)[0].float(), dim=-1).cpu().numpy()
                out[core0:core1] = p[core0 - a : core1 - a]
        return out

    def call_genes(self, seq: str, proba: np.ndarray, offset: int = 0) -> list[dict[str, Any]]:
        """Genes (start, end 0-based half-open incl. stop codon, strand, score) from probabilities."""
        cfg = self.config
        n = len(seq)
        cands = [
            (s, e, "+", sc, q)
            for s, e, sc, q in _orfs_one_strand(
                seq.upper(), proba[:, 1:4], cfg.threshold, cfg.min_gene_len
            )
        ]
        rc_seq = reverse_complement(seq.upper())
        rc_p = proba[::-1, 4:7]
        for s, e, sc, q in _orfs_one_strand(rc_seq, rc_p, cfg.threshold, cfg.min_gene_len):
            cands.append((n - e, n - s, "-", sc, q))
        cands.sort(key=lambda c: -c[3])
        accepted: list[tuple[int, int, str, float, float]] = []
        occupied = np.zeros(n, dtype=bool)
        for c in cands:
            s, e = c[0], c[1]
            if occupied[s:e].sum() > cfg.max_overlap:
                continue
            accepted.append(c)
            occupied[s:e] = True
        accepted.sort(key=lambda c: c[0])
        return [
            {"start": s + offset, "end": e + offset, "strand": st, "score": sc, "mean_prob": q}
            for s, e, st, sc, q in accepted
        ]

    # -------------------------------------------------------------- persistence
    def save(self, path: str | os.PathLike) -> Path:
        from helixforge.core.artifacts import save_json
        from helixforge.core.training import save_weights

        d = Path(path)
        d.mkdir(parents=True, exist_ok=True)
        save_weights(self.torch_module, d / "model.safetensors")
        save_json(
            {"format": FORMAT, "classes": CLASS_NAMES, **asdict(self.config)}, d / "config.json"
        )
        return d

    @classmethod
    def load(cls, path: str | os.PathLike, device: str = "cpu") -> GeneAnnotator:
        from helixforge.core.artifacts import load_json
        from helixforge.core.training import load_weights, resolve_device

        d = Path(path)
        if (d / "model").is_dir():
            d = d / "model"
        raw = load_json(d / "config.json")
        if raw.get("format") != FORMAT:
            raise InputError(
                f"{d}: not a HelixForge gene annotation model",
                hint="pass the --out directory of `helix dna annotate train`",
            )
        opts = {k: v for k, v in raw.items() if k in AnnotatorConfig.__dataclass_fields__}
        model = cls(device=device, **opts)
        model.torch_module = model._build()
        load_weights(model.torch_module, d / "model.safetensors")
        model.torch_module.to(resolve_device(device)).eval()
        return model


def _onehot(codes: np.ndarray):
    import torch

    t = torch.from_numpy(np.ascontiguousarray(codes).astype(np.int64))
    return torch.nn.functional.one_hot(t, 5)[..., :4].float()


def _codon_positions(seq: str, codons: Sequence[str]) -> np.ndarray:
    pattern = "(?=(" + "|".join(codons) + "))"
    return np.array([m.start() for m in re.finditer(pattern, seq)], dtype=np.int64)


def _orfs_one_strand(
    seq: str, p_frame: np.ndarray, tau: float, min_len: int
) -> list[tuple[int, int, float, float]]:
    """Best-start ORFs on the forward strand: (start, end incl. stop, score, mean in-frame prob).

    p_frame[:, k] = P(base is at codon position k+1 of a + strand CDS).
    """
    n = len(seq)
    starts_all = _codon_positions(seq, STARTS)
    stops_all = _codon_positions(seq, STOPS)
    out = []
    for f in range(3):
        idx = np.arange(n)
        q = p_frame[
            idx, (idx - f) % 3
        ]  # in-frame coding probability for genes starting at ≡ f (mod 3)
        csum = np.concatenate([[0.0], np.cumsum(q - tau)])
        qsum = np.concatenate([[0.0], np.cumsum(q)])
        stops = stops_all[stops_all % 3 == f]
        starts = starts_all[starts_all % 3 == f]
        prev = f - 3  # a virtual stop before the sequence start
        si = 0
        for stop in stops:
            end = stop + 3
            while si < len(starts) and starts[si] <= prev:
                si += 1
            sj = si
            cand = []
            while sj < len(starts) and starts[sj] < stop:
                cand.append(starts[sj])
                sj += 1
            prev = stop
            if not cand:
                continue
            cand = np.array(cand)
            cand = cand[end - cand >= min_len]
            if len(cand) == 0:
                continue
            scores = csum[end] - csum[cand]
            best = int(np.argmax(scores))
            if scores[best] > 0:
                s = int(cand[best])
                out.append((s, end, float(scores[best]), float((qsum[end] - qsum[s]) / (end - s))))
    return out


# ---------------------------------------------------------------------------- evaluation


def per_base_metrics(labels: np.ndarray, proba: np.ndarray) -> dict[str, float]:
    """Per-base precision / recall / F1 for CDS+ and CDS− (codon positions merged), coding vs
    non-coding F1, and codon-position accuracy on correctly called coding bases."""
    pred = proba.argmax(axis=1)
    y3 = np.select([labels == 0, labels <= 3], [0, 1], 2)
    p3 = np.select([pred == 0, pred <= 3], [0, 1], 2)
    out: dict[str, float] = {}
    for k, name in ((1, "cds_plus"), (2, "cds_minus")):
        tp = np.sum((p3 == k) & (y3 == k))
        prec = tp / max(1, np.sum(p3 == k))
        rec = tp / max(1, np.sum(y3 == k))
        out[f"{name}_precision"], out[f"{name}_recall"] = float(prec), float(rec)
        out[f"{name}_f1"] = float(2 * prec * rec / (prec + rec)) if prec + rec else 0.0
    tp = np.sum((p3 > 0) & (y3 > 0))
    prec, rec = tp / max(1, np.sum(p3 > 0)), tp / max(1, np.sum(y3 > 0))
    out["coding_f1"] = float(2 * prec * rec / (prec + rec)) if prec + rec else 0.0
    from sklearn.metrics import f1_score

    out["macro_f1_3class"] = float(
        f1_score(y3, p3, average="macro", labels=[0, 1, 2], zero_division=0)
    )
    both = (y3 == p3) & (y3 > 0)
    out["codon_position_accuracy"] = (
        float(np.mean(pred[both] == labels[both])) if both.any() else float("nan")
    )
    out["bases"] = int(len(labels))
    return out


def gene_metrics(
    true: Sequence[tuple[int, int, str]],
    pred: Sequence[tuple[int, int, str]],
    min_overlap: float = 0.9,
) -> dict[str, float]:
    """Gene recovery: exact (both ends), stop-exact (3′ end) and reciprocal-overlap matches."""
    true_set = {(s, e, st) for s, e, st in true}
    pred_set = {(s, e, st) for s, e, st in pred}
    exact = true_set & pred_set

    def three_prime(g):
        s, e, st = g
        return (e, st) if st == "+" else (s, st)

    pred_stops = {three_prime(g) for g in pred_set}
    true_stops = {three_prime(g) for g in true_set}
    stop_hits = sum(three_prime(g) in pred_stops for g in true_set)
    pred_stop_hits = sum(three_prime(g) in true_stops for g in pred_set)

    by_strand: dict[str, list[tuple[int, int]]] = {}
    for s, e, st in sorted(pred_set):
        by_strand.setdefault(st, []).append((s, e))
    starts = {st: np.array([s for s, _ in v]) for st, v in by_strand.items()}

    def overlap_match(g, pool, pool_starts) -> bool:
        s, e, st = g
        if st not in pool:
            return False
        cands = pool[st]
        lo = np.searchsorted(pool_starts[st], s - (e - s) * 2, side="left")
        for ps, pe in cands[lo:]:
            if ps >= e:
                break
            ov = min(e, pe) - max(s, ps)
            if ov > 0 and ov >= min_overlap * (e - s) and ov >= min_overlap * (pe - ps):
                return True
        return False

    overlap_hits = sum(overlap_match(g, by_strand, starts) for g in true_set)
    t_by: dict[str, list[tuple[int, int]]] = {}
    for s, e, st in sorted(true_set):
        t_by.setdefault(st, []).append((s, e))
    t_starts = {st: np.array([s for s, _ in v]) for st, v in t_by.items()}
    pred_overlap_hits = sum(overlap_match(g, t_by, t_starts) for g in pred_set)
    nt, npred = max(1, len(true_set)), max(1, len(pred_set))
    return {
        "genes_annotated": len(true_set),
        "genes_predicted": len(pred_set),
        "exact_sensitivity": len(exact) / nt,
        "exact_precision": len(exact) / npred,
        "stop_sensitivity": stop_hits / nt,
        "stop_precision": pred_stop_hits / npred,
        "overlap90_sensitivity": overlap_hits / nt,
        "overlap90_precision": pred_overlap_hits / npred,
    }


# ---------------------------------------------------------------------------- pipeline


def _load_genome_and_cds(genome: str | os.PathLike, gff: str | os.PathLike):
    g = Genome(genome)
    cds = read_gff(gff, types={"CDS"})
    rename = {}
    missing = []
    for seqid in cds["seqid"].unique():
        try:
            rename[seqid] = g.resolve_contig(str(seqid))
        except InputError:
            missing.append(seqid)
    if len(missing) == len(rename) + len(missing):
        g.resolve_contig(str(missing[0]), where=str(gff))  # raises with the closest names
    cds = cds[cds["seqid"].isin(rename)].copy()
    cds["seqid"] = cds["seqid"].map(rename)
    return g, cds, missing


def train_annotator(
    genome: str | os.PathLike,
    gff: str | os.PathLike,
    *,
    out: str | os.PathLike,
    holdout: str | float = 0.2,
    contigs: Sequence[str] | None = None,
    device: str = "auto",
    threads: int | None = None,
    quiet: bool = True,
    seed: int = 0,
    **options: Any,
) -> dict[str, Any]:
    """Train a per-base annotator on `genome` + `gff` (CDS features), hold out `holdout`, and
    write a run directory (model/, metrics.json, genes_test.gff3, card.md, report.html)."""
    from helixforge.core.artifacts import RunDir, save_json

    run = RunDir(out)
    g, cds, missing = _load_genome_and_cds(genome, gff)
    use = list(contigs) if contigs else [c for c in g.contigs if (cds["seqid"] == c).any()]
    use = [g.resolve_contig(c) for c in use]
    lengths = {c: g.lengths[c] for c in use}
    regions = split_regions(lengths, holdout)
    codes = {c: encode_int(g.sequence(c)) for c in use}
    labels = {c: cds_labels(lengths[c], cds, c) for c in use}
    ann = GeneAnnotator(device=device, threads=threads, quiet=quiet, seed=seed, **options)
    ann.fit(
        codes, labels, regions["train"], regions["valid"], checkpoint_dir=str(run / "checkpoints")
    )
    ann.save(run / "model")
    import shutil

    shutil.rmtree(run / "checkpoints", ignore_errors=True)
    t0 = time.perf_counter()
    metrics, genes = evaluate_regions(ann, g, cds, regions["test"])
    predict_seconds = time.perf_counter() - t0
    metrics["train_seconds"] = ann.train_seconds
    metrics["predict_seconds"] = predict_seconds
    run.save_metrics({"test": metrics})
    save_json(ann.history, run / "history.json")
    _write_genes(genes, run / "genes_test.gff3")
    config = {
        "command": "dna annotate train",
        "genome": str(genome),
        "gff": str(gff),
        "holdout": str(holdout),
        "regions": {k: [asdict(r) for r in v] for k, v in regions.items()},
        "gff_contigs_not_in_genome": [str(m) for m in missing],
        "seed": seed,
        "device": device,
        "threads": threads,
        **asdict(ann.config),
    }
    run.save_config(config)
    run.save_versions([genome, gff])
    _annotation_report(run, metrics, ann.history, config)
    return metrics


def evaluate_regions(
    ann: GeneAnnotator, g: Genome, cds, regions: list[Region]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Per-base and gene-level metrics over `regions`; returns (metrics, predicted genes)."""
    all_lab, all_p, true_all, pred_all, genes = [], [], [], [], []
    for r in regions:
        full = g.sequence(r.contig)
        margin = 1024
        a, b = max(0, r.start - margin), min(len(full), r.end + margin)
        proba = ann.predict_proba(full[a:b])[r.start - a : r.end - a]
        lab = cds_labels(len(full), cds, r.contig)[r.start : r.end]
        all_lab.append(lab)
        all_p.append(proba)
        called = ann.call_genes(full[r.start : r.end], proba, offset=r.start)
        for gene in called:
            gene["seqid"] = r.contig
        genes += called
        true_all += [
            (s, e, st, r.contig)
            for s, e, st in true_genes(cds, r.contig)
            if s >= r.start and e <= r.end
        ]
        pred_all += [(x["start"], x["end"], x["strand"], r.contig) for x in called]
    metrics = per_base_metrics(np.concatenate(all_lab), np.concatenate(all_p))
    # contig names folded into the strand key keep genes of different contigs apart
    metrics.update(
        gene_metrics(
            [(s, e, f"{st}|{c}") for s, e, st, c in true_all],
            [(s, e, f"{st}|{c}") for s, e, st, c in pred_all],
        )
    )
    return metrics, genes


def _write_genes(genes: list[dict[str, Any]], path: str | os.PathLike) -> Path:
    import pandas as pd

    rows = []
    for i, gene in enumerate(genes, start=1):
        gid = f"hf_gene_{i:05d}"
        base = {
            "seqid": gene["seqid"],
            "start": gene["start"],
            "end": gene["end"],
            "strand": gene["strand"],
            "source": "HelixForge",
        }
        rows.append({**base, "type": "gene", "id": gid, "score": round(gene["mean_prob"], 3)})
        rows.append(
            {
                **base,
                "type": "CDS",
                "id": f"{gid}.cds",
                "parent": gid,
                "phase": 0,
                "score": round(gene["mean_prob"], 3),
            }
        )
    df = pd.DataFrame(
        rows,
        columns=[
            "seqid",
            "source",
            "type",
            "start",
            "end",
            "score",
            "strand",
            "phase",
            "id",
            "parent",
        ],
    )
    return write_gff3(df, path)


def _annotation_report(run, metrics, history, config) -> None:
    from helixforge.core.report import Report

    rep = Report(
        "Per-base gene annotation",
        subtitle=f"genome: {config['genome']}; annotation: {config['gff']}; held out: {config['holdout']}",
    )
    rep.add_heading("Held-out region")
    rep.add_metrics({k: v for k, v in metrics.items() if isinstance(v, int | float)})
    rep.add_heading("Training")
    rep.add_learning_curves(history, "per-base cross-entropy")
    rep.write(run / "report.html")
    shown = ", ".join(
        f"{k}={metrics[k]:.3f}"
        for k in (
            "coding_f1",
            "cds_plus_f1",
            "cds_minus_f1",
            "exact_sensitivity",
            "stop_sensitivity",
        )
        if k in metrics
    )
    run.write_card(
        "Per-base gene annotation model",
        {
            "Data": f"{config['genome']} with CDS features from {config['gff']}; held out: {config['holdout']}.",
            "Model": "Dilated residual CNN over one-hot windows; 7 per-base classes (non-coding, CDS codon position 1-3 on each strand); ORF-aware gene caller.",
            "Metrics (held-out region)": shown,
            "Intended use and limits": "Protein-coding genes of genomes like the training genome (prokaryotic, no introns). "
            "Start codons are the hardest part (no ribosome-binding-site model); RNA genes are not called.",
        },
    )


def annotate_genome(
    run: str | os.PathLike,
    genome: str | os.PathLike,
    out: str | os.PathLike,
    *,
    contigs: Sequence[str] | None = None,
    region: str | None = None,
    device: str = "cpu",
    threads: int | None = None,
) -> list[dict[str, Any]]:
    """Call genes on every contig (or `contigs`, or one `region` 'CONTIG:START-END') and write GFF3."""
    from helixforge.core.training import set_threads

    set_threads(threads)
    ann = GeneAnnotator.load(run, device=device)
    g = Genome(genome)
    todo: list[Region] = []
    if region:
        todo = split_regions(g.lengths, region)["test"]
    else:
        names = [g.resolve_contig(c) for c in contigs] if contigs else g.contigs
        todo = [Region(c, 0, g.lengths[c]) for c in names]
    genes: list[dict[str, Any]] = []
    for r in todo:
        full = g.sequence(r.contig)
        if len(r) < 3:
            continue
        proba = ann.predict_proba(full[r.start : r.end])
        called = ann.call_genes(full[r.start : r.end], proba, offset=r.start)
        for gene in called:
            gene["seqid"] = r.contig
        genes += called
    _write_genes(genes, out)
    return genes


__all__ = [
    "GeneAnnotator",
    "train_annotator",
    "annotate_genome",
    "evaluate_regions",
    "cds_labels",
    "true_genes",
    "split_regions",
    "per_base_metrics",
    "gene_metrics",
    "Region",
]
