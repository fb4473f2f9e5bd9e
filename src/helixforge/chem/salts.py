"""Parent compound of a multi-fragment input (salts, hydrates, mixtures).

Salts, as a medicinal chemist registers them: counter-ions (RDKit's SaltRemover list: halides,
alkali / alkaline-earth ions, water, ammonia, nitrate, phosphate, sulfate, mesylate, tosylate,
acetate, TFA, fumarate / maleate, oxalate, tartrate, dicyclohexylamine) and other inorganic
fragments are stripped from an organic parent: `CCN.Cl` → `CCN`, metformin tosylate →
metformin; when the only organic fragments are such counter-ions (sodium acetate), the largest
is the parent (acetic acid). When nothing is left but counter-ions / inorganic fragments (`[Na+].[Cl-]`, a
hydrate of it, cisplatin `N.N.Cl[Pt]Cl`), the compound IS the salt: it is kept whole (only water
dropped) and not neutralised, so `[Na+].[Cl-]` stays `[Cl-].[Na+]` instead of becoming `Cl`
(`StandardizeOptions(salts="reject")` turns such rows into errors "only counter-ions").
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

# carbon-containing fragments that are inorganic: cyanide, carbonate / bicarbonate, CO2, CO,
# (thio)cyanate (whole-fragment SMARTS; charge-agnostic)
_INORGANIC_CARBON = ("[#6]#[#7]", "[#6](=[#8])([#8])[#8]", "[#8]=[#6]=[#8]", "[#6]#[#8]")
_INORGANIC_CARBON += ("[#7]#[#6][#8,#16]",)


def _whole_match(frag, patterns) -> bool:
    n = frag.GetNumAtoms()
    return any(
        len(match) == n for p in patterns for match in frag.GetSubstructMatches(p, maxMatches=4)
    )


@cache
def _patterns() -> tuple:
    """(carbon, organic counter-ions of RDKit's SaltRemover list, inorganic carbon species)."""
    from rdkit import Chem
    from rdkit.Chem.SaltRemover import SaltRemover

    carbon = Chem.MolFromSmarts("[#6]")
    organic = tuple(p for p in SaltRemover().salts if p.HasSubstructMatch(carbon))
    return carbon, organic, tuple(Chem.MolFromSmarts(p) for p in _INORGANIC_CARBON)


@cache
def _chooser():
    from rdkit.Chem.MolStandardize import rdMolStandardize

    return rdMolStandardize.LargestFragmentChooser(preferOrganic=True)


def _fragment_kind(frag) -> str:
    """'inorganic' (no carbon, or cyanide / carbonate / CO2 ...), 'counterion' (an organic
    counter-ion of RDKit's salt list: acetate, tosylate, ...) or 'organic'."""
    carbon, counterions, inorganic_carbon = _patterns()
    if not frag.HasSubstructMatch(carbon) or _whole_match(frag, inorganic_carbon):
        return "inorganic"
    return "counterion" if _whole_match(frag, counterions) else "organic"


def choose_parent(mol) -> tuple[object, bool]:
    """The parent compound of a (possibly multi-fragment) molecule and whether it is an
    all-inorganic salt kept whole: the largest organic non-counter-ion fragment; else the
    largest organic counter-ion (sodium acetate → acetate); else, when every fragment is a
    counter-ion / inorganic (NaCl, its hydrate, cisplatin), the whole input minus water."""
    from rdkit import Chem

    frags = Chem.GetMolFrags(mol, asMols=True)
    if len(frags) == 1:
        return mol, False
    kinds = [_fragment_kind(f) for f in frags]
    for wanted in ("organic", "counterion"):
        keep = [f for f, k in zip(frags, kinds) if k == wanted]
        if len(keep) == 1:
            return keep[0], False
        if keep:
            return _chooser().choose(_combine(keep)), False
    non_water = [f for f in frags if Chem.MolToSmiles(f) != "O"]
    if not non_water:
        return frags[0], False  # only water
    return _combine(non_water), len(non_water) > 1


def _combine(frags: Sequence) -> object:
    from rdkit import Chem

    out = frags[0]
    for f in frags[1:]:
        out = Chem.CombineMols(out, f)
    Chem.SanitizeMol(out)  # ring info and property caches for what follows
    return out
