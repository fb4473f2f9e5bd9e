"""Scoring components: each turns a batch of RDKit molecules into one raw value per molecule.

    comp = build_component(cfg.components[0], cfg)    # checks SMARTS, SMILES, model folder
    raw = comp.raw(mols, smiles)                     # np.ndarray (n,), NaN where undefined

Components are built (and every reference, pattern and model checked) before an optimiser
starts; `raw` works on a whole batch at once (one featurization per batch for a model run,
one panel call for the ADMET endpoints).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from helixforge.chem.generate.scoring_config import ComponentConfig, DesignConfig, suggest
from helixforge.chem.standardize import parse_smiles, quiet_rdkit

FINGERPRINTS = ("ecfp4", "ecfp6", "fcfp4", "ecfp4_count", "ecfp6_count", "fcfp4_count", "ap")


def _descriptors() -> dict[str, Callable[[Any], float]]:
    from rdkit.Chem import Crippen, Descriptors, Lipinski, rdMolDescriptors

    return {
        "mw": Descriptors.MolWt,
        "logp": Crippen.MolLogP,
        "tpsa": rdMolDescriptors.CalcTPSA,
        "hbd": Lipinski.NumHDonors,
        "hba": Lipinski.NumHAcceptors,
        "rotb": rdMolDescriptors.CalcNumRotatableBonds,
        "rings": rdMolDescriptors.CalcNumRings,
        "aromatic_rings": rdMolDescriptors.CalcNumAromaticRings,
        "heavy_atoms": lambda m: m.GetNumHeavyAtoms(),
        "fraction_csp3": rdMolDescriptors.CalcFractionCSP3,
        "charge": lambda m: sum(a.GetFormalCharge() for a in m.GetAtoms()),
        "element_count": None,  # needs `element`
    }


PROPERTIES = (
    "mw",
    "logp",
    "tpsa",
    "hbd",
    "hba",
    "rotb",
    "rings",
    "aromatic_rings",
    "heavy_atoms",
    "fraction_csp3",
    "charge",
    "element_count",
)


class Component(ABC):
    """Base: a configured component; subclasses fill `raw`."""

    batch_featurizes = False

    def __init__(self, cfg: ComponentConfig, design: DesignConfig):
        self.cfg = cfg
        self.design = design

    def err(self, key: str | None, message: str, hint: str):
        path = ("component", self.cfg.index) + ((key,) if key else ())
        return self.design.error(path, f"component {self.cfg.name!r}: {message}", hint)

    @abstractmethod
    def raw(self, mols: Sequence[Any], smiles: Sequence[str]) -> np.ndarray:
        """The component's raw value per molecule (NaN where it cannot be computed)."""

    def fingerprint_key(self) -> dict[str, Any]:
        """What identifies this component's behaviour beyond the TOML text (a model's sha256)."""
        return {}

    def value_range(self) -> tuple[float, float, str] | None:
        """The raw values this component can give (low, high, what they are), where known."""
        return None


def _as_list(value: Any) -> list[str] | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return list(value)
    return None


class QEDComponent(Component):
    def raw(self, mols, smiles):
        return _drug_likeness(mols)["qed"]

    def value_range(self):
        return 0.0, 1.0, "QED"


class SAComponent(Component):
    def raw(self, mols, smiles):
        return _drug_likeness(mols)["sa_score"]

    def value_range(self):
        return 1.0, 10.0, "SA score"


def _drug_likeness(mols) -> dict[str, np.ndarray]:
    """QED and SA score (helixforge.chem.filters when present, else RDKit directly)."""
    try:
        from helixforge.chem.filters import drug_likeness
    except ImportError:  # pragma: no cover - filters ships with the package
        drug_likeness = None
    if drug_likeness is not None:
        df = drug_likeness(list(mols))
        return {"qed": df["qed"].to_numpy(float), "sa_score": df["sa_score"].to_numpy(float)}
    from rdkit.Chem import QED
    from rdkit.Contrib.SA_Score import sascorer

    return {
        "qed": np.array([QED.qed(m) for m in mols], float),
        "sa_score": np.array([sascorer.calculateScore(m) for m in mols], float),
    }


