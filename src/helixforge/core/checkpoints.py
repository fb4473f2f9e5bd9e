"""Step checkpoints: directories written beside their final path and swapped in atomically.

    save_checkpoint(run / "checkpoint", model=model, optimizer=opt, state={"step": 200, ...})
    state = load_checkpoint(run / "checkpoint", model=model, optimizer=opt, device=dev)
    check_resume_key(state["resume_key"], current_key, where=str(run))

A checkpoint is written to `.NAME.new/`, every file fsynced, then moved in with
`core.io.replace_dir` (old renamed aside, new renamed in, old removed): a kill at any point
leaves the previous or the new checkpoint whole, and `load_checkpoint` first undoes a swap a
kill interrupted (`core.io.recover_dir`). Weights are safetensors (or the caller's
save_pretrained), the optimizer state is read back with `torch.load(weights_only=True)`.

Resume keys carry the installed HelixForge version (`versioned_key`, the one place it is
added): `save_checkpoint` stamps a state's "resume_key", `core.supervised`'s resume stages and
the chunked jobs (predict, screen) stamp theirs, and `check_resume_key` stamps the current key
it compares with — so an unfinished run is never continued by another version (its outputs
would mix two versions' results), and a key written before versions were recorded is refused.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from helixforge.core.errors import ConfigError, InputError


def save_checkpoint(
    path: str | os.PathLike,
    *,
    model,
    optimizer=None,
    state: dict[str, Any],
    write_model: Callable[[Path], None] | None = None,
) -> Path:
    """Write a checkpoint directory (weights, optimizer, state.json) beside `path`, fsync it and
    swap it in with `core.io.replace_dir`: a kill at any moment leaves the previous or the new
    checkpoint whole. `write_model(dir)` overrides the weights format (default safetensors)."""
    import torch
    from safetensors.torch import save_model

    from helixforge.core.io import fsync_path, replace_dir

    if isinstance(state.get("resume_key"), dict):
        state = {**state, "resume_key": versioned_key(state["resume_key"])}
    final = Path(path)
    new = final.with_name(f".{final.name}.new")
    if new.exists():
        shutil.rmtree(new)
    new.mkdir(parents=True)
    if write_model:
        write_model(new)
    else:
        save_model(model, str(new / "model.safetensors"))
    if optimizer is not None:
        torch.save(optimizer.state_dict(), new / "optimizer.pt")
    (new / "state.json").write_text(json.dumps(state), encoding="utf-8")
    for f in new.iterdir():
        fsync_path(f)
    fsync_path(new)
    return replace_dir(new, final)


def load_checkpoint(
    path: str | os.PathLike,
    *,
    model,
    optimizer=None,
    device="cpu",
    read_model: Callable[[Path], None] | None = None,
) -> dict[str, Any]:
    """Restore weights and optimizer from `save_checkpoint`'s directory; returns its state.
    A missing or damaged file is an InputError naming it (torch.load only with weights_only)."""
    import torch

    from helixforge.core.io import recover_dir

    d = Path(path)
    recover_dir(d)
    hint = f"remove {d} to start over"
    try:
        state = json.loads((d / "state.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"{d / 'state.json'}: missing or damaged ({exc})", hint=hint) from None
    try:
        if read_model:
            read_model(d)
        else:
            from safetensors.torch import load_model

            load_model(model, str(d / "model.safetensors"), device=str(device))
        if optimizer is not None:
            optimizer.load_state_dict(
                torch.load(d / "optimizer.pt", map_location=device, weights_only=True)
            )
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - any damage in the files is reported by name
        raise InputError(f"{d}: checkpoint files are damaged ({exc})", hint=hint) from None
    return state


def _changes(saved: dict[str, Any], current: dict[str, Any], prefix: str = "") -> list[str]:
    """'key: was X, now Y' for each difference; nested dicts (a run's files and their
    digests) name only the entries that differ, and digests are shortened."""

    def short(v: Any) -> str:
        if isinstance(v, str) and len(v) >= 40 and all(c in "0123456789abcdef" for c in v):
            return repr(v[:12] + "…")  # a sha256: enough to tell two apart
        if isinstance(v, dict):  # one side only (a component added): name it, not its digests
            names = ", ".join(map(str, list(v)[:3])) + (", …" if len(v) > 3 else "")
            return f"{len(v)} entries ({names})"
        text = repr(v)
        return text if len(text) <= 60 else text[:57] + "…"

    out = []
    for k in sorted(set(saved) | set(current), key=str):
        was, now = saved.get(k), current.get(k)
        if was == now:
            continue
        if isinstance(was, dict) and isinstance(now, dict):
            out += _changes(was, now, f"{prefix}{k}.")
        else:
            out.append(f"{prefix}{k}: was {short(was)}, now {short(now)}")
    return out


VERSION_FIELD = "helixforge_version"


def versioned_key(key: dict[str, Any]) -> dict[str, Any]:
    """`key` with the installed HelixForge version under `VERSION_FIELD`: every resume key is
    stored and compared this way (see the module doc)."""
    from helixforge import __version__

    return {**key, VERSION_FIELD: __version__}


def check_resume_key(saved: dict[str, Any], current: dict[str, Any], where: str) -> None:
    """A resumed job must have the inputs and options it started with, and the HelixForge
    version (`versioned_key`); name what changed."""
    current = versioned_key(current)
    was, now = saved.get(VERSION_FIELD), current[VERSION_FIELD]
    if was != now:
        made = f"helixforge {was}" if was else "an earlier helixforge (no version recorded)"
        others = _changes({**saved, VERSION_FIELD: now}, current)
        raise ConfigError(
            f"{where}: cannot resume, the unfinished run was made by {made} and this is "
            f"helixforge {now}; continuing it would mix the outputs of two versions"
            + (f" (it also had other inputs or options: {'; '.join(others)})" if others else ""),
            hint="run again without --resume (or with --overwrite) to start over with this "
            f"version{f', or finish it with helixforge {was}' if was else ''}",
        )
    changed = _changes(saved, current)
    if changed:
        raise ConfigError(
            f"{where}: cannot resume, the run was started with other inputs or options ("
            + "; ".join(changed)
            + ")",
            hint="resume with the original options, or pass --overwrite to start over",
        )
