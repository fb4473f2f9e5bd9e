"""Why does a sequence model predict what it does: attributions, seqlets, motif matches, logos.

    scorer = as_scorer(model)                                # SequenceModel, nn.Module or callable
    attr = gradient_x_input(scorer, seqs)                    # (N, L, 4), reverse-complement averaged
    delta = ism(scorer, seqs)                                # (N, L, 4) alt − ref for every SNV
    seqlets = extract_seqlets(attr, seqs)                    # high-attribution windows
    clusters = cluster_seqlets(attr, seqs, seqlets)          # CWMs / PFMs of recurring seqlets
    hits = match_motif(clusters[0].pfm, load_jaspar())       # Tomtom-like comparison with JASPAR

Everything works on one-hot batches (N, L, 4) in ACGT order. A model is anything `as_scorer`
understands: an object with `forward_onehot` (helixforge's `SequenceModel`), a torch module taking
(N, L, 4), an object with `predict(list_of_sequences)`, or a plain function on numpy batches.
Gradients need a torch model; ISM works with all of them.

Seqlets follow TF-MoDISco-lite in spirit: per-position contribution is smoothed over a window,
windows above a threshold estimated from the negative side of the distribution (attribution
noise is roughly symmetric; real signal is one-sided) are taken greedily without overlap, and
seqlets are grouped greedily by the best cross-correlation of their contribution matrices over
shifts and both strands. Matching against a motif database uses column Pearson correlation (or
Euclidean distance) summed over the best alignment, and an empirical p-value from decoy motifs
built from randomly drawn database columns of the same length.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from helixforge.core.errors import ConfigError, InputError
from helixforge.dna.motifs import BASES, Motif

# ---------------------------------------------------------------- encoding


def onehot_sequences(seqs: Sequence[str], length: int | None = None) -> np.ndarray:
    """(N, L, 4) float32 one-hot, right-padded with N (zero rows) to `length` or the longest."""
    from helixforge.dna.encode import onehot_batch

    return onehot_batch([s.upper() for s in seqs], length)


def onehot_to_sequences(x: np.ndarray) -> list[str]:
    """Inverse of one-hot encoding (zero rows become N)."""
    x = np.asarray(x)
    idx = np.where(x.sum(-1) > 0, x.argmax(-1), 4)
    letters = np.frombuffer(b"ACGTN", np.uint8)
    return [letters[row].tobytes().decode() for row in idx]


# ---------------------------------------------------------------- scorers


class Scorer:
    """A model viewed as f(one-hot batch (N, L, 4)) → scores (N,) for one output.

    `target`: which output to score. For a multi-output model, a column index or a class label
    (looked up in the model's `classes_`); for a binary model with classes [a, b], the label a
    scores minus the logit (so higher always means "more of the target class").
    """

    def __init__(
        self, model: Any, target: Any = None, batch_size: int = 256, device: str | None = None
    ):
        self.model = model
        self.batch_size = int(batch_size)
        self.kind = _model_kind(model)
        self.column, self.sign = _target_column(model, target)
        self.device = device

    # -- torch path
    def _torch_forward(self, x):
        if self.kind == "onehot":
            out = self.model.forward_onehot(x)
        else:
            out = self.model(x)
        if out.ndim == 1:
            out = out[:, None]
        if self.column >= out.shape[1]:
            raise ConfigError(
                f"target column {self.column} but the model has {out.shape[1]} output(s)"
            )
        return self.sign * out[:, self.column]

    def _torch_device(self):
        import torch

        mod = getattr(self.model, "torch_module", None) if self.kind == "onehot" else self.model
        try:
            return next(mod.parameters()).device
        except (AttributeError, StopIteration, TypeError):
            return torch.device("cpu")

    @property
    def differentiable(self) -> bool:
        return self.kind in {"onehot", "module"}

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Scores of a one-hot batch (numpy, (N, L, 4)), computed in mini-batches."""
        x = np.asarray(x, dtype=np.float32)
        if len(x) == 0:
            return np.zeros(0, dtype=np.float64)
        out = []
        if self.differentiable:
            import torch

            dev = self._torch_device()
            with torch.no_grad():
                for i in range(0, len(x), self.batch_size):
                    xb = torch.from_numpy(x[i : i + self.batch_size]).to(dev)
                    out.append(self._torch_forward(xb).float().cpu().numpy())
        elif self.kind == "predict":
            for i in range(0, len(x), self.batch_size):
                seqs = onehot_to_sequences(x[i : i + self.batch_size])
                out.append(self.sign * _column(np.asarray(self.model.predict(seqs)), self.column))
        else:
            for i in range(0, len(x), self.batch_size):
                out.append(
                    self.sign
                    * _column(np.asarray(self.model(x[i : i + self.batch_size])), self.column)
                )
        return np.concatenate(out).astype(np.float64)

    def gradient(self, x: np.ndarray) -> np.ndarray:
        """d score / d input for a one-hot batch; needs a torch model."""
        if not self.differentiable:
            raise ConfigError(
                "gradients need a torch model (forward_onehot or nn.Module)",
                hint="use method='ism', which works with any model",
            )
        import torch

        dev = self._torch_device()
        grads = []
        for i in range(0, len(x), self.batch_size):
            xb = torch.tensor(
                np.asarray(x[i : i + self.batch_size], dtype=np.float32),
                device=dev,
                requires_grad=True,
            )
            self._torch_forward(xb).sum().backward()
            grads.append(xb.grad.detach().float().cpu().numpy())
        return np.concatenate(grads)


def _column(out: np.ndarray, column: int) -> np.ndarray:
    return out if out.ndim == 1 else out[:, column]


def _model_kind(model: Any) -> str:
    if hasattr(model, "forward_onehot"):
        return "onehot"
    try:
        import torch

        if isinstance(model, torch.nn.Module):
            return "module"
    except ImportError:  # pragma: no cover
        pass
    if hasattr(model, "predict"):
        return "predict"
    if callable(model):
        return "callable"
    raise ConfigError(
        f"cannot score sequences with a {type(model).__name__}",
        hint="pass a SequenceModel, nn.Module or function",
    )


def _target_column(model: Any, target: Any) -> tuple[int, float]:
    classes = getattr(model, "classes_", None)
    n_out = getattr(model, "n_outputs", None)
    if target is None:
        return 0, 1.0
    if classes and target is not None:
        lookup = {str(c): i for i, c in enumerate(classes)}
        if str(target) in lookup:
            idx = lookup[str(target)]
            if n_out == 1 and len(classes) == 2:  # one logit for P(classes[1])
                return 0, (1.0 if idx == 1 else -1.0)
            return idx, 1.0
        if not isinstance(target, int | np.integer):
            raise ConfigError(
                f"target class {target!r} is not one of the model's classes {list(classes)}"
            )
    try:
        return int(target), 1.0
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"target {target!r} must be a class label or an output index") from exc