def fingerprint_function(kind: str) -> Callable[[Any], Any]:
    """ECFP/FCFP bit vectors (2048 bits), their count versions (unfolded, as GuacaMol's)
    or atom pairs (counts, max distance 10, as GuacaMol's AP)."""
    from rdkit.Chem import rdFingerprintGenerator as gen

    radius = 3 if kind.startswith("ecfp6") else 2
    if kind == "ap":
        g = gen.GetAtomPairGenerator(maxDistance=10)
        return g.GetSparseCountFingerprint
    inv = gen.GetMorganFeatureAtomInvGen() if kind.startswith("fcfp") else None
    g = gen.GetMorganGenerator(radius=radius, fpSize=2048, atomInvariantsGenerator=inv)
    return g.GetSparseCountFingerprint if kind.endswith("_count") else g.GetFingerprint


def check_similarity_reference(comp: ComponentConfig, design: DesignConfig) -> None:
    """Refuse a similarity component's reference SMILES that is not a real molecule, naming
    the file, line, component and key: an empty string, one with a dummy / wildcard atom
    (`*`, `[*]`, `[1*]`, R-group labels) or one that parses to no atoms. RDKit parses `*` as a
    molecule, so such a reference was accepted and scored every design against an attachment
    point instead of a compound. References that do not parse, and a `smiles` that is not a
    string or list of strings, are `SimilarityComponent`'s own checks."""
    from rdkit import Chem

    if comp.type != "similarity":
        return
    refs = comp.params.get("smiles")
    refs = [refs] if isinstance(refs, str) else refs
    if not isinstance(refs, list):
        return  # not a string or list: the component's own message says so
    quiet_rdkit()
    for i, ref in enumerate(refs):
        if not isinstance(ref, str):
            continue
        path = ("component", comp.index, "smiles")
        where = f"component {comp.name!r}: smiles"
        if len(refs) > 1:
            where += f" (reference {i + 1} of {len(refs)})"
        if not ref.strip():
            raise design.error(
                path,
                f"{where} is an empty string, not a molecule",
                'give the SMILES of a real compound, e.g. smiles = ["CCO"]',
            )
        mol = Chem.MolFromSmiles(ref)
        if mol is None:
            continue
        dummies = sum(1 for a in mol.GetAtoms() if a.GetAtomicNum() == 0)
        if dummies:
            raise design.error(
                path,
                f"{where} {ref!r} has {dummies} dummy / wildcard atom(s) ('*'): a pattern "
                "or attachment point, not a molecule to be similar to",
                "give a whole compound (replace '*' by the atom or group it stands for); "
                "to require a scaffold or pattern use a substructure component with smarts",
            )
        if mol.GetNumAtoms() == 0:
            raise design.error(
                path, f"{where} {ref!r} holds no atoms", "give the SMILES of a real compound"
            )


def check_similarity_references(cfg: DesignConfig) -> None:
    """`check_similarity_reference` for every similarity component of a design config (the
    check `ScoringFunction` / `load_scoring` apply as they build each component)."""
    for comp in cfg.components:
        check_similarity_reference(comp, cfg)


