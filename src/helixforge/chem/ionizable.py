"""The "ionizable" feature block: counts of acidic and basic groups (charge state at pH 7.4).

Fingerprints see a carboxylic acid or a piperidine as a few bits among thousands, and
Crippen logP describes the neutral form only. What moves logD7.4, solubility, clearance or
volume of distribution is whether the molecule is charged in water: a carboxylic acid
(pKa ≈ 4) is > 99.9 % anionic at pH 7.4, which lowers logD by ~3 units against its logP; an
aliphatic amine (pKa 9–10) is cationic. The block counts groups by ionization class —
strong acids, weak acids, strong bases, weak bases, permanent charges — and three summaries
(acids, bases, bases − acids) that a tree can split on directly.

    FeatureSpec(..., extra=("ionizable",))   # 19 columns, ~0.1 ms per molecule

No pKa is predicted: the classes are textbook group pKa ranges (e.g. Williams' pKa tables),
so a group whose pKa a neighbour shifts far is still counted in its class. Used by the ADMET
panel's endpoints whose scaffold CV improved with it (docs/admet.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import numpy as np

from helixforge.chem.featurize import FEATURIZERS, register_featurizer

BLOCK = "ionizable"

# name → SMARTS; each match counts once (unique atom sets), at most MAX_MATCHES per molecule.
GROUPS: dict[str, str] = {
    # acids mostly ionized at pH 7.4 (pKa ≲ 6)
    "carboxylic_acid": "[CX3](=O)[OX2H1,OX1-]",
    "tetrazole": "[#7H1,#7-;r5;$([#7]1:[#7]:[#7]:[#7]:[#6]:1),$([#7]1:[#7]:[#7]:[#6]:[#7]:1)]",
    "acyl_sulfonamide": "[CX3](=O)[NX3H1,NX2-][SX4](=O)=O",
    # matched on the acidic O: a sulfonic acid counts once, not once per S=O
    "sulfonic_phosphoric_acid": "[OX2H1,OX1-;$(O[S,P]=O)]",
    # weak acids (pKa ≈ 8–10): partly ionized
    "sulfonamide_nh": "[SX4](=O)(=O)[NX3;H1,H2;!$(NC=O)]",
    "phenol": "c[OX2H1]",
    "hydroxamic_acid": "[CX3](=O)[NX3][OX2H1]",
    # bases mostly protonated at pH 7.4 (pKa ≳ 8): aliphatic amines, amidines, guanidines
    "aliphatic_amine": (
        "[$([NX3;H2,H1,H0;+0;!$(N[#6]=[#7,#8,#16]);!$(N-a);!$(N[S,P]=O);!$(N-[#7,#8]);"
        "!$(N-C#N);!$(N-C=C)]),$([NX4+;H1,H2,H3])]"
    ),
    "primary_aliphatic_amine": "[NX3;H2;+0;!$(N[#6]=[#7,#8,#16]);!$(N-a);!$(N[S,P]=O)]",
    # matched on the central carbon: a guanidine counts once
    "amidine_guanidine": "[CX3;!a;$(C(=[NX2;!a;!$(N-[O,N])])[NX3;!a;!$(NC=O)])]",
    # weak bases (pKa ≈ 4–7)
    "pyridine_like_n": "[nX2;r6]",
    # azole N (imidazole, triazole); a tetrazole's N belong to the acid above, not here
    "imidazole_like_n": "[nX2;r5;!$(n1nnnc1);!$(n1nncn1);!$(n1ncnn1)]:[c,n]:[nX3;r5]",
    "aniline_n": "[NX3;H2,H1,H0;+0;$(N-a);!$(N[#6]=[#7,#8,#16]);!$(N[S,P]=O)]",
    # charges as written (nitro and N-oxide zwitterion-style pairs excluded)
    "quaternary_ammonium": "[NX4+;H0;!$(N~[O-])]",
    "positive_charge": "[+;!$([N+]~[O-]);!$([N+]=O)]",
    "negative_charge": "[-;!$([O-]~[N+])]",
}
ACIDS = ("carboxylic_acid", "tetrazole", "acyl_sulfonamide", "sulfonic_phosphoric_acid")
BASES = ("aliphatic_amine", "amidine_guanidine", "quaternary_ammonium")
NAMES = [f"ion_{g}" for g in GROUPS] + ["ion_acids", "ion_bases", "ion_net_charge"]
MAX_MATCHES = 50


# groups matched only when the molecule has S or P / a charged atom (one cheap test each
# instead of three full matches: most drug-like molecules have neither)
NEEDS_S_OR_P = ("acyl_sulfonamide", "sulfonic_phosphoric_acid", "sulfonamide_nh")
NEEDS_CHARGE = ("quaternary_ammonium", "positive_charge", "negative_charge")
# an azole N as counted before tetrazoles are excluded: the same count for a molecule
# without a tetrazole, and ~2× faster than the pattern with the exclusions
AZOLE_FAST = "[nX2;r5]:[c,n]:[nX3;r5]"


@cache
def _queries() -> dict:
    from rdkit import Chem

    q = {g: Chem.MolFromSmarts(s) for g, s in GROUPS.items()}
    q["_s_or_p"] = Chem.MolFromSmarts("[S,P]")
    q["_charged"] = Chem.MolFromSmarts("[+,-]")
    q["_azole_fast"] = Chem.MolFromSmarts(AZOLE_FAST)
    return q


def _count(m, q) -> int:
    return len(m.GetSubstructMatches(q, maxMatches=MAX_MATCHES))


def ionizable_block(mols: Sequence, spec=None) -> np.ndarray:
    """(n, 19) float32 group counts (see `NAMES`); a None molecule gives a NaN row."""
    q = _queries()
    keys = list(GROUPS)
    out = np.full((len(mols), len(NAMES)), np.nan, dtype=np.float32)
    for i, m in enumerate(mols):
        if m is None:
            continue
        skip = set()
        if not m.HasSubstructMatch(q["_s_or_p"]):
            skip.update(NEEDS_S_OR_P)
        if not m.HasSubstructMatch(q["_charged"]):
            skip.update(NEEDS_CHARGE)
        d = {g: 0 if g in skip else None for g in keys}
        d["tetrazole"] = _count(m, q["tetrazole"])
        if not d["tetrazole"]:
            d["imidazole_like_n"] = _count(m, q["_azole_fast"])
        for g in keys:
            if d[g] is None:
                d[g] = _count(m, q[g])
        acids = sum(d[g] for g in ACIDS)
        bases = sum(d[g] for g in BASES)
        out[i] = [*(d[g] for g in keys), acids, bases, bases - acids]
    return out


if BLOCK not in FEATURIZERS:
    register_featurizer(BLOCK, lambda spec: list(NAMES))(ionizable_block)