def as_scorer(model: Any, target: Any = None, batch_size: int = 256) -> Scorer:
    """Wrap a model (or return an existing `Scorer`) for scoring one-hot batches."""
    if isinstance(model, Scorer):
        return model
    return Scorer(model, target=target, batch_size=batch_size)


def _batch(seqs_or_x) -> np.ndarray:
    if isinstance(seqs_or_x, np.ndarray):
        x = seqs_or_x.astype(np.float32, copy=False)
        return x[None] if x.ndim == 2 else x
    if isinstance(seqs_or_x, str):
        seqs_or_x = [seqs_or_x]
    return onehot_sequences(list(seqs_or_x))


# ---------------------------------------------------------------- attributions


def ism(model: Any, sequences, target: Any = None, batch_size: int = 1024) -> np.ndarray:
    """In-silico saturation mutagenesis: (N, L, 4) score(alt) − score(ref) for every position and base.

    The reference base has 0. N positions get all four substitutions. Mutants of all sequences are
    scored in mini-batches of `batch_size`.
    """
    scorer = as_scorer(model, target, batch_size)
    x = _batch(sequences)
    n, length, _ = x.shape
    ref = scorer(x)
    out = np.zeros((n, length, 4), dtype=np.float32)
    jobs = []  # (sequence, position, base)
    for s in range(n):
        pos, base = np.nonzero(x[s] == 0)
        keep = pos < _true_length(x[s])
        jobs.append(np.stack([np.full(keep.sum(), s), pos[keep], base[keep]], axis=1))
    jobs = np.concatenate(jobs) if jobs else np.zeros((0, 3), int)
    for i in range(0, len(jobs), batch_size):
        chunk = jobs[i : i + batch_size]
        xb = x[chunk[:, 0]].copy()
        r = np.arange(len(chunk))
        xb[r, chunk[:, 1], :] = 0
        xb[r, chunk[:, 1], chunk[:, 2]] = 1
        out[chunk[:, 0], chunk[:, 1], chunk[:, 2]] = scorer(xb) - ref[chunk[:, 0]]
    return out