class SimilarityComponent(Component):
    def __init__(self, cfg, design):
        super().__init__(cfg, design)

        p = cfg.params
        refs = _as_list(p["smiles"])
        if refs is None:
            raise self.err(
                "smiles",
                "smiles must be a SMILES string or a list of them",
                'write smiles = ["CCO", ...]',
            )
        check_similarity_reference(cfg, design)  # '*', '' and atom-less references
        if p["fingerprint"] not in FINGERPRINTS:
            raise self.err(
                "fingerprint",
                f"unknown fingerprint {p['fingerprint']!r}",
                suggest(p["fingerprint"], FINGERPRINTS),
            )
        if p["aggregate"] not in ("max", "mean"):
            raise self.err(
                "aggregate", f"unknown aggregate {p['aggregate']!r}", "use 'max' or 'mean'"
            )
        self.fp = fingerprint_function(p["fingerprint"])
        self.refs = []
        quiet_rdkit()  # the reason is in our message; RDKit's own log line would only repeat it
        for s in refs:
            m, why = parse_smiles(s) if s.strip() else (None, "empty")
            if m is None:  # RDKit alone reads 'C C' as methane: parse_smiles refuses it
                raise self.err(
                    "smiles",
                    f"reference SMILES {s!r} does not parse ({why})",
                    "fix or remove that reference SMILES",
                )
            self.refs.append(self.fp(m))

    def value_range(self):
        return 0.0, 1.0, "Tanimoto similarity"

    def raw(self, mols, smiles):
        from rdkit import DataStructs

        sims = np.array(
            [DataStructs.BulkTanimotoSimilarity(self.fp(m), self.refs) for m in mols], float
        )
        if len(mols) == 0:
            return np.zeros(0)
        return sims.max(axis=1) if self.cfg.params["aggregate"] == "max" else sims.mean(axis=1)


class SubstructureComponent(Component):
    def __init__(self, cfg, design):
        super().__init__(cfg, design)
        from rdkit import Chem

        p = cfg.params
        pats = _as_list(p["smarts"])
        if pats is None:
            raise self.err(
                "smarts",
                "smarts must be a SMARTS string or a list of them",
                'write smarts = ["c1ccccc1", ...]',
            )
        if p["mode"] not in ("required", "forbidden"):
            raise self.err("mode", f"unknown mode {p['mode']!r}", "use 'required' or 'forbidden'")
        if p["match"] not in ("any", "all"):
            raise self.err("match", f"unknown match {p['match']!r}", "use 'any' or 'all'")
        self.patterns = []
        quiet_rdkit()
        for s in pats:
            # RDKit reads text after a space as a name: 'C(=O)O N' matched as 'C(=O)O'
            q = Chem.MolFromSmarts(s.strip()) if s.strip() and len(s.split()) == 1 else None
            if q is None:
                raise self.err(
                    "smarts",
                    f"SMARTS {s!r} does not parse",
                    "fix the pattern (check brackets, ring closures and atom symbols; no spaces inside)",
                )
            self.patterns.append(q)

    def value_range(self):
        return 0.0, 1.0, "substructure match (0 or 1)"

    def raw(self, mols, smiles):
        hits = np.array(
            [[m.HasSubstructMatch(q) for q in self.patterns] for m in mols], bool
        ).reshape(len(mols), -1)
        found = hits.all(axis=1) if self.cfg.params["match"] == "all" else hits.any(axis=1)
        wanted = found if self.cfg.params["mode"] == "required" else ~found
        return wanted.astype(float)


class PropertyComponent(Component):
    def __init__(self, cfg, design):
        super().__init__(cfg, design)

        name, element = cfg.params["property"], cfg.params["element"]
        table = _descriptors()
        if name not in table:
            raise self.err(
                "property", f"unknown property {name!r}", suggest(str(name), list(table))
            )
        if name == "element_count":
            if not _is_element(element):
                raise self.err(
                    "element",
                    f"element_count needs element = one of {', '.join(ELEMENTS)} (got {element!r})",
                    'add element = "F"',
                )
            self.fn = lambda m: sum(1 for a in m.GetAtoms() if a.GetSymbol() == element)
        else:
            if element is not None:
                raise self.err(
                    "element",
                    'element is only used with property = "element_count"',
                    "remove element",
                )
            self.fn = table[name]

    def value_range(self):
        # hard bounds only (a count is never negative, a fraction at most 1): a window that
        # lies outside them scores every molecule alike (hbd with step high = -1)
        name = self.cfg.params["property"]
        if name == "fraction_csp3":
            return 0.0, 1.0, "fraction_csp3"
        if name in ("mw", "tpsa"):
            return 0.0, 10_000.0, name
        if name in ("hbd", "hba", "rotb", "rings", "aromatic_rings", "heavy_atoms"):
            return 0.0, 500.0, f"{name} (a count)"
        if name == "element_count":
            return 0.0, 500.0, f"element_count of {self.cfg.params['element']} (a count)"
        return None

    def raw(self, mols, smiles):
        return np.array([float(self.fn(m)) for m in mols], float)


