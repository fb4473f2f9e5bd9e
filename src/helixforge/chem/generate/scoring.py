"""The scoring function of a design run: components, transforms and their weighted mean.

    scorer = load_scoring("design.toml")        # every check done here, before any work
    table = scorer.score(["CCO", "c1ccccc1O"])  # DataFrame: smiles, score, <name>, <name>_raw

A molecule's total is the weighted geometric (default) or arithmetic mean of its component
scores, multiplied by the scores of its filter components (`filter = true`: required /
forbidden substructures by default). Invalid SMILES score 0. Each call featurizes the batch
once per component that needs features (a model run), so score many molecules at a time.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from helixforge.chem.generate.scoring_components import Component, build_component
from helixforge.chem.generate.scoring_config import DesignConfig, read_design_config
from helixforge.chem.inputs import smiles_list
from helixforge.chem.standardize import plain_mol
from helixforge.core.errors import ConfigError


def canonical_smiles(smiles: str) -> str | None:
    """RDKit canonical SMILES, or None for a string that does not parse (or has no atoms)."""
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    if not isinstance(smiles, str) or not smiles.strip():
        return None
    mol = plain_mol(smiles)  # 'C C' is not methane
    if mol is None or mol.GetNumAtoms() == 0:
        return None
    return Chem.MolToSmiles(mol)


class ScoringFunction:
    """Components built from a checked `DesignConfig`; `score` maps SMILES to a table."""

    def __init__(self, config: DesignConfig):
        self.config = config
        self.components: list[Component] = [build_component(c, config) for c in config.components]
        self.names = [c.cfg.name for c in self.components]

    @property
    def columns(self) -> list[str]:
        """Score columns in output order: total, then each component's score and raw value."""
        return ["score", *[x for n in self.names for x in (n, f"{n}_raw")]]

    def key(self) -> dict[str, Any]:
        """What fixes this scoring function's values: the config text and any model files."""
        extra = {}
        for c in self.components:
            extra.update({f"{c.cfg.name}:{k}": v for k, v in c.fingerprint_key().items()})
        return {"config_sha256": self.config.sha256, **extra}

    def score(self, smiles: Sequence[str]) -> pd.DataFrame:
        """One row per input: `smiles` (canonical, or the input when invalid), `valid`, `score`
        and every component's transformed score (`<name>`) and raw value (`<name>_raw`)."""
        from rdkit import Chem, RDLogger

        RDLogger.DisableLog("rdApp.*")
        smiles = smiles_list(smiles, "ScoringFunction.score")
        mols = [plain_mol(s) if isinstance(s, str) and s.strip() else None for s in smiles]
        ok = np.array([m is not None and m.GetNumAtoms() > 0 for m in mols], bool)
        idx = np.flatnonzero(ok)
        good_mols = [mols[i] for i in idx]
        canon = [Chem.MolToSmiles(m) for m in good_mols]
        shown = list(smiles)
        for j, i in enumerate(idx):
            shown[i] = canon[j]
        out: dict[str, Any] = {"smiles": shown, "valid": ok}
        n = len(smiles)
        num = np.zeros(n)
        den = 0.0
        logsum = np.zeros(n)
        filt = np.ones(n)
        geometric = self.config.aggregate == "geometric"
        for comp in self.components:
            raw = np.full(n, np.nan)
            if len(idx):
                raw[idx] = np.asarray(comp.raw(good_mols, canon), float)
            s = comp.cfg.transform(raw)
            s[~ok] = 0.0
            out[comp.cfg.name] = s
            out[f"{comp.cfg.name}_raw"] = raw
            if comp.cfg.filter:
                filt *= s
                continue
            w = comp.cfg.weight
            den += w
            if geometric:
                with np.errstate(divide="ignore"):
                    logsum += w * np.log(s)
            else:
                num += w * s
        total = np.exp(logsum / den) if geometric else num / den
        total = np.where(ok, total * filt, 0.0)
        frame = pd.DataFrame(out)
        frame.insert(2, "score", np.nan_to_num(total, nan=0.0))
        return frame


def load_scoring(config: str | os.PathLike | DesignConfig) -> ScoringFunction:
    """Read and check a design TOML file and build its scoring function (ConfigError naming
    the file and line on any mistake: keys, transforms, SMARTS, SMILES, model folders)."""
    if not isinstance(config, DesignConfig | str | os.PathLike):
        raise ConfigError(
            f"load_scoring: config must be a design TOML path or a DesignConfig, not "
            f"{type(config).__name__} {config!r}",
            hint="load_scoring('design.toml'); for TOML text use "
            "scoring_config.parse_design_text(text)",
        )
    if not isinstance(config, DesignConfig):
        config = read_design_config(config)
    return ScoringFunction(config)