def _true_length(x: np.ndarray) -> int:
    """Length without right padding (trailing all-zero rows)."""
    nz = np.nonzero(x.sum(-1) > 0)[0]
    return int(nz[-1] + 1) if len(nz) else 0


def ism_contributions(delta: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Turn ISM deltas into per-base contributions: −mean(delta over the 3 alternatives) at the ref base."""
    x = _batch(x)
    n_alt = np.maximum((x == 0).sum(-1, keepdims=True), 1)
    importance = -delta.sum(-1, keepdims=True) / n_alt
    return (importance * x).astype(np.float32)


def gradient_x_input(
    model: Any,
    sequences,
    target: Any = None,
    rc_average: bool = True,
    center: bool = True,
    batch_size: int = 256,
) -> np.ndarray:
    """Gradient × input (N, L, 4); gradients are mean-centred over bases (removes the
    off-simplex component, Majdandzic et al. 2022) and averaged with the reverse complement's."""
    scorer = as_scorer(model, target, batch_size)
    x = _batch(sequences)

    def gxi(xx):
        g = scorer.gradient(xx)
        if center:
            g = g - g.mean(-1, keepdims=True)
        return g * xx

    attr = gxi(x)
    if rc_average:
        rc = np.ascontiguousarray(x[:, ::-1, ::-1])
        attr = 0.5 * (attr + gxi(rc)[:, ::-1, ::-1])
    return attr.astype(np.float32)


def attribute(
    model: Any, sequences, method: str = "gradxinput", target: Any = None, batch_size: int = 256
) -> np.ndarray:
    """Per-base contributions (N, L, 4) by 'gradxinput' or 'ism' (ISM converted by `ism_contributions`)."""
    if method in {"gradxinput", "gradient_x_input", "saliency"}:
        return gradient_x_input(model, sequences, target, batch_size=batch_size)
    if method == "ism":
        x = _batch(sequences)
        return ism_contributions(ism(model, x, target, batch_size=max(batch_size, 512)), x)
    raise ConfigError(f"unknown attribution method {method!r}", hint="use 'ism' or 'gradxinput'")


# ---------------------------------------------------------------- seqlets


def extract_seqlets(
    contributions: np.ndarray,
    sequences: Sequence[str] | None = None,
    window: int = 10,
    flank: int = 5,
    threshold: float | str = "auto",
    fdr: float = 0.01,
    max_per_sequence: int = 3,
    names: Sequence[str] | None = None,
) -> pd.DataFrame:
    """High-contribution windows, non-overlapping, per sequence.

    Per-position contribution (sum over bases) is summed over `window` bases; with threshold
    'auto' the cut-off is the (1 − `fdr`) quantile of |window sums| on the negative side (a
    null for attribution noise; with fewer than 20 negative windows, median + 5 robust SDs).
    Each seqlet is the window plus `flank` bases on both sides.
    Returns seq_index, seq, start, end (0-based, end exclusive), score, sequence; by score.
    """
    c = np.asarray(contributions, dtype=np.float64)
    if c.ndim == 2:
        c = c[None]
    n, length, _ = c.shape
    if length < window:
        raise ConfigError(f"sequences ({length} bp) are shorter than the seqlet window ({window})")
    per_pos = c.sum(-1)
    cs = np.concatenate([np.zeros((n, 1)), np.cumsum(per_pos, axis=1)], axis=1)
    sums = cs[:, window:] - cs[:, :-window]  # (n, L - window + 1)
    if threshold == "auto":
        neg = -sums[sums < 0]
        if len(neg) >= 20:
            thr = float(np.quantile(neg, 1 - fdr))
        else:  # (almost) no negative noise, e.g. ISM of a rectified model: robust z > 5
            med = float(np.median(sums))
            mad = float(np.median(np.abs(sums - med))) * 1.4826
            thr = med + 5 * mad
    else:
        thr = float(threshold)
    rows = []
    for s in range(n):
        avail = sums[s].copy()
        for _ in range(max_per_sequence):
            i = int(np.argmax(avail))
            if avail[i] <= thr or not np.isfinite(avail[i]):
                break
            lo, hi = max(0, i - flank), min(length, i + window + flank)
            rows.append((s, lo, hi, float(sums[s, i])))
            avail[max(0, i - window - flank + 1) : i + window + flank] = -np.inf
    df = pd.DataFrame(rows, columns=["seq_index", "start", "end", "score"])
    df.insert(1, "seq", [names[i] if names is not None else f"seq{i + 1}" for i in df["seq_index"]])
    if sequences is not None:
        df["sequence"] = [
            sequences[s][a:b] for s, a, b in zip(df["seq_index"], df["start"], df["end"])
        ]
    df.attrs["threshold"] = thr
    return df.sort_values("score", ascending=False, kind="stable").reset_index(drop=True)


@dataclass
class SeqletCluster:
    """Aligned seqlets: contribution-weight matrix (mean), base counts, members (row, shift, strand)."""

    cwm: np.ndarray
    counts: np.ndarray
    members: list[tuple[int, int, bool]] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.members)

    def trimmed(self, fraction: float = 0.3, min_length: int = 4) -> tuple[np.ndarray, np.ndarray]:
        """(cwm, pfm) cut to the span whose column |contribution| ≥ `fraction` of the maximum."""
        imp = np.abs(self.cwm).sum(1)
        keep = np.nonzero(imp >= fraction * imp.max())[0] if imp.max() > 0 else np.arange(len(imp))
        a, b = int(keep.min()), int(keep.max()) + 1
        while b - a < min_length and (a > 0 or b < len(imp)):
            a, b = max(0, a - 1), min(len(imp), b + 1)
        return self.cwm[a:b], self.counts[a:b]

    @property
    def pfm(self) -> np.ndarray:
        """Trimmed base frequencies (L, 4) of the aligned seqlets."""
        counts = self.trimmed()[1]
        return (counts + 0.01) / (counts + 0.01).sum(1, keepdims=True)


