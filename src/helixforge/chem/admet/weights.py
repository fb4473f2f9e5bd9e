"""The ADMET panel's shipped weights: where they live, how they are written and checked.

    weights/
      manifest.json            sha256 + size of every file below (checked before use)
      cards.json               trained numbers per endpoint (test metric, sizes, trees)
      reference.json + .npy    approved-drug reference values (percentiles), AD fingerprints
      <endpoint>/model.txt.gz  LightGBM text model, gzipped (no pickles)
      <endpoint>/meta.json     task type, log-target flag, trees, FeatureSpec, stacked endpoints

A file whose sha256 differs from the manifest is refused with an error naming it.
"""

from __future__ import annotations

import gzip
import json
import os
from functools import cache
from pathlib import Path
from typing import Any

from helixforge.chem.admet.features import BLOCK as CRIPPEN_BLOCK
from helixforge.chem.featurize import FeatureSpec
from helixforge.core.errors import InputError

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
MANIFEST = "manifest.json"
MODEL_FILE = "model.txt.gz"
META_FILE = "meta.json"

# The one FeatureSpec every endpoint model shares (features computed once per molecule).
# ECFP4 + FCFP4 + atom-pair counts + the lite descriptor set + Crippen logP/MR with their VSA
# bins: the speed / accuracy choice is measured in docs/admet.md (validation split only).
PANEL_FEATURES = FeatureSpec(
    morgan_bits=2048,
    fcfp_bits=1024,
    atom_pair_bits=1024,
    erg=False,
    descriptors="lite",
    extra=(CRIPPEN_BLOCK,),
)
# chem.models.gbm defaults (lightly tuned on TDC validation splits) with one thread.
PANEL_PARAMS: dict[str, Any] = {"n_estimators": 1000, "learning_rate": 0.03, "num_threads": 1}


def write_endpoint(model, name: str, root: Path = WEIGHTS_DIR, stack: tuple[str, ...] = ()) -> Path:
    """Save a fitted single-task `GBMModel` — or a list of them, the same recipe with different
    seeds, saved as ONE model whose raw score is their mean (`average_models`) — as
    `<root>/<name>/model.txt.gz` + meta.json. `stack`: the endpoints whose predicted values the
    model reads after its FeatureSpec's columns (meta["stack"], see `ADMETPanel`)."""
    import tempfile

    from helixforge.core.io import atomic_file, open_output

    models = list(model) if isinstance(model, (list, tuple)) else [model]
    first = models[0]
    if any(m.log_targets[0] != first.log_targets[0] for m in models):
        raise ValueError(f"{name}: bagged models disagree on the log10 target")
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    texts = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, m in enumerate(models):
            path = Path(tmp) / f"m{i}.txt"
            m.boosters[0].save_model(str(path), num_iteration=m.best_iterations[0])
            texts.append(path.read_text(encoding="utf-8"))
    text = texts[0] if len(texts) == 1 else average_models(texts)
    with atomic_file(folder / MODEL_FILE) as tmp_path:
        with open_output(tmp_path, gz=True, text=False, compresslevel=9) as gz:
            gz.write(text.encode("utf-8"))
    meta = {
        "endpoint": name,
        "model": "gbm",
        "task_type": first.task_types[0],
        "log_target": bool(first.log_targets[0]),
        "trees": int(sum(m.best_iterations[0] for m in models)),
        "features": first.features.to_dict(),
        "params": first.params,
    }
    if stack:
        meta["stack"] = list(stack)
    if len(models) > 1:
        meta["bagged"] = {
            "models": len(models),
            "trees_each": [int(m.best_iterations[0]) for m in models],
            "how": "mean of the raw scores (logits / values) of models trained with seeds "
            "0..k-1 on the same split",
        }
    with atomic_file(folder / META_FILE) as tmp_path:
        Path(tmp_path).write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")
    return folder


