"""Self-contained HTML reports with plots (images embedded, opens anywhere, no server).

    rep = Report("Caco-2 permeability — D-MPNN")
    rep.add_metrics({"test": {"mae": 0.31, "r2": 0.62}})
    rep.add_regression(y_test, y_pred, name="test")
    rep.add_learning_curves(history)
    rep.write(run_dir / "report.html")

Plot helpers return matplotlib figures (Agg backend), so domains can add their own (logos, guide
maps) with `rep.add_figure(fig)`.
"""

from __future__ import annotations

import base64
import io
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from helixforge.core.tables import write_text


def _template():
    """The report template, loaded from the package (no network, no code from run folders)."""
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=PackageLoader("helixforge.core", "templates"),
        autoescape=select_autoescape(["html", "j2"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("report.html.j2")


def pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def figure_to_base64(fig, dpi: int = 110) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    pyplot().close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _fmt(v, na: str = "–") -> str:
    """A table cell as text (escaping is the template's job); NaN as `na`."""
    if isinstance(v, float | np.floating):
        if np.isnan(v):
            return na
        return f"{v:.4g}"
    return str(v)


def _short(text: str, n: int = 48) -> str:
    """A label drawn inside a figure, cut to `n` characters: a 300-character column name as a
    title made the PNG 3,500 px wide (bbox 'tight' keeps it) and the plot a sliver. The text
    around the figure (headings, captions) keeps the whole name."""
    text = str(text)
    return text if len(text) <= n else text[: n - 1] + "…"


def _clean_xy(y, s):
    y = np.asarray(y, dtype=float).ravel()
    s = np.asarray(s, dtype=float).ravel()
    keep = ~(np.isnan(y) | np.isnan(s))
    return y[keep], s[keep]


# ---------------------------------------------------------------- figures


def roc_figure(y_true, y_score, label: str = ""):
    from sklearn.metrics import roc_auc_score, roc_curve

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(4.2, 4))
    y, s = _clean_xy(y_true, y_score)
    if len(np.unique(y)) == 2:
        fpr, tpr, _ = roc_curve(y, s)
        ax.plot(fpr, tpr, label=f"{_short(label)} AUC={roc_auc_score(y, s):.3f}".strip())
    ax.plot([0, 1], [0, 1], "--", color="grey", lw=0.8)
    ax.set(xlabel="False positive rate", ylabel="True positive rate", title="ROC curve")
    ax.legend(loc="lower right", fontsize=8)
    return fig


def pr_figure(y_true, y_score, label: str = ""):
    from sklearn.metrics import average_precision_score, precision_recall_curve

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(4.2, 4))
    y, s = _clean_xy(y_true, y_score)
    if len(np.unique(y)) == 2:
        prec, rec, _ = precision_recall_curve(y, s)
        ax.plot(rec, prec, label=f"{_short(label)} AP={average_precision_score(y, s):.3f}".strip())
        ax.axhline(y.mean(), ls="--", color="grey", lw=0.8)
    ax.set(xlabel="Recall", ylabel="Precision", title="Precision–recall curve", ylim=(0, 1.02))
    ax.legend(loc="lower left", fontsize=8)
    return fig


def confusion_figure(y_true, y_pred, labels: Sequence[str] | None = None):
    """Confusion matrix. With `labels`, y_true / y_pred are class indices 0..len(labels)-1 and
    every class gets its row and column, also one the rows shown never hold (a test part
    without some class); without, the classes present are shown."""
    from sklearn.metrics import confusion_matrix

    plt = pyplot()
    y = np.asarray(y_true)
    p = np.asarray(y_pred)
    if labels is not None:
        classes = np.arange(len(labels))
    else:
        classes = np.unique(np.concatenate([y, p]))
    cm = confusion_matrix(y, p, labels=classes)
    fig, ax = plt.subplots(figsize=(3.8, 3.4))
    ax.imshow(cm, cmap="Blues")
    names = [_short(n, 24) for n in labels] if labels is not None else [str(c) for c in classes]
    ax.set_xticks(range(len(classes)), names)
    ax.set_yticks(range(len(classes)), names)
    for i in range(cm.shape[0]):
        for j in range(cm.shape[1]):
            ax.text(
                j,
                i,
                cm[i, j],
                ha="center",
                va="center",
                color="white" if cm[i, j] > cm.max() / 2 else "black",
            )
    ax.set(xlabel="Predicted", ylabel="True", title="Confusion matrix")
    return fig


# At most this many interval bars on a parity plot: more only paint the axes blue (a 5,000-row
# test part); the rows shown are spread evenly over the measured values, the same every run.
MAX_INTERVAL_BARS = 300