def _xcorr_best(a: np.ndarray, b: np.ndarray, max_shift: int) -> tuple[float, int, bool]:
    """Best cosine similarity of b against a over shifts |s| ≤ max_shift and both strands."""
    best = (-np.inf, 0, False)
    na = np.linalg.norm(a) + 1e-12
    for rc in (False, True):
        bb = b[::-1, ::-1] if rc else b
        nb = np.linalg.norm(bb) + 1e-12
        for s in range(-max_shift, max_shift + 1):
            if s >= 0:
                v = float((a[s:] * bb[: len(a) - s]).sum())
            else:
                v = float((a[: len(a) + s] * bb[-s:]).sum())
            v /= na * nb
            if v > best[0]:
                best = (v, s, rc)
    return best


def cluster_seqlets(
    contributions: np.ndarray,
    onehot_or_seqs,
    seqlets: pd.DataFrame,
    similarity: float = 0.5,
    max_clusters: int = 10,
    max_seqlets: int = 2000,
    max_shift: int | None = None,
) -> list[SeqletCluster]:
    """Group seqlets greedily (strongest first) by contribution cross-correlation; largest first."""
    x = _batch(onehot_or_seqs)
    c = np.asarray(contributions, dtype=np.float64)
    rows = seqlets.head(max_seqlets)
    if rows.empty:
        return []
    width = int((rows["end"] - rows["start"]).max())
    shift = max_shift if max_shift is not None else max(1, width // 3)
    clusters: list[SeqletCluster] = []
    for r, (s, a, b) in enumerate(zip(rows["seq_index"], rows["start"], rows["end"])):
        cw = np.zeros((width, 4))
        oh = np.zeros((width, 4))
        cw[: b - a] = c[s, a:b]
        oh[: b - a] = x[s, a:b]
        best, where = -np.inf, None
        for k, cl in enumerate(clusters):
            v, sh, rc = _xcorr_best(cl.cwm, cw, shift)
            if v > best:
                best, where = v, (k, sh, rc)
        if where is not None and best >= similarity:
            k, sh, rc = where
            cl = clusters[k]
            cw2, oh2 = (cw[::-1, ::-1], oh[::-1, ::-1]) if rc else (cw, oh)
            aligned_c, aligned_o = _shift(cw2, sh), _shift(oh2, sh)
            m = cl.n
            cl.cwm = (cl.cwm * m + aligned_c) / (m + 1)
            cl.counts = cl.counts + aligned_o
            cl.members.append((r, sh, rc))
        elif len(clusters) < max_clusters:
            clusters.append(SeqletCluster(cw.copy(), oh.copy(), [(r, 0, False)]))
    return sorted(clusters, key=lambda cl: -cl.n)


def _shift(m: np.ndarray, s: int) -> np.ndarray:
    """Place m so that its row j lands at row j + s of a same-size frame (zeros outside)."""
    out = np.zeros_like(m)
    if s >= 0:
        out[s:] = m[: len(m) - s]
    else:
        out[: len(m) + s] = m[-s:]
    return out


# ---------------------------------------------------------------- motif comparison


def _normalise_columns(p: np.ndarray, metric: str) -> np.ndarray:
    p = np.asarray(p, dtype=np.float64)
    if metric == "pearson":
        z = p - p.mean(1, keepdims=True)
        return z / (np.linalg.norm(z, axis=1, keepdims=True) + 1e-9)
    return p


class MotifDatabase:
    """Motifs prepared for Tomtom-like comparison (probability columns, both strands)."""

    def __init__(self, motifs: Sequence[Motif], pseudocount: float = 0.8):
        if not motifs:
            raise ConfigError("empty motif database")
        self.motifs = list(motifs)
        self.probs = [m.probabilities(pseudocount) for m in self.motifs]
        self.lengths = np.array([len(p) for p in self.probs])
        self.columns = np.concatenate(self.probs)
        self.starts = np.concatenate([[0], np.cumsum(self.lengths)[:-1]])

    def __len__(self) -> int:
        return len(self.motifs)


def _align_scores(sub: np.ndarray, min_overlap: int) -> np.ndarray:
    """sub: (n, Lq, Lt) column similarities; best summed diagonal over offsets with enough overlap."""
    n, lq, lt = sub.shape
    need = min(min_overlap, lq, lt)
    best = np.full(n, -np.inf)
    for off in range(
        -(lt - need), lq - need + 1
    ):  # target column j aligns with query column j + off
        j0, j1 = max(0, -off), min(lt, lq - off)
        if j1 - j0 < need:
            continue
        j = np.arange(j0, j1)
        best = np.maximum(best, sub[:, j + off, j].sum(1))
    return best


def match_motif(
    query: np.ndarray | Motif,
    database: MotifDatabase | Sequence[Motif],
    metric: str = "pearson",
    min_overlap: int = 5,
    n_null: int = 500,
    seed: int = 0,
    top: int | None = 10,
) -> pd.DataFrame:
    """Compare a query (L, 4 probabilities or a Motif) with every database motif, Tomtom-like.

    score: best sum over aligned columns (all offsets with ≥ `min_overlap` columns, both strands)
    of column Pearson correlation ('pearson') or of (mean null distance − Euclidean distance)
    ('euclidean'). pvalue: empirical, from `n_null` decoys of the target's length made of random
    database columns (best over offsets and strands, like the real score); zscore against the
    same decoys; evalue = pvalue × database size; qvalue by Benjamini–Hochberg. Sorted best first.
    """
    from helixforge.dna.motifs import benjamini_hochberg

    if metric not in {"pearson", "euclidean"}:
        raise ConfigError(
            f"unknown motif comparison metric {metric!r}", hint="use pearson or euclidean"
        )
    db = database if isinstance(database, MotifDatabase) else MotifDatabase(database)
    q = query.probabilities() if isinstance(query, Motif) else np.asarray(query, dtype=np.float64)
    q = q / np.maximum(q.sum(1, keepdims=True), 1e-12)
    comp = db.columns[:, ::-1]
    if metric == "pearson":
        qn = _normalise_columns(q, metric)
        s_fwd = qn @ _normalise_columns(db.columns, metric).T
        s_cmp = qn @ _normalise_columns(comp, metric).T
    else:
        d_fwd = np.linalg.norm(q[:, None, :] - db.columns[None], axis=2)
        d_cmp = np.linalg.norm(q[:, None, :] - comp[None], axis=2)
        mu = d_fwd.mean(1, keepdims=True)
        s_fwd, s_cmp = mu - d_fwd, mu - d_cmp
    rng = np.random.default_rng(seed)
    n_cols = len(db.columns)
    scores = np.empty(len(db))
    pvals = np.empty(len(db))
    z = np.empty(len(db))
    for lt in np.unique(db.lengths):
        members = np.nonzero(db.lengths == lt)[0]
        idx = db.starts[members][:, None] + np.arange(lt)  # (m, lt)
        obs = np.maximum(
            _align_scores(s_fwd[:, idx].transpose(1, 0, 2), min_overlap),
            _align_scores(s_cmp[:, idx[:, ::-1]].transpose(1, 0, 2), min_overlap),
        )
        decoy = rng.integers(0, n_cols, size=(n_null, lt))
        null = np.maximum(
            _align_scores(s_fwd[:, decoy].transpose(1, 0, 2), min_overlap),
            _align_scores(s_cmp[:, decoy[:, ::-1]].transpose(1, 0, 2), min_overlap),
        )
        null_sorted = np.sort(null)
        ge = n_null - np.searchsorted(null_sorted, obs, side="left")
        scores[members] = obs
        pvals[members] = (ge + 1) / (n_null + 1)
        z[members] = (obs - null.mean()) / (null.std() + 1e-9)
    out = pd.DataFrame(
        {
            "motif_id": [m.id for m in db.motifs],
            "name": [m.name for m in db.motifs],
            "score": scores,
            "zscore": z,
            "pvalue": pvals,
            "evalue": pvals * len(db),
            "qvalue": benjamini_hochberg(pvals),
        }
    )
    out = out.sort_values(["pvalue", "zscore"], ascending=[True, False], kind="stable").reset_index(
        drop=True
    )
    return out.head(top) if top else out


# ---------------------------------------------------------------- logos


def logo_figure(matrix: np.ndarray, title: str = "", kind: str = "contribution", ax=None):
    """A logomaker logo of an (L, 4) matrix: 'contribution' (as is), 'probability' → information bits."""
    import logomaker

    from helixforge.core.report import _plt

    plt = _plt()
    df = pd.DataFrame(np.asarray(matrix, dtype=float), columns=list(BASES))
    if kind == "probability":
        df = logomaker.transform_matrix(
            df.div(df.sum(axis=1), axis=0), from_type="probability", to_type="information"
        )
    elif kind != "contribution":
        raise ConfigError(f"unknown logo kind {kind!r}")
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(max(3.0, 0.28 * len(df) + 1), 1.8))
    logomaker.Logo(df, ax=ax, color_scheme="classic")
    ax.set_title(title, fontsize=9)
    ax.set_ylabel("bits" if kind == "probability" else "contribution", fontsize=8)
    ax.tick_params(labelsize=7)
    return fig if fig is not None else ax.figure


