"""Run and model directories: config, metrics, versions, checksums, model cards.

A run directory holds everything needed to understand and reuse a result:

    config.json      the resolved options (what was asked + what `auto` chose)
    versions.json    versions of the key libraries and the data checksum
    metrics.json     evaluation numbers
    timings.json     when it was made and how long its steps took: the one file that differs
                     between two runs of the same command and seed (see docs/reliability.md)
    card.md          a model card (data, split, metrics, intended use, limits)
    report.html      plots, see `helixforge.core.report`
    model/ …         weights in the ecosystem's format (safetensors, LightGBM text, save_pretrained)
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import platform
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from helixforge.core.errors import InputError
from helixforge.core.tables import write_text

TIMING_FILE = "timings.json"  # the one run file allowed to differ between identical runs

KEY_LIBRARIES = (
    "helixforge",
    "numpy",
    "pandas",
    "scikit-learn",
    "torch",
    "rdkit",
    "lightgbm",
    "transformers",
    "tokenizers",
    "peft",
)


def _jsonable(obj: Any) -> Any:
    import numpy as np

    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    return obj


def save_json(obj: Any, path: str | os.PathLike) -> Path:
    """Write JSON atomically; NaN/inf become null, numpy scalars and paths become plain values."""
    return write_text(json.dumps(_jsonable(obj), indent=2, sort_keys=False) + "\n", path)


def load_json(path: str | os.PathLike) -> Any:
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: not found", hint="is this a HelixForge run or model directory?")
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(
            f"{p}: corrupt or truncated JSON ({exc})",
            hint="re-create the run or model directory; its JSON files are written by HelixForge",
        ) from None


def sha256_file(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def library_versions(names: tuple[str, ...] = KEY_LIBRARIES) -> dict[str, str]:
    out = {"python": sys.version.split()[0], "platform": platform.platform()}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


class RunDir:
    """A run directory: `RunDir(path).save_config(cfg)`, `.save_metrics(m)`, `.path / 'model'`."""

    def __init__(self, path: str | os.PathLike, create: bool = True):
        self.path = Path(path)
        if create:
            self.path.mkdir(parents=True, exist_ok=True)
        elif not self.path.is_dir():
            raise InputError(
                f"{self.path}: run directory not found",
                hint="pass the --out directory of a finished training run",
            )

    def __truediv__(self, name: str) -> Path:
        return self.path / name

    def save_config(self, config: dict[str, Any]) -> Path:
        return save_json(config, self.path / "config.json")

    def load_config(self) -> dict[str, Any]:
        return load_json(self.path / "config.json")

    def save_metrics(self, metrics: dict[str, Any]) -> Path:
        return save_json(metrics, self.path / "metrics.json")

    def load_metrics(self) -> dict[str, Any]:
        return load_json(self.path / "metrics.json")

    def save_versions(self, data_files: list[str | os.PathLike] | None = None) -> Path:
        """versions.json (library versions, input sha256s); the creation time goes to timings.json."""
        info: dict[str, Any] = {"libraries": library_versions()}
        if data_files:
            info["data"] = {str(p): sha256_file(p) for p in data_files if Path(p).is_file()}
        self.save_timing(created=datetime.now(UTC).isoformat(timespec="seconds"))
        return save_json(info, self.path / "versions.json")

    def save_timing(self, **fields: Any) -> Path:
        """Merge wall-clock facts (creation time, seconds per step) into timings.json.

        They live apart so that every other file of a run is the same bytes for the same
        command and seed; timings.json is the one that differs between two runs.
        """
        path = self.path / TIMING_FILE
        timing = load_json(path) if path.exists() else {}
        timing.update({k: round(v, 3) if isinstance(v, float) else v for k, v in fields.items()})
        return save_json(timing, path)

    def write_card(self, title: str, sections: dict[str, str]) -> Path:
        """A Markdown model card: one `## heading` per entry of `sections`."""
        lines = [f"# {title}", ""]
        for head, body in sections.items():
            lines += [f"## {head}", "", body.strip(), ""]
        return write_text("\n".join(lines), self.path / "card.md")


# ---------------------------------------------------------------- what a path given as a model is
# Every kind of directory HelixForge writes, recognised by its files, with the verbs that use it;
# so a loader handed the wrong thing says what it was given ("runs/x: a dna run (`helix
# dna train`), not a chem run → use it with `helix dna predict`") instead of naming a
# file it did not find. Data only: core imports no domain.
RUN_KINDS: dict[str, tuple[str, str]] = {
    # the `domain` a supervised run's config.json records → (what it is, the verbs that use it)
    "chem": (
        "a chem run (`helix chem train`)",
        "`helix chem predict`, `chem evaluate` or `chem screen --model`",
    ),
    "dna": (
        "a dna run (`helix dna train`)",
        "`helix dna predict`, `dna evaluate`, `dna interpret`, `dna design` or "
        "`dna variants score --model`",
    ),
    "lm": ("an lm run (`helix lm finetune`)", "`helix lm predict`"),
    "crispr": (
        "a crispr run (`helix crispr train-ontarget`)",
        "`helix crispr score-ontarget --model` or `crispr design --ontarget-model`",
    ),
}
_LM_CHECKPOINT = (
    "a language-model checkpoint (`helix lm pretrain` or a save_pretrained folder)",
    "`helix lm embed`, `lm score` or `lm finetune`, or as --model lm:PATH of a train verb",
)
_ANNOTATOR = (
    "a gene annotation model (`helix dna annotate train`)",
    "`helix dna annotate predict`",
)
_PRIOR = (
    "a chem generative prior (`helix chem train-prior` / `finetune-prior`)",
    "`helix chem generate --model`, `chem design --prior` or `chem finetune-prior --model`",
)
_INDEX = ("an off-target index (`helix crispr index`)", "`helix crispr offtargets --index`")


@dataclass(frozen=True)
class ArtifactKind:
    """What a path is: `kind` (missing, file, empty, run, lm, annotator, prior, index, part,
    damaged, unknown), `what` (words for a message) and `use` (the verbs that take it)."""

    kind: str
    what: str
    use: str | None = None
    domain: str | None = None
    run: Path | None = None  # for a run's model/ or member folder: the run directory


def _json_dict(path: Path) -> dict[str, Any] | None:
    """A JSON object from `path`; None when absent, unreadable or not an object."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return raw if isinstance(raw, dict) else None