ELEMENTS = ("B", "C", "N", "O", "F", "Si", "P", "S", "Cl", "Se", "Br", "I")


def _is_element(symbol: Any) -> bool:
    return isinstance(symbol, str) and symbol in ELEMENTS


class ModelComponent(Component):
    """A HelixForge chem run directory (chem.predict.Predictor); one column of its output."""

    batch_featurizes = True

    def __init__(self, cfg, design):
        super().__init__(cfg, design)
        from helixforge.core.errors import HelixError

        path = cfg.params["path"]
        if not isinstance(path, str) or not path:
            raise self.err(
                "path",
                "path must be the run directory of `helix chem train`",
                'write path = "runs/my_model"',
            )
        p = Path(path)
        if not p.is_absolute():
            p = (design.path.parent / p) if not p.exists() else p
        if p.exists() and not (p / "config.json").is_file():  # a prior, an empty folder …
            from helixforge.core.artifacts import identify_artifact

            found = identify_artifact(p)
            if found.kind not in ("unknown", "damaged"):
                raise self.err(
                    "path",
                    f"{path} is {found.what}, not "
                    + ("the run directory itself" if found.run else "a `helix chem train` run"),
                    f"use it with {found.use}"
                    if found.use and found.kind != "part"
                    else f"give the run directory {found.run}"
                    if found.run
                    else "give the run directory written by helix chem train",
                )
        if p.is_dir() and not (p / "config.json").is_file():  # exists, holds no run
            raise self.err(
                "path",
                f"{path} is a directory but not a `helix chem train` run (no config.json in {p})",
                "give the run directory written by helix chem train",
            )
        if not (p / "config.json").is_file():
            raise self.err(
                "path",
                f"model directory {path} not found (no config.json in {p})",
                "give the run directory written by helix chem train (relative paths are read from the working directory or the TOML file's folder)",
            )
        try:
            from helixforge.chem.predict import Predictor

            self.predictor = Predictor(p, device="cpu")
        except HelixError as exc:
            raise self.err(
                "path",
                f"model directory {path} cannot be loaded ({exc.message})",
                exc.hint or "retrain or restore the run directory",
            ) from None
        self.path = p
        probe, _ = self._frame(["CCO"])
        # a multiclass target's probabilities are T_prob_<class>, one per class
        columns = [c for c in probe.columns if c.endswith(("_pred", "_prob")) or "_prob_" in c]
        column = cfg.params["column"]
        if column is None:
            # a binary classifier's probability, else (as chem screen) the last class's
            # probability of the first multiclass target, else a regression prediction; a
            # multiclass T_pred (a class label) was taken and scored as a number
            probs = [c for c in columns if c.endswith("_prob")]
            multi = [c for c in columns if "_prob_" in c]
            first = [c for c in multi if c.split("_prob_")[0] == multi[0].split("_prob_")[0]]
            column = (probs or first[-1:] or columns)[0]
        elif column not in probe.columns:
            raise self.err(
                "column", f"column {column!r} is not an output of {path}", suggest(column, columns)
            )
        numeric = [c for c in probe.columns if pd.api.types.is_numeric_dtype(probe[c])]
        if column not in numeric:
            # a conformal set ('0|1') or a text class label: a ValueError out of the first
            # scoring batch, after the prior was loaded and the run folder written
            raise self.err(
                "column",
                f"column {column!r} of {path} holds text ({probe[column].iloc[0]!r}), not a number",
                "score a numeric column: " + ", ".join(numeric),
            )
        self.column = column
        cfg.params["column"] = column
        if column.endswith("_pred") and self._task_type() == "multiclass":
            probs = [c for c in columns if c.startswith(column.removesuffix("_pred") + "_prob_")]
            raise self.err(
                "column",
                f"column {column!r} of {path} is a multiclass model's predicted class (a "
                "label, not a score)",
                "score the probability of the class you want: " + ", ".join(probs),
            )
        self._require_transform(path)

    def _task_type(self) -> str | None:
        """The task type of the target whose column is scored (None when not found)."""
        conf = self.predictor.config
        targets, types = conf.get("targets") or [], conf.get("task_types") or []
        for target, task in zip(targets, types, strict=False):
            if self.column in (f"{target}_pred", f"{target}_prob") or self.column.startswith(
                f"{target}_prob_"
            ):
                return str(task)
        return None

    def _require_transform(self, path: str) -> None:
        """A regression prediction (pIC50, logS, …) with transform = "none" was clipped to
        [0, 1]: every molecule predicted above 1 scored 1 and below 0 scored 0."""
        if self.cfg.transform.name == "none" and self.column.endswith("_pred"):
            if self._task_type() == "regression":
                raise self.err(
                    "transform",
                    f"column {self.column!r} of {path} is a regression prediction, not a "
                    'score in [0, 1]: transform = "none" clips it to 0 or 1',
                    'add transform = { type = "sigmoid", low = ..., high = ... } (or '
                    "reverse_sigmoid, double_sigmoid, step, maximise, minimise)",
                )

    def value_range(self):
        if self.column.endswith("_prob") or "_prob_" in self.column:
            return 0.0, 1.0, f"{self.column} (a classifier's probability)"
        if self.column.endswith("_pred") and self._task_type() == "binary":
            return 0.0, 1.0, f"{self.column} (a classifier's 0/1 class)"
        return None

    def _frame(self, smiles: Sequence[str]):
        """Prediction columns of the molecules the run's standardizer accepts (one parse and
        one featurization for the batch), and their positions in `smiles`."""
        from helixforge.chem.table import parse_molecules

        pr = self.predictor
        results, X, _ = parse_molecules(list(smiles), pr.spec, pr.options, 1, scaffolds=False)
        ok = [i for i, (c, _) in enumerate(results) if c is not None]
        frame = pr.predict_frame([results[i][0] for i in ok], features=X) if ok else None
        return frame, ok

    def predict_column(self, smiles: Sequence[str]) -> np.ndarray:
        """The chosen column for each SMILES (NaN where the run's standardizer rejects it)."""
        frame, ok = self._frame(smiles)
        out = np.full(len(smiles), np.nan)
        if ok:
            out[ok] = frame[self.column].to_numpy(float)
        return out

    def raw(self, mols, smiles):
        return self.predict_column(smiles)

    def fingerprint_key(self):
        from helixforge.core.artifacts import sha256_file

        files = sorted(q for q in self.path.rglob("*") if q.is_file() and q.name != "report.html")
        return {
            "model": {
                str(q.relative_to(self.path)): sha256_file(q)
                for q in files
                if q.suffix in (".json", ".txt", ".safetensors")
            }
        }