# ---------------------------------------------------------------- the pipeline behind `helix dna interpret`


def _load_run_model(run: str | os.PathLike, device: str = "cpu"):
    from helixforge.dna.models import load_sequence_model

    d = Path(run)
    if not d.exists():
        raise InputError(
            f"{d}: run directory not found", hint="pass the --out directory of `helix dna train`"
        )
    model_dir = d / "model" if (d / "model" / "config.json").exists() else d
    if not (model_dir / "config.json").exists():
        raise InputError(f"{d}: no trained model here (no config.json in {d} or {d / 'model'})")
    return load_sequence_model(model_dir, device=device)


def interpret(
    run: str | os.PathLike | Any,
    fasta: str | os.PathLike,
    out: str | os.PathLike,
    method: str = "gradxinput",
    target: Any = None,
    motifs: Sequence[Motif] | None = None,
    motif_options: dict[str, Any] | None = None,
    window: int = 10,
    max_sequences: int | None = None,
    match_seqlets: int = 100,
    batch_size: int = 256,
    device: str = "cpu",
) -> dict[str, Any]:
    """Attributions, seqlets, seqlet clusters matched to JASPAR, and a report with logos.

    `run`: a run directory of `helix dna train` (or a loaded model). Writes into `out`:
    attributions.npz (names, lengths, onehot, attributions[, ism]), seqlets.tsv (each seqlet's
    cluster, and for the `match_seqlets` strongest its own best database match), clusters.tsv,
    errors.csv and report.html. `motifs` default to `resolve_motifs(**motif_options)` (JASPAR
    2024 CORE vertebrates). Returns a summary dict.
    """
    from helixforge.core.errors import NoUsableRowsError, RowErrors
    from helixforge.core.tables import atomic_path, write_table
    from helixforge.dna.motifs import as_records, check_records, resolve_motifs

    model = _load_run_model(run, device) if isinstance(run, str | os.PathLike) else run
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    errors = RowErrors(fasta)
    recs, src = as_records(fasta)
    max_len = getattr(model, "max_len", None)
    recs = check_records(recs, src, errors, min_length=window + 1)
    if max_len:
        kept = []
        for r in recs:
            if len(r.seq) > max_len:
                errors.add(
                    r.line,
                    "sequence",
                    r.name,
                    f"{len(r.seq)} bases, longer than the model's maximum of {max_len}",
                )
            else:
                kept.append(r)
        recs = kept
    if max_sequences:
        recs = recs[:max_sequences]
    errors.write(out_dir / "errors.csv")
    if not recs:
        raise NoUsableRowsError(f"{fasta}: no sequence can be interpreted", hint=errors.summary())
    names = [r.name for r in recs]
    seqs = [r.seq for r in recs]
    x = onehot_sequences(seqs)
    scorer = as_scorer(model, target, batch_size)
    pred = scorer(x)
    extra = {}
    if method == "ism":
        delta = ism(scorer, x, batch_size=max(batch_size, 512))
        attr = ism_contributions(delta, x)
        extra["ism"] = delta
    else:
        attr = attribute(scorer, x, method, batch_size=batch_size)
    with atomic_path(out_dir / "attributions.npz") as tmp:
        with open(tmp, "wb") as fh:
            np.savez_compressed(
                fh,
                names=np.array(names),
                lengths=np.array([len(s) for s in seqs]),
                onehot=x,
                attributions=attr,
                score=pred,
                **extra,
            )
    seqlets = extract_seqlets(attr, seqs, window=window, names=names)
    db = MotifDatabase(motifs if motifs is not None else resolve_motifs(**(motif_options or {})))
    clusters = cluster_seqlets(attr, x, seqlets)
    membership = np.zeros(len(seqlets), dtype=int)
    for k, cl in enumerate(clusters):
        membership[[r for r, _, _ in cl.members]] = k + 1
    seqlets["cluster"] = membership  # 0 = not in a reported cluster
    best_id, best_name, best_p = [""] * len(seqlets), [""] * len(seqlets), [np.nan] * len(seqlets)
    for i, (s, a, b) in enumerate(zip(seqlets["seq_index"], seqlets["start"], seqlets["end"])):
        if i >= match_seqlets:  # each match costs a database comparison; the strongest suffice
            break
        m = match_motif(_seqlet_pfm(attr[s, a:b], x[s, a:b]), db, n_null=100, top=1)
        best_id[i], best_name[i], best_p[i] = (
            m["motif_id"].iloc[0],
            m["name"].iloc[0],
            float(m["pvalue"].iloc[0]),
        )
    seqlets["best_match"], seqlets["best_match_name"], seqlets["best_match_pvalue"] = (
        best_id,
        best_name,
        best_p,
    )
    write_table(seqlets, out_dir / "seqlets.tsv")
    rows, match_tables = [], []
    for k, cl in enumerate(clusters):
        m = match_motif(cl.pfm, db, n_null=1000, top=5)
        match_tables.append(m)
        rows.append(
            {
                "cluster": k + 1,
                "n_seqlets": cl.n,
                "consensus": "".join(BASES[i] for i in cl.pfm.argmax(1)),
                "best_match": m["motif_id"].iloc[0],
                "best_match_name": m["name"].iloc[0],
                "pvalue": float(m["pvalue"].iloc[0]),
                "zscore": float(m["zscore"].iloc[0]),
            }
        )
    cluster_df = pd.DataFrame(
        rows,
        columns=[
            "cluster",
            "n_seqlets",
            "consensus",
            "best_match",
            "best_match_name",
            "pvalue",
            "zscore",
        ],
    )
    write_table(cluster_df, out_dir / "clusters.tsv")
    _interpret_report(
        out_dir, method, names, seqs, attr, pred, seqlets, clusters, match_tables, db, len(errors)
    )
    return {
        "sequences": len(seqs),
        "seqlets": len(seqlets),
        "clusters": cluster_df.to_dict("records"),
        "errors": len(errors),
        "out": str(out_dir),
    }