def identify_artifact(path: str | os.PathLike) -> ArtifactKind:
    """Recognise a HelixForge run / model / prior / index directory (or a file, an empty or
    unknown directory) from the files in it; never raises."""
    p = Path(path)
    try:
        if not p.exists():
            return ArtifactKind("missing", "not found")
        if not p.is_dir():
            return ArtifactKind("file", "a file")
        if not any(p.iterdir()):
            return ArtifactKind("empty", "an empty directory")
    except OSError as exc:
        return ArtifactKind("missing", f"cannot be read ({exc.strerror or exc})")
    if (p / "index.json").is_file():
        return ArtifactKind("index", *_INDEX)
    for d in (p, p / "prior"):
        man = _json_dict(d / "manifest.json")
        if man and man.get("format") == "helixforge-prior":
            return ArtifactKind("prior", *_PRIOR)
    for d in (p, p / "model"):
        fmt = str((_json_dict(d / "config.json") or {}).get("format", ""))
        if fmt.startswith("helixforge.dna.GeneAnnotator"):
            return ArtifactKind("annotator", *_ANNOTATOR)
    cfg = _json_dict(p / "config.json")
    if cfg is not None and "targets" in cfg and "task_types" in cfg:
        domain = cfg.get("domain")
        what, use = RUN_KINDS.get(
            str(domain), ("a supervised model run (its config.json names no known domain)", None)
        )
        return ArtifactKind("run", what, use, domain if domain in RUN_KINDS else None)
    # a run's model/ folder or one of its member_<i>/ folders: describe the run above it
    for up, part in ((p.parent, "model/ folder"), (p.parent.parent, "model member folder")):
        marker = "manifest.json" if part == "model/ folder" else "helix_model.json"
        if (p / marker).is_file() and (up / "config.json").is_file() and up != p:
            run = identify_artifact(up)
            if run.kind == "run":
                return ArtifactKind(
                    "part", f"the {part} of {up}, {run.what}", run.use, run.domain, up
                )
    if (p / "helixforge_lm.json").is_file() or (cfg is not None and "model_type" in cfg):
        return ArtifactKind("lm", *_LM_CHECKPOINT)
    if (p / "config.json").is_file() and cfg is None:
        return ArtifactKind(
            "damaged", "a directory whose config.json is damaged (not a JSON object)"
        )
    return ArtifactKind(
        "unknown", "a directory without the files HelixForge writes (config.json, manifest.json)"
    )


def wrong_artifact(
    path: str | os.PathLike, expected: str, hint: str, found: ArtifactKind | None = None
) -> InputError:
    """The error for a path that is not what a verb needs: it names what the path is and the
    verbs that use it (or `hint` when it is nothing HelixForge knows). `found`: the path's
    `identify_artifact`, when the caller has it already."""
    found = found or identify_artifact(path)
    if found.kind == "missing":
        return InputError(f"{path}: {found.what}", hint=hint)
    if found.kind == "part" and found.run is not None:
        return InputError(
            f"{path}: {found.what}; pass the run directory, not a folder inside it",
            hint=f"use {found.run} with {found.use}" if found.use else f"pass {found.run}",
        )
    use = f"use it with {found.use}" if found.use else hint
    return InputError(f"{path}: {found.what}, not {expected}", hint=use)


_FOREIGN_KINDS = {"file", "empty", "run", "part", "lm", "annotator", "prior", "index"}


def refuse_foreign(
    path: str | os.PathLike,
    expected: str,
    hint: str,
    *,
    allow: set[str] | frozenset[str] = frozenset(),
    domain: str | None = None,
) -> None:
    """For a loader that did not find its own files in `path`: raise `wrong_artifact` when
    `path` is something else HelixForge recognises (a run of another domain, a checkpoint, a
    prior, an empty directory, a file …). `allow`: kinds the loader itself reads; a run (or a
    run's folder) of `domain` is allowed too ("*": a run of any domain). Returns when `path`
    is nothing recognised, so the loader can name the file it missed."""
    found = identify_artifact(path)
    if found.kind in allow or found.kind not in _FOREIGN_KINDS:
        return
    if found.kind in ("run", "part") and (domain == "*" or found.domain in (None, domain)):
        return
    raise wrong_artifact(path, expected, hint, found)
