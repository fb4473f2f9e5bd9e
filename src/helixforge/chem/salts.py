"""Parent compound of a multi-fragment input (salts, hydrates, mixtures).

Salts, as a medicinal chemist registers them: counter-ions (RDKit's SaltRemover list: halides,
alkali / alkaline-earth ions, water, ammonia, nitrate, phosphate, sulfate, mesylate, tosylate,
acetate, TFA, fumarate / maleate, oxalate, tartrate, dicyclohexylamine; and the pharmaceutical
ones it lacks, `_PHARMA_COUNTER_IONS`: citrate, pamoate, besylate, napsylate, camsylate,
meglumine, tromethamine, benzathine, ...) and other inorganic
fragments are stripped from an organic parent: `CCN.Cl` → `CCN`, metformin tosylate →
metformin; when the only organic fragments are such counter-ions (sodium acetate), the largest
is the parent (acetic acid). When nothing is left but counter-ions / inorganic fragments (`[Na+].[Cl-]`, a
hydrate of it, cisplatin `N.N.Cl[Pt]Cl`), the compound IS the salt: it is kept whole (only water
dropped) and not neutralised, so `[Na+].[Cl-]` stays `[Cl-].[Na+]` instead of becoming `Cl`
(`StandardizeOptions(salts="reject")` turns such rows into errors "only counter-ions").

Metals: lithium, sodium, potassium, magnesium, calcium (RDKit's salt list), and rubidium,
caesium, strontium, barium, are counter-ions. Any other metal (transition metals, lanthanides,
Al, Zn, Sn, Hg, Pb, Bi, Sb, Ge, ...) in a multi-fragment input with an organic fragment makes
it a metal compound drawn as fragments — ferrocene `[Fe+2].c1cc[cH-]c1.c1cc[cH-]c1`, carboplatin
`...C(=O)O.N.N.[Pt]`, zinc salicylate, a gadolinium contrast agent, an organotin adduct: it is
kept whole (water dropped, charges as written), as `choose_parent` reports with `METAL`. The
metal is what the compound is (its toxicity, its chemistry); stripped, ferrocene became
cyclopentadiene, zinc salicylate salicylic acid, and each was merged as a duplicate with the
free ligand's rows (16 such collisions in Tox21, 24 in HIV).
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


# Pharmaceutical counter-ions RDKit's salt list lacks (USP / FDA salt forms), as neutral acids
# and bases; matched whole, whatever their charges or stereo. Several are larger than the drugs
# they come with: oxantel pamoate gave pamoic acid as the parent, metformin citrate citric acid.
_PHARMA_COUNTER_IONS = (
    "OC(=O)CC(O)(CC(=O)O)C(=O)O",  # citrate
    "OC(=O)c1cc2ccccc2c(Cc2c(O)c(C(=O)O)cc3ccccc23)c1O",  # pamoate (embonate)
    "OS(=O)(=O)c1cccc2c(S(=O)(=O)O)cccc12",  # napadisylate
    "OS(=O)(=O)c1ccc2ccccc2c1",  # napsylate
    "OS(=O)(=O)c1ccccc1",  # besylate
    "CC1(C)C2CCC1(CS(=O)(=O)O)C(=O)C2",  # camsylate
    "CCS(=O)(=O)O",  # esylate
    "OS(=O)(=O)CCS(=O)(=O)O",  # edisylate
    "OCCS(=O)(=O)O",  # isethionate
    "COS(=O)(=O)O",  # methyl sulfate
    "CC(O)C(=O)O",  # lactate
    "OCC(O)C(O)C(O)C(O)C(=O)O",  # gluconate
    "OC(=O)CCC(=O)O",  # succinate
    "OC(=O)CC(O)C(=O)O",  # malate
    "OC(=O)CC(=O)O",  # malonate
    "OC(=O)CNC(=O)c1ccccc1",  # hippurate
    "OC(=O)c1ccc2ccccc2c1O",  # xinafoate
    "OC(=O)c1ccccc1",  # benzoate
    "OC=O",  # formate
    "CNCC(O)C(O)C(O)C(O)CO",  # meglumine
    "NC(CO)(CO)CO",  # tromethamine
    "C(CNCc1ccccc1)NCc1ccccc1",  # benzathine
    "CCNCC",  # diethylamine
    "CCN(CC)CC",  # triethylamine
    "NCCO",  # olamine
    "OCCNCCO",  # diolamine
    "OCCN(CCO)CCO",  # trolamine
    "NCCN",  # ethylenediamine
    "CC(C)(C)N",  # erbumine
    "C[N+](C)(C)CCO",  # choline
    # from the ChEMBL structure pipeline's salt list: counter-ions larger than many drugs
    # (isometheptene mucate gave mucic acid, a fatty-acid salt its fatty acid)
    "OC(C(O)C(O)C(=O)O)C(O)C(=O)O",  # mucate (galactarate)
    "OC(=O)CCCCC(=O)O",  # adipate
    "CCCCCCCC(=O)O",  # caprylate
    "CCCCCCCCCC(=O)O",  # caprate
    "CCCCCCCCCCCC(=O)O",  # laurate
    "CCCCCCCCCCCCCCCC(=O)O",  # palmitate
    "CCCCCCCCCCCCCCCCCC(=O)O",  # stearate
    "CCCCCCCCC=CCCCCCCCC(=O)O",  # oleate / elaidate
    "CCCCCCCCCCCCOS(=O)(=O)O",  # lauryl sulfate (estolate)
    "OCC(O)C(O)C(O)C(O)C(O)C(=O)O",  # gluceptate
    "OCC(O)C(OC1OC(CO)C(O)C(O)C1O)C(O)C(O)C(=O)O",  # lactobionate
    "OC(=O)CN(CCN(CC(=O)O)CC(=O)O)CC(=O)O",  # edetate
)


@cache
def _patterns() -> tuple:
    """(carbon, organic counter-ions of RDKit's SaltRemover list and `_PHARMA_COUNTER_IONS`,
    inorganic carbon species)."""
    from rdkit import Chem
    from rdkit.Chem.SaltRemover import SaltRemover

    carbon = Chem.MolFromSmarts("[#6]")
    organic = tuple(p for p in SaltRemover().salts if p.HasSubstructMatch(carbon))
    # element + bond graph only (no H counts, no charges): carboxylate matches carboxylic acid
    organic += tuple(
        Chem.MolFromSmarts(Chem.MolToSmarts(Chem.MolFromSmiles(s))) for s in _PHARMA_COUNTER_IONS
    )
    return carbon, organic, tuple(Chem.MolFromSmarts(p) for p in _INORGANIC_CARBON)


def _largest(frags: Sequence):
    """The largest of `frags`: the most heavy atoms, then the highest molecular weight, then
    the first canonical SMILES. Hydrogens are not counted: RDKit's LargestFragmentChooser
    counts them, so a hydrogen-rich fragment beat a larger one with fewer hydrogens (hexane
    won over indole, octane over naphthalene, a fatty acid over a drug of more heavy atoms),
    and the choice could depend on how the hydrogens were written. The SMILES decides only
    between fragments of one formula and weight; isomers among them are refused
    (`_refuse_mixed_isomers`), so the order the fragments were written in never decides."""
    from rdkit import Chem
    from rdkit.Chem.Descriptors import MolWt

    return min(
        frags, key=lambda f: (-f.GetNumHeavyAtoms(), -round(MolWt(f), 4), Chem.MolToSmiles(f))
    )


def _fragment_kind(frag) -> str:
    """'inorganic' (no carbon, or cyanide / carbonate / CO2 ...), 'counterion' (an organic
    counter-ion of RDKit's salt list: acetate, tosylate, ...) or 'organic'."""
    carbon, counterions, inorganic_carbon = _patterns()
    if not frag.HasSubstructMatch(carbon) or _whole_match(frag, inorganic_carbon):
        return "inorganic"
    return "counterion" if _whole_match(frag, counterions) else "organic"


PARENT = "parent"  # an organic parent chosen (or the input was one fragment)
SALT = "salt"  # only counter-ions / inorganic fragments: kept whole
METAL = "metal"  # a metal compound drawn as fragments: kept whole

# Metals that are counter-ions (groups 1 and 2 from Li down); every other metal is part of the
# compound. Non-metals and the metalloids B, Si, As, Se, Te, At are no metals here.
_COUNTER_ION_METALS = (3, 11, 19, 37, 55, 87, 12, 20, 38, 56, 88)
_NON_METALS = (1, 2, 5, 6, 7, 8, 9, 10, 14, 15, 16, 17, 18, 33, 34, 35, 36, 52, 53, 54, 85, 86)


@cache
def _compound_metal():
    """SMARTS for an atom of a metal that is part of its compound (not a counter-ion)."""
    from rdkit import Chem

    skip = set(_COUNTER_ION_METALS) | set(_NON_METALS)
    return Chem.MolFromSmarts("[" + ",".join(f"#{z}" for z in range(3, 119) if z not in skip) + "]")


def choose_parent(mol) -> tuple[object, str]:
    """The parent compound of a (possibly multi-fragment) molecule and what it is: `PARENT`,
    the largest organic non-counter-ion fragment, else the largest organic counter-ion (sodium
    acetate → acetate), largest by heavy atoms (`_largest`); `METAL`, a metal compound drawn
    as fragments (a metal other than an alkali / alkaline-earth counter-ion beside an organic
    fragment: ferrocene, carboplatin), kept whole minus water; `SALT`, when every fragment is
    a counter-ion / inorganic (NaCl, its hydrate, cisplatin), the whole input minus water."""
    from rdkit import Chem

    frags = Chem.GetMolFrags(mol, asMols=True)
    if len(frags) == 1:
        return mol, PARENT
    kinds = [_fragment_kind(f) for f in frags]
    non_water = [f for f in frags if Chem.MolToSmiles(f) != "O"]
    if any(k != "inorganic" for k in kinds) and mol.HasSubstructMatch(_compound_metal()):
        return (_combine(non_water), METAL) if len(non_water) > 1 else (non_water[0], PARENT)
    for wanted in ("organic", "counterion"):
        keep = [f for f, k in zip(frags, kinds) if k == wanted]
        if len(keep) == 1:
            return keep[0], PARENT
        if keep:
            parent = _largest(keep)
            _refuse_mixed_isomers(parent, keep)
            return _without_mixed_stereo(parent, keep), PARENT
    if not non_water:
        return frags[0], PARENT  # only water
    return _combine(non_water), SALT if len(non_water) > 1 else PARENT


class MixtureOfIsomers(ValueError):
    """The input is a mixture of constitutional isomers: no fragment is the parent."""


def _refuse_mixed_isomers(parent, frags: Sequence) -> None:
    """`MixtureOfIsomers` when another fragment has the parent's formula but another
    structure: a mixture of isomers ('Cc1ccc(O)cc1.Cc1cccc(O)c1.Cc1ccccc1O', cresol, as TDC and
    Tox21 write technical mixtures; regioisomer pairs in HIV). The size rule cannot choose
    between equal fragments: it took the one whose SMILES sorts first and claimed the mixture
    was that pure isomer. "Another structure" is another InChI skeleton (the first block of
    the InChIKey), so tautomers, a zwitterion beside its neutral form and stereoisomers
    (`_without_mixed_stereo`'s) are one structure, not isomers."""
    from rdkit import Chem
    from rdkit.Chem.rdMolDescriptors import CalcMolFormula

    formula = CalcMolFormula(parent)
    same_formula = [
        f for f in frags if f.GetNumAtoms() == parent.GetNumAtoms() and CalcMolFormula(f) == formula
    ]
    if len(same_formula) < 2:
        return
    skeletons: dict[str, str] = {}
    for f in same_formula:
        key = Chem.MolToInchiKey(f)[:14]
        if not key:  # InChI could not be computed: do not guess
            return
        skeletons.setdefault(key, Chem.MolToSmiles(f, isomericSmiles=False))
    if len(skeletons) > 1 and _one_tautomer(same_formula):
        return  # keto / enol: InChI's mobile H moves H between heteroatoms only
    if len(skeletons) > 1:
        names = sorted(skeletons.values())
        shown = " and ".join(repr(s) for s in names[:3])
        more = f" (+{len(names) - 3} more)" if len(names) > 3 else ""
        raise MixtureOfIsomers(
            f"a mixture of {len(names)} isomers ({formula}: {shown}{more}); none of them is "
            "the compound: give the one isomer the row is about, or drop the row"
        )


def _one_tautomer(frags: Sequence) -> bool:
    """Whether `frags` are tautomers of one compound by RDKit's canonical tautomer: keto and
    enol ('CC(C)=O.C=C(C)O'), which InChI gives two skeletons (its mobile H covers pyridone /
    hydroxypyridine, an H moving between heteroatoms, not one moving to a carbon)."""
    from rdkit import Chem

    from helixforge.chem.standardize import _tool

    keys = set()
    for f in frags:
        try:
            keys.add(Chem.MolToInchiKey(_tool("tautomer").Canonicalize(f))[:14])
        except Exception:  # noqa: BLE001 - RDKit raises several types: do not guess
            return False
    return len(keys) == 1 and "" not in keys


def _without_mixed_stereo(parent, frags: Sequence):
    """`parent` without stereo when another fragment is a stereoisomer of it: a racemate or a
    mixture of isomers written fragment by fragment ('C[C@@H](N)C(=O)O.C[C@H](N)C(=O)O', as
    AqSolDB writes some) is the constitution, not the one isomer the size rule picked. When the
    isomers differ only at stereocentres, the double-bond geometry they share is kept (the
    racemate of an (E)-alkene stays (E))."""
    from rdkit import Chem

    flat = Chem.MolToSmiles(parent, isomericSmiles=False)
    isomeric = Chem.MolToSmiles(parent)
    isomers = [f for f in frags if Chem.MolToSmiles(f, isomericSmiles=False) == flat]
    if all(Chem.MolToSmiles(f) == isomeric for f in isomers):
        return parent
    if len({Chem.MolToSmiles(_without_centres(f)) for f in isomers}) == 1:
        # the isomers differ at stereocentres only
        return _without_centres(parent, _differing_centres(parent, isomers))
    out = Chem.Mol(parent)
    Chem.RemoveStereochemistry(out)
    return out


def _differing_centres(parent, isomers: Sequence) -> set[int] | None:
    """The atoms of `parent` whose configuration (CIP label) is not the same in every isomer,
    each isomer's atoms matched to the parent's as they differ least (a symmetric molecule
    has several matches); None (every centre) when an isomer does not match. Two epimers
    ('C[C@@H](O)[C@H](N)C(=O)O.C[C@@H](O)[C@@H](N)C(=O)O') differ at one centre and share
    the other, as 'C[C@@H](O)[C@H](N)C(=O)O |&1:3|' says: both give 'C[C@@H](O)C(N)C(=O)O'
    (every centre was cleared, so the two spellings of one mixture had two keys)."""
    from rdkit import Chem

    def labels(mol) -> list[str]:
        mol = Chem.Mol(mol)
        Chem.AssignStereochemistry(mol, cleanIt=True, force=True)
        return [a.GetProp("_CIPCode") if a.HasProp("_CIPCode") else "" for a in mol.GetAtoms()]

    mine = labels(parent)
    differ: set[int] = set()
    best = []
    for other in isomers:
        theirs = labels(other)
        matches = other.GetSubstructMatches(parent, useChirality=False, uniquify=False)
        if not matches:
            return None
        match, d = min(
            ((m, {i for i, j in enumerate(m) if mine[i] != theirs[j]}) for m in matches),
            key=lambda md: (len(md[1]), sorted(md[1])),
        )
        differ |= d
        best.append((other, match))
    # the centres kept must be the same molecule in every isomer (CIP labels can be missing,
    # e.g. on the pseudo-asymmetric centres of an inositol): else clear every centre
    kept = Chem.MolToSmiles(_without_centres(parent, differ))
    for other, match in best:
        if Chem.MolToSmiles(_without_centres(other, {match[i] for i in differ})) != kept:
            return None
    return differ


def _without_centres(mol, atoms: set[int] | None = None):
    """`mol` without the tetrahedral stereo tags of `atoms` (None: all; double-bond stereo
    kept)."""
    from rdkit import Chem

    out = Chem.Mol(mol)
    for atom in out.GetAtoms():
        if atoms is None or atom.GetIdx() in atoms:
            atom.SetChiralTag(Chem.ChiralType.CHI_UNSPECIFIED)
    Chem.AssignStereochemistry(out, cleanIt=True, force=True)
    return out


def _combine(frags: Sequence) -> object:
    from rdkit import Chem

    out = frags[0]
    for f in frags[1:]:
        out = Chem.CombineMols(out, f)
    Chem.SanitizeMol(out)  # ring info and property caches for what follows
    return out