def _seqlet_pfm(contrib: np.ndarray, onehot: np.ndarray) -> np.ndarray:
    """A probability matrix for one seqlet: its bases, sharpened where contribution is high."""
    imp = np.clip(contrib.sum(1), 0, None)
    w = imp / (imp.max() + 1e-12)
    return onehot * w[:, None] + 0.25 * (1 - w[:, None]) + 1e-3


def _interpret_report(
    out_dir, method, names, seqs, attr, pred, seqlets, clusters, match_tables, db, n_errors
) -> None:
    from helixforge.core.report import Report, histogram_figure

    rep = Report(
        "Sequence model interpretation",
        f"method: {method} · {len(seqs)} sequences · {len(seqlets)} seqlets",
    )
    rep.add_text(
        "Contributions are per-base attributions of the model's score; seqlets are windows of high total contribution; "
        "clusters group recurring seqlets and are compared with the motif database (Tomtom-like, column Pearson correlation)."
    )
    if n_errors:
        rep.add_text(f"{n_errors} input record(s) were skipped; see errors.csv.")
    rep.add_figure(histogram_figure(pred, "Model scores of the input sequences", "score"))
    by_id = {m.id: m for m in db.motifs}
    for k, (cl, m) in enumerate(zip(clusters, match_tables)):
        rep.add_heading(
            f"Cluster {k + 1}: {cl.n} seqlets · best match {m['motif_id'].iloc[0]} {m['name'].iloc[0]}"
        )
        cwm, counts = cl.trimmed()
        rep.add_figure(
            logo_figure(cwm, f"cluster {k + 1} contribution (CWM)"), "contribution weight matrix"
        )
        rep.add_figure(
            logo_figure(counts + 0.01, f"cluster {k + 1} sequence logo", kind="probability"),
            "aligned seqlet bases",
        )
        best = by_id.get(m["motif_id"].iloc[0])
        if best is not None:
            rep.add_figure(
                logo_figure(best.probabilities(), f"{best.id} {best.name}", kind="probability"),
                "best database match",
            )
        rep.add_table(m.round(4))
    if len(seqlets):
        rep.add_heading("Strongest seqlets in context")
        for _, row in seqlets.head(6).iterrows():
            s = int(row["seq_index"])
            a = max(0, int(row["start"]) - 15)
            b = min(len(seqs[s]), int(row["end"]) + 15)
            rep.add_figure(logo_figure(attr[s, a:b], f"{names[s]}:{a}-{b} (score {pred[s]:.3g})"))
        rep.add_table(seqlets.head(30).round(4))
    rep.write(out_dir / "report.html")
