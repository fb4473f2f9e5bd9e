"""Reading model folders safely: config.json must parse and name its format; weights must
exist and match the sha256 recorded at save time. Every failure is an `InputError` naming the
file (never a JSON or safetensors traceback). Nothing in a model folder is executed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from helixforge.core.errors import InputError


def read_model_config(path: Path, fmt: str) -> dict[str, Any]:
    """A model folder's config.json as a dict (its `format` must be `fmt`); `InputError` otherwise."""
    import json

    if not path.exists():
        raise InputError(f"{path}: not found", hint="pass RUN/model or the run directory")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(
            f"{path}: is not valid JSON ({exc})", hint="the model folder is damaged"
        ) from None
    if not isinstance(raw, dict) or raw.pop("format", None) != fmt:
        raise InputError(
            f"{path.parent}: not a HelixForge DNA sequence model directory",
            hint="pass RUN/model or the run directory",
        )
    return raw


def check_weights(path: Path, digest: str | None) -> None:
    """Refuse missing weights, or weights whose sha256 differs from the one recorded at save."""
    from helixforge.core.artifacts import sha256_file

    if not path.is_file():
        raise InputError(f"{path}: model weights not found", hint="the model folder is incomplete")
    if digest and sha256_file(path) != digest:
        raise InputError(
            f"{path}: the weights do not match the checksum recorded at save time",
            hint="the file is truncated, corrupt or was replaced; retrain or restore it",
        )


def read_json(path: Path) -> Any:
    """Any JSON file of a run or model folder; unreadable JSON is an `InputError` naming it."""
    import json

    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: not found", hint="is this a HelixForge run directory?") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(
            f"{path}: is not valid JSON ({exc})", hint="the run folder is damaged"
        ) from None


def save_torch_model(
    path: str | Path, module: Any, config: dict[str, Any], history: list[dict[str, float]]
) -> Path:
    """model.safetensors, config.json (`config` + the weights' sha256) and history.json."""
    from helixforge.core.artifacts import save_json, sha256_file
    from helixforge.core.training import save_weights

    d = Path(path)
    d.mkdir(parents=True, exist_ok=True)
    save_weights(module, d / "model.safetensors")
    digest = sha256_file(d / "model.safetensors")
    save_json({**config, "weights_sha256": digest}, d / "config.json")
    save_json(list(history or []), d / "history.json")
    return d


def read_weights_config(d: Path, fmt: str) -> tuple[dict[str, Any], Path, list[Any]]:
    """(config without its format and digest, checked weights path, history) of a folder
    written by `save_torch_model`."""
    raw = read_model_config(d / "config.json", fmt)
    weights = d / "model.safetensors"
    check_weights(weights, raw.pop("weights_sha256", None))
    history = read_json(d / "history.json") if (d / "history.json").exists() else []
    return raw, weights, history if isinstance(history, list) else []