def average_models(texts: list[str]) -> str:
    """LightGBM text models (same features and objective, one tree per iteration) → one text
    model whose raw score is the mean of theirs: every tree of every model, leaf values divided
    by the number of models (the first tree of each already holds its model's initial score).
    The `tree_sizes` index and the feature-importance section are left out (LightGBM reads the
    trees sequentially without them)."""
    k = len(texts)
    if k == 0:
        raise ValueError("average_models: no model given")
    heads, trees = [], []
    for text in texts:
        head, _, rest = text.partition("\nTree=")
        body, _, _ = ("Tree=" + rest).partition("end of trees")
        if "num_tree_per_iteration=1\n" not in head:
            raise ValueError("average_models: only one tree per iteration is supported")
        heads.append([ln for ln in head.splitlines() if not ln.startswith("tree_sizes=")])
        for block in body.split("\n\n\n"):
            if block.strip():
                trees.append(block.strip("\n"))
    if any(h != heads[0] for h in heads[1:]):
        raise ValueError("average_models: the models' headers (features, objective) differ")
    out = []
    for i, block in enumerate(trees):
        lines = []
        for ln in block.splitlines():
            if ln.startswith("Tree="):
                ln = f"Tree={i}"
            elif ln.startswith("leaf_value="):
                vals = [float(v) / k for v in ln[len("leaf_value=") :].split()]
                ln = "leaf_value=" + " ".join(repr(v) for v in vals)
            elif ln.startswith(("is_linear=", "leaf_const=", "leaf_coeff=")) and ln not in (
                "is_linear=0",
            ):
                raise ValueError("average_models: linear trees are not supported")
            lines.append(ln)
        out.append("\n".join(lines))
    parameters = texts[0].partition("end of trees")[2]
    parameters = parameters[parameters.find("parameters:") :] if "parameters:" in parameters else ""
    return "\n".join(heads[0]) + "\n\n" + "\n\n\n".join(out) + "\n\n\nend of trees\n\n" + parameters


def write_manifest(root: Path = WEIGHTS_DIR) -> Path:
    """manifest.json: sha256 and size of every weight file (run after all files are final)."""
    from helixforge.core.artifacts import sha256_file

    files = sorted(
        p for p in root.rglob("*") if p.is_file() and p.name != MANIFEST and p.name != ".gitkeep"
    )
    entries = {
        p.relative_to(root).as_posix(): {"sha256": sha256_file(p), "size": p.stat().st_size}
        for p in files
        if p.name != "training.json"
    }
    path = root / MANIFEST
    path.write_text(json.dumps(entries, indent=1, sort_keys=True) + "\n")
    read_manifest.cache_clear()  # a manifest read earlier in this process is stale now
    return path


@cache
def read_manifest(root: str) -> dict[str, dict[str, Any]]:
    path = Path(root) / MANIFEST
    if not path.is_file():
        raise InputError(
            f"{path}: the ADMET panel's weight manifest is missing",
            hint="reinstall helixforge (the weights ship inside the package)",
        )
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise InputError(f"{path}: damaged manifest ({exc})", hint="reinstall helixforge") from None


def checked_bytes(rel: str, root: str | os.PathLike = WEIGHTS_DIR) -> bytes:
    """The bytes of weight file `rel`, after checking size and sha256 against the manifest."""
    import hashlib

    root = Path(root)
    entry = read_manifest(str(root)).get(rel)
    path = root / rel
    if entry is None:
        raise InputError(
            f"{path}: not listed in the ADMET weight manifest", hint="reinstall helixforge"
        )
    if not path.is_file():
        raise InputError(f"{path}: ADMET weight file missing", hint="reinstall helixforge")
    data = path.read_bytes()
    if len(data) != entry["size"] or hashlib.sha256(data).hexdigest() != entry["sha256"]:
        raise InputError(
            f"{path}: ADMET weight file is corrupt (its sha256 does not match {MANIFEST})",
            hint="reinstall helixforge to restore the shipped weights",
        )
    return data


def checked_json(rel: str, root: str | os.PathLike = WEIGHTS_DIR) -> Any:
    return json.loads(checked_bytes(rel, root).decode("utf-8"))


def available_endpoints(root: str | os.PathLike = WEIGHTS_DIR) -> list[str]:
    """Endpoints with shipped weights (in manifest order)."""
    names = {k.split("/", 1)[0] for k in read_manifest(str(Path(root))) if k.endswith(MODEL_FILE)}
    return sorted(names)


def load_booster(name: str, root: str | os.PathLike = WEIGHTS_DIR):
    """(LightGBM Booster, meta dict) of endpoint `name`, integrity-checked."""
    from helixforge.core.imports import lightgbm

    lgb = lightgbm()
    meta = checked_json(f"{name}/{META_FILE}", root)
    raw = checked_bytes(f"{name}/{MODEL_FILE}", root)
    try:
        text = gzip.decompress(raw).decode("utf-8")
        booster = lgb.Booster(model_str=text)
    except (OSError, EOFError, UnicodeDecodeError, lgb.basic.LightGBMError) as exc:
        raise InputError(
            f"{Path(root) / name / MODEL_FILE}: not a readable LightGBM model ({exc})",
            hint="reinstall helixforge",
        ) from None
    return booster, meta


@cache
def trained_cards(root: str = str(WEIGHTS_DIR)) -> dict[str, dict[str, Any]]:
    """cards.json (trained numbers per endpoint); {} before the panel is trained."""
    if not (Path(root) / "cards.json").is_file():
        return {}
    return checked_json("cards.json", root)