def _bar_rows(y: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Rows whose interval can be drawn (finite ends), thinned to MAX_INTERVAL_BARS."""
    rows = np.flatnonzero(np.isfinite(y) & np.isfinite(lo) & np.isfinite(hi))
    if len(rows) > MAX_INTERVAL_BARS:
        rows = rows[np.argsort(y[rows], kind="stable")]
        rows = np.sort(rows[np.linspace(0, len(rows) - 1, MAX_INTERVAL_BARS).round().astype(int)])
    return rows


def parity_figure(y_true, y_pred, lower=None, upper=None, label: str = ""):
    """Measured vs predicted; with `lower`/`upper`, interval bars of the rows whose interval is
    finite (at most MAX_INTERVAL_BARS of them)."""
    plt = pyplot()
    y = np.asarray(y_true, dtype=float)
    p = np.asarray(y_pred, dtype=float)
    fig, ax = plt.subplots(figsize=(4.2, 4))
    if lower is not None and upper is not None:
        lo, hi = np.asarray(lower, float), np.asarray(upper, float)
        r = _bar_rows(y, lo, hi)
        ax.errorbar(
            y[r],
            p[r],
            yerr=[np.clip(p[r] - lo[r], 0, None), np.clip(hi[r] - p[r], 0, None)],
            fmt="none",
            ecolor="#b0c4de",
            alpha=0.4,
            lw=0.6,
        )
    ax.scatter(y, p, s=8, alpha=0.6)
    finite = np.concatenate([y[np.isfinite(y)], p[np.isfinite(p)]])
    if len(finite):
        lim = (finite.min(), finite.max())
        ax.plot(lim, lim, "--", color="grey", lw=0.8)
    ax.set(xlabel="Measured", ylabel="Predicted", title=f"Parity {_short(label)}".strip())
    return fig


def calibration_figure(y_true, y_prob, bins: int = 10):
    plt = pyplot()
    y, p = _clean_xy(y_true, y_prob)
    edges = np.linspace(0, 1, bins + 1)
    idx = np.clip(np.digitize(p, edges) - 1, 0, bins - 1)
    xs, ys = [], []
    for b in range(bins):
        m = idx == b
        if m.any():
            xs.append(p[m].mean())
            ys.append(y[m].mean())
    fig, ax = plt.subplots(figsize=(4.2, 4))
    ax.plot([0, 1], [0, 1], "--", color="grey", lw=0.8)
    ax.plot(xs, ys, "o-")
    ax.set(
        xlabel="Predicted probability",
        ylabel="Observed frequency",
        title="Calibration",
        xlim=(0, 1),
        ylim=(0, 1),
    )
    return fig


def learning_curve_figure(history: Sequence[Mapping[str, float]]):
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(4.6, 3.6))
    keys = [k for k in (history[0] if history else {}) if k not in {"epoch", "step"}]
    x = [h.get("epoch", h.get("step", i)) for i, h in enumerate(history)]
    for k in keys:
        ax.plot(x, [h.get(k, np.nan) for h in history], label=k)
    ax.set(xlabel="epoch", ylabel="value", title="Learning curves")
    ax.legend(fontsize=8)
    return fig


def histogram_figure(values, title: str, xlabel: str = "", bins: int = 40):
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(4.2, 3.4))
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if len(v) and np.ptp(v) <= 1e-9 * max(1.0, float(np.abs(v).max())):
        # (almost) one value, e.g. the residuals of a model that predicts the label plus a
        # constant: 40 bins over a 1e-17 span made numpy raise 'Too many bins for data range'
        mid = float(np.median(v))
        ax.hist(v, bins=1, range=(mid - 0.5, mid + 0.5), color="#2b6cb0", alpha=0.8)
    else:
        ax.hist(v, bins=bins, color="#2b6cb0", alpha=0.8)
    ax.set(title=_short(title), xlabel=_short(xlabel), ylabel="count")
    return fig


# ---------------------------------------------------------------- document


class Report:
    """An HTML document built block by block and rendered by one Jinja2 template
    (`core/templates/report.html.j2`, autoescaped); `write()` is atomic.

    The document carries no timestamp, so the same run gives the same bytes.
    """

    def __init__(self, title: str, subtitle: str = ""):
        self.title = title
        self.subtitle = subtitle
        self._blocks: list[dict] = []
        self._figs: list[dict] = []

    def _flush_figs(self) -> None:
        if self._figs:
            self._blocks.append({"kind": "figures", "figures": self._figs})
            self._figs = []

    def _add(self, **block) -> Report:
        self._flush_figs()
        self._blocks.append(block)
        return self

    def add_heading(self, text: str) -> Report:
        return self._add(kind="heading", text=text)

    def add_text(self, text: str) -> Report:
        return self._add(kind="text", text=text)

    def add_html(self, fragment: str) -> Report:
        """Trusted HTML written by HelixForge code (never user data)."""
        return self._add(kind="html", html=fragment)

    def add_code(self, text: str) -> Report:
        return self._add(kind="code", text=text)

    def add_table(self, df, max_rows: int = 50, index: bool = False, na: str = "–") -> Report:
        """The first `max_rows` rows of `df`; NaN cells read `na` (metric tables say 'n/a':
        undefined on that part, e.g. ROC-AUC of a one-class test part)."""
        shown = df.head(max_rows)
        cols = ([shown.index.name or ""] if index else []) + [str(c) for c in shown.columns]
        rows = [
            ([_fmt(idx, na)] if index else []) + [_fmt(v, na) for v in rec.tolist()]
            for idx, rec in shown.iterrows()
        ]
        more = len(df) - max_rows if len(df) > max_rows else 0
        return self._add(kind="table", columns=cols, rows=rows, more=more)

    def add_metrics(
        self, metrics: Mapping[str, Mapping[str, float]] | Mapping[str, float]
    ) -> Report:
        """A metrics table: {split: {metric: value}} (one row per split) or a flat {metric: value}."""
        import pandas as pd

        if metrics and all(isinstance(v, Mapping) for v in metrics.values()):
            df = pd.DataFrame(metrics).T
            df.index.name = "split"
            return self.add_table(df, index=True, na="n/a")
        return self.add_table(pd.DataFrame([metrics]), na="n/a")

    def add_figure(self, fig, caption: str = "") -> Report:
        self._figs.append({"data": figure_to_base64(fig), "caption": caption})
        return self

    def add_classification(
        self,
        y_true,
        y_score,
        name: str = "test",
        threshold: float = 0.5,
        labels: Sequence[str] | None = None,
    ) -> Report:
        """ROC, PR, confusion matrix, calibration and a classification report for one binary task.
        `labels` names classes 0 and 1 (the data's class names; default '0', '1'). A precision
        or recall with nothing to divide by (no row predicted as that class) reads n/a, not 0."""
        import pandas as pd
        from sklearn.metrics import classification_report

        y, s = _clean_xy(y_true, y_score)
        self.add_heading(f"Classification — {name}")
        if len(np.unique(y)) < 2:
            return self.add_text(
                f"Only one class present in {name} ({len(y)} rows); curves are undefined."
            )
        self.add_figure(roc_figure(y, s, name), caption=f"ROC curve ({name})")
        self.add_figure(pr_figure(y, s, name), caption=f"Precision-recall curve ({name})")
        names = [str(c) for c in labels] if labels is not None else ["0", "1"]
        pred = (s >= threshold).astype(int)
        self.add_figure(
            confusion_figure(y.astype(int), pred, names),
            caption=f"Confusion matrix at threshold {threshold}",
        )
        self.add_figure(calibration_figure(y, s), caption=f"Calibration ({name})")
        rep = classification_report(
            y.astype(int),
            pred,
            labels=[0, 1],
            target_names=names,
            output_dict=True,
            zero_division=np.nan,
        )
        rep.pop(
            "accuracy", None
        )  # a scalar (in the metrics table); as a row it filled every column
        table = pd.DataFrame(rep).T.reset_index().rename(columns={"index": "class"})
        table["support"] = table["support"].astype(int)
        return self.add_table(table, na="n/a")

    def add_regression(self, y_true, y_pred, name: str = "test", lower=None, upper=None) -> Report:
        """Parity plot (with intervals when given) and a residual histogram."""
        self.add_heading(f"Regression — {name}")
        caption = f"Parity ({name})"
        if lower is not None and upper is not None:
            y, lo, hi = (np.asarray(a, float) for a in (y_true, lower, upper))
            n_bars = len(_bar_rows(y, lo, hi))
            n_finite = int((np.isfinite(y) & np.isfinite(lo) & np.isfinite(hi)).sum())
            if n_finite == 0:
                caption += "; prediction intervals unbounded (see the notes), not drawn"
            elif n_bars < n_finite:
                caption += f" with prediction intervals of {n_bars} of {n_finite} rows"
            else:
                caption += " with prediction intervals"
        self.add_figure(parity_figure(y_true, y_pred, lower, upper, name), caption=caption)
        resid = np.asarray(y_pred, float) - np.asarray(y_true, float)
        return self.add_figure(
            histogram_figure(resid, "Residuals (predicted − measured)"),
            caption=f"Residuals ({name})",
        )

    def add_learning_curves(self, history: Sequence[Mapping[str, float]], name: str = "") -> Report:
        if history:
            self.add_figure(
                learning_curve_figure(history), caption=f"Learning curves {name}".strip()
            )
        return self

    def render(self) -> str:
        from helixforge import __version__

        self._flush_figs()
        return _template().render(
            title=self.title, subtitle=self.subtitle, version=__version__, blocks=self._blocks
        )

    def write(self, path: str | os.PathLike) -> Path:
        return write_text(self.render(), path)