class ADMETComponent(Component):
    """One endpoint (or physicochemical property) of the shipped ADMET panel
    (helixforge.chem.admet.ADMETPanel, only that endpoint's model loaded)."""

    def __init__(self, cfg, design):
        super().__init__(cfg, design)
        from helixforge.core.errors import HelixError

        try:
            from helixforge.chem.admet import ENDPOINT_NAMES, PROPERTY_NAMES, ADMETPanel
        except ImportError:
            raise self.err(
                "type",
                "the ADMET panel is not available in this installation",
                "install HelixForge with its ADMET weights, or use a 'model' component",
            ) from None
        names = [*ENDPOINT_NAMES, *PROPERTY_NAMES]
        endpoint = str(cfg.params["endpoint"]).removeprefix("admet_")
        if endpoint not in names:
            raise self.err(
                "endpoint", f"unknown ADMET endpoint {endpoint!r}", suggest(endpoint, names)
            )
        try:
            self.panel = ADMETPanel(endpoints=[endpoint], percentiles=False, domain=False)
        except HelixError as exc:
            raise self.err("endpoint", exc.message, exc.hint or "choose another endpoint") from None
        self.column = f"admet_{endpoint}"
        self._require_transform(endpoint)

    def _require_transform(self, endpoint: str) -> None:
        """A regression endpoint or a property other than QED (mg/kg, %, Da, counts) is not a
        [0, 1] score: without a transform it was clipped to 1.0 (or 0.0) for nearly every
        molecule, a constant that steers nothing."""
        from helixforge.chem.admet import ENDPOINTS
        from helixforge.chem.admet.physchem import PROPERTIES

        if self.cfg.transform.name != "none":
            return
        card = next((e for e in ENDPOINTS if e.name == endpoint), None)
        if card is not None and card.task_type == "binary":
            return  # a probability
        unit = card.unit if card is not None else dict((p[0], p[2]) for p in PROPERTIES)[endpoint]
        if unit == "0–1":
            return  # QED
        raise self.err(
            "endpoint",
            f"ADMET endpoint {endpoint!r} gives values in {unit}, not a score in [0, 1]: it "
            "needs a transform",
            'add transform = { type = "sigmoid", low = ..., high = ... } (or reverse_sigmoid, '
            "double_sigmoid, step, maximise, minimise)",
        )

    def value_range(self):
        from helixforge.chem.admet import ENDPOINTS

        endpoint = self.column.removeprefix("admet_")
        card = next((e for e in ENDPOINTS if e.name == endpoint), None)
        if card is not None and card.task_type == "binary":
            return 0.0, 1.0, f"{self.column} (a probability)"
        return None

    def raw(self, mols, smiles):
        return self.panel.predict_smiles(list(smiles))[self.column].to_numpy(float)


