"""The `helix chem admet --report` HTML page (core.report + its Jinja2 template): a summary
table per endpoint, one distribution plot per endpoint (the library against the approved
drugs) and a per-molecule bar view of approved-drug percentiles for the first molecules."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from helixforge.chem.admet.cards import ENDPOINT_NAMES, endpoint_card, metric_label
from helixforge.chem.admet.physchem import PROPERTIES

MAX_MOLECULES = 12  # per-molecule bar charts
MAX_ROWS = 100_000  # rows read for the distributions


def _title(name: str) -> str:
    if name in ENDPOINT_NAMES:
        return endpoint_card(name).title
    return {p[0]: p[1] for p in PROPERTIES}.get(name, name)


def _unit(name: str) -> str:
    if name in ENDPOINT_NAMES:
        return endpoint_card(name).unit
    return {p[0]: p[2] for p in PROPERTIES}.get(name, "")


def _require_panel(panel, function: str) -> None:
    """A ConfigError unless `panel` is an `ADMETPanel` (its endpoints and reference are read)."""
    from helixforge.chem.admet.panel import ADMETPanel
    from helixforge.core.errors import ConfigError

    if not isinstance(panel, ADMETPanel):
        raise ConfigError(
            f"{function}: panel must be an ADMETPanel (the panel that predicted the table; "
            f"its endpoints and reference drugs are used), not {type(panel).__name__} "
            f"{panel!r:.80}",
            hint=f"from helixforge.chem.admet import ADMETPanel; {function}(..., ADMETPanel())",
        )


def summary_table(df: pd.DataFrame, panel) -> pd.DataFrame:
    """Per endpoint: unit, median, IQR, share beyond the suggested cut-off, TDC test metric.
    `df` is a panel output table, `panel` the `ADMETPanel` that wrote it (a ConfigError
    otherwise; None was an AttributeError)."""
    from helixforge.core.errors import InputError

    _require_panel(panel, "summary_table")
    if not isinstance(df, pd.DataFrame):
        raise InputError(
            f"summary_table: df must be a pandas DataFrame (the panel's output table), not "
            f"{type(df).__name__}",
            hint="read the table with helixforge.core.tables.read_table",
        )
    rows = []
    for n in panel.endpoints:
        v = pd.to_numeric(df.get(f"admet_{n}"), errors="coerce").to_numpy(float)
        v = v[np.isfinite(v)]
        row = {"endpoint": n, "unit": _unit(n), "n": len(v)}
        if len(v):
            q1, med, q3 = np.percentile(v, [25, 50, 75])
            row.update(median=round(med, 3), q25=round(q1, 3), q75=round(q3, 3))
        if n in ENDPOINT_NAMES:
            card = endpoint_card(n)
            if card.cutoff_value is not None and card.flag_above is not None and len(v):
                beyond = v > card.cutoff_value if card.flag_above else v < card.cutoff_value
                sign = ">" if card.flag_above else "<"
                row["flagged"] = f"{beyond.mean():.0%} ({sign} {card.cutoff_value:g})"
            test = card.trained.get("test")
            if test is not None:
                row["TDC test"] = f"{metric_label(card.metric)} {test:.3f}"
        rows.append(row)
    return pd.DataFrame(rows)


def _distribution(values: np.ndarray, reference: np.ndarray | None, name: str):
    from helixforge.core.report import pyplot

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(4.0, 3.0))
    v = values[np.isfinite(values)]
    both = np.concatenate([v, reference]) if reference is not None and len(reference) else v
    lo, hi = (np.nanmin(both), np.nanmax(both)) if len(both) else (0.0, 1.0)
    bins = np.linspace(lo, hi if hi > lo else lo + 1, 40)
    ax.hist(v, bins=bins, density=True, alpha=0.65, color="#2b6cb0", label="this library")
    if reference is not None and len(reference):
        ax.hist(reference, bins=bins, density=True, histtype="step", color="#c05621", lw=1.5,
                label="approved drugs")  # fmt: skip
    if name in ENDPOINT_NAMES and endpoint_card(name).cutoff_value is not None:
        ax.axvline(endpoint_card(name).cutoff_value, color="#444", ls="--", lw=1)
    ax.set(title=_title(name), xlabel=_unit(name), ylabel="density")
    ax.legend(fontsize=7)
    return fig


def _molecule_bars(row: pd.Series, names: list[str], label: str):
    from helixforge.core.report import pyplot

    plt = pyplot()
    pct = [float(row.get(f"admet_{n}_pct", np.nan)) for n in names]
    fig, ax = plt.subplots(figsize=(4.6, 0.22 * len(names) + 0.9))
    y = np.arange(len(names))
    colors = ["#c53030" if p >= 90 or p <= 10 else "#2b6cb0" for p in np.nan_to_num(pct, nan=50)]
    ax.barh(y, np.nan_to_num(pct), color=colors)
    ax.axvline(50, color="#888", lw=0.8)
    ax.set_yticks(y, names, fontsize=6)
    ax.set_xlim(0, 100)
    ax.invert_yaxis()
    ax.set_xlabel("percentile among approved drugs", fontsize=7)
    ax.set_title(label[:60], fontsize=7)
    return fig


def write_admet_report(
    table: str | os.PathLike, out: str | os.PathLike, panel, max_rows: int = MAX_ROWS
) -> str:
    """Write the HTML report for a panel output table; returns its path."""
    from helixforge.chem.admet.predict import read_sample

    _require_panel(panel, "write_admet_report")  # before the table is read
    from helixforge.core.report import Report

    df = read_sample(table, max_rows)
    rep = Report("ADMET panel", f"{len(df)} molecules from {os.path.basename(str(table))}")
    drugs = f"{len(panel.reference.values):,} " if panel.percentiles else ""
    rep.add_text(
        "Values are model predictions (LightGBM, TDC ADMET benchmark-group data) or RDKit "
        f"properties; percentiles compare each value with {drugs}ChEMBL approved drugs. See "
        "docs/admet.md for each endpoint's unit, test accuracy and suggested cut-off."
    )
    rep.add_heading("Summary")
    rep.add_table(summary_table(df, panel), max_rows=60)
    if "admet_in_domain" in df:
        share = pd.Series(df["admet_in_domain"]).astype(str).str.lower().eq("true").mean()
        rep.add_text(f"{share:.0%} of molecules are in the applicability domain.")
    rep.add_heading("Distributions (library vs approved drugs)")
    ref = panel.reference if panel.percentiles else None
    for n in panel.endpoints:
        v = pd.to_numeric(df.get(f"admet_{n}"), errors="coerce").to_numpy(float)
        r = None
        if ref is not None and n in ref.columns:
            r = ref.values[: ref.counts[n], ref.columns[n]].astype(float)
        rep.add_figure(_distribution(v, r, n), caption=n)
    if panel.percentiles and len(df):
        rep.add_heading(f"Per molecule (first {min(MAX_MOLECULES, len(df))})")
        label_col = "canonical_smiles" if "canonical_smiles" in df else df.columns[0]
        for _, row in df.head(MAX_MOLECULES).iterrows():
            rep.add_figure(
                _molecule_bars(row, panel.endpoints, str(row[label_col])),
                caption=f"row {row.get('row', '')}: {str(row[label_col])[:80]}",
            )
    path = rep.write(out)
    return str(path)
