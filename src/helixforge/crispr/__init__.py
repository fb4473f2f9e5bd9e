"""CRISPR guide design: enzymes, guide enumeration, on-target efficiency, off-target search.

    from helixforge.crispr import design_guides, find_offtargets, build_index, get_enzyme
    res = design_guides("thrA", genome="ecoli.fna.gz", annotation="ecoli.gff.gz", top=10)

Modules: enzymes (PAMs, cut sites) · guides (targets, enumeration) · ontarget (efficiency
models) · offtarget (genome index and exact search) · scoring (CFD, MIT) · design (the
pipeline) · report (HTML). Names resolve lazily so importing the package stays cheap.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "Enzyme": "enzymes",
    "get_enzyme": "enzymes",
    "list_enzymes": "enzymes",
    "Target": "guides",
    "resolve_target": "guides",
    "enumerate_guides": "guides",
    "OfftargetIndex": "offtarget",
    "build_index": "offtarget",
    "find_offtargets": "offtarget",
    "brute_force_offtargets": "offtarget",
    "cfd_score": "scoring",
    "mit_score": "scoring",
    "design_guides": "design",
    "score_ontarget": "ontarget",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"helixforge.crispr.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'helixforge.crispr' has no attribute {name!r}")
