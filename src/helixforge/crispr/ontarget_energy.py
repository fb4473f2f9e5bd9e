"""Binding-energy features of SpCas9 guides (CRISPRon-style), vectorised nearest-neighbour sums.

CRISPRon (Xiang et al. 2021, Nat Commun 12:3238) found the gRNA–target binding energy ΔG_B the
strongest single non-sequence feature of on-target activity. ΔG_B is the free energy of forming
the R-loop: the RNA–DNA hybrid gained minus the DNA duplex opened (minus RNA self-folding).
Here the first two terms are computed per row from the 20-nt spacer with published
nearest-neighbour tables, in numpy (≈1 µs per guide):

- RNA–DNA hybrid ΔG°37 (Sugimoto et al. 1995, Biochemistry 34:11211; RNA strand 5'→3' = the
  spacer, paired with the target strand), initiation +3.1 kcal/mol;
- DNA duplex ΔG°37 (SantaLucia 1998, PNAS 95:1460, unified table), initiation +1.96, terminal
  A·T penalty +0.05 per end.

``dg_rloop = dg_hybrid - dg_dna`` (more negative = the hybrid wins over the duplex more).
The gRNA's own folding energy (the third term) needs an RNA folding algorithm: ViennaRNA's
``RNA.fold`` ran at about 7,000 spacers/s on one core here, which alone would take the default
model below ten times Rule Set 3's throughput, so it is not a runtime feature.
Windows are 1-based spacer positions (1 = PAM-distal, 20 = PAM-proximal).
"""

from __future__ import annotations

import numpy as np

# 16 dinucleotides in A C G T order (index 4*first + second), kcal/mol at 37 °C
_HYBRID_RNA_DNA = np.array([
    -1.0, -2.1, -1.8, -0.9,  # rAA rAC rAG rAU
    -0.9, -2.1, -1.7, -0.9,  # rCA rCC rCG rCU
    -1.3, -2.7, -2.9, -1.1,  # rGA rGC rGG rGU
    -0.6, -1.5, -1.6, -0.2,  # rUA rUC rUG rUU
])  # fmt: skip
_HYBRID_INIT = 3.1
_DNA_DUPLEX = np.array([
    -1.00, -1.44, -1.28, -0.88,  # AA AC AG AT
    -1.45, -1.84, -2.17, -1.28,  # CA CC CG CT
    -1.30, -2.24, -1.84, -1.44,  # GA GC GG GT
    -0.58, -1.30, -1.45, -1.00,  # TA TC TG TT
])  # fmt: skip
_DNA_INIT, _DNA_AT_END = 1.96, 0.05

# (name, first, last) spacer windows, 1-based inclusive
ENERGY_WINDOWS = (("1_20", 1, 20), ("1_10", 1, 10), ("11_20", 11, 20), ("15_20", 15, 20),
                  ("1_5", 1, 5), ("6_10", 6, 10), ("11_15", 11, 15))  # fmt: skip


def energy_feature_names() -> list[str]:
    """Column names of `energy_features`."""
    names = [f"dg_hybrid_{w}" for w, _, _ in ENERGY_WINDOWS]
    names += [f"dg_dna_{w}" for w, _, _ in ENERGY_WINDOWS]
    names += ["dg_rloop_1_20", "dg_rloop_11_20", "dg_hybrid_min5", "dg_hybrid_argmin5"]
    return names


def energy_features(spacer_codes: np.ndarray) -> np.ndarray:
    """(n, len(energy_feature_names())) float32 from (n, 20) spacer codes A0 C1 G2 T3 (rows
    with any other code → NaN)."""
    c = np.asarray(spacer_codes)
    n = len(c)
    bad = (c > 3).any(axis=1)
    cc = np.where(c > 3, 0, c).astype(np.int64)
    pair = cc[:, :-1] * 4 + cc[:, 1:]  # (n, 19): step i joins spacer bases i+1, i+2 (1-based)
    hyb, dna = _HYBRID_RNA_DNA[pair], _DNA_DUPLEX[pair]
    at = (cc == 0) | (cc == 3)
    cols = []
    for table, init in ((hyb, "hybrid"), (dna, "dna")):
        for _, a, b in ENERGY_WINDOWS:
            s = table[:, a - 1 : b - 1].sum(axis=1)
            if init == "hybrid":
                s = s + _HYBRID_INIT
            else:
                s = s + _DNA_INIT + _DNA_AT_END * (at[:, a - 1].astype(float) + at[:, b - 1])
            cols.append(s)
    k = len(ENERGY_WINDOWS)
    cols.append(cols[0] - cols[k])  # rloop 1-20
    cols.append(cols[2] - cols[k + 2])  # rloop 11-20
    win5 = np.lib.stride_tricks.sliding_window_view(hyb, 4, axis=1).sum(axis=2)  # 5-nt windows
    cols.append(win5.min(axis=1) + _HYBRID_INIT)
    cols.append(win5.argmin(axis=1).astype(float) + 1)
    out = np.stack(cols, axis=1).astype(np.float32) if n else np.zeros((0, len(cols)), np.float32)
    out[bad] = np.nan
    return out