COMPONENTS: dict[str, type[Component]] = {
    "model": ModelComponent,
    "admet": ADMETComponent,
    "qed": QEDComponent,
    "sa": SAComponent,
    "similarity": SimilarityComponent,
    "substructure": SubstructureComponent,
    "property": PropertyComponent,
}


def build_component(cfg: ComponentConfig, design: DesignConfig) -> Component:
    """The component for one `[[component]]` table, its references checked."""
    comp = COMPONENTS[cfg.type](cfg, design)
    check_transform_spread(comp)
    return comp


def check_transform_spread(comp: Component) -> None:
    """Refuse a transform that gives every raw value the component can take the same score
    (a pIC50 window of 5–8 on a classifier's probability, sigmoid 0.2–0.6 on the SA score):
    the component then tells no molecules apart, and under the geometric mean a score of
    ≈0 makes every total ≈0, so the run steers nowhere without saying why."""
    known = comp.value_range()
    if known is None:
        return
    lo, hi, what = known
    t = comp.cfg.transform
    inside = [v for v in t.params.values() if lo <= v <= hi]  # a step edge between grid points
    scores = t(np.concatenate([np.linspace(lo, hi, 1001), inside]))
    if scores.max() - scores.min() >= 0.01:
        return
    window = ", ".join(f"{k} = {v:g}" for k, v in t.params.items()) or "no parameters"
    raise comp.err(
        "transform",
        f"the {t.name!r} transform ({window}) gives every {what} value from {lo:g} to {hi:g} "
        f"the same score (≈{scores.mean():.3g}): this component cannot tell molecules apart",
        f"set the transform's window inside {lo:g}–{hi:g}, or check that the component "
        "scores the value you meant",
    )
