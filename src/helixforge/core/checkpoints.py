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


def _is_digest(v: Any) -> bool:
    return isinstance(v, str) and len(v) >= 40 and all(c in "0123456789abcdef" for c in v)


def _option_mismatch(
    saved: dict[str, Any],
    current: dict[str, Any],
    where: str,
    flags: dict[str, str],
    follows: dict[str, tuple[str, ...]],
    labels: dict[str, str],
    restart: str,
) -> ConfigError | None:
    """The refusal led by the options the user sets (`flags`) that differ, or None when none
    does. Keys that follow from a differing option (`follows`: the optimizer's own settings
    follow from --optimizer) are collapsed into one clause; other differences come last."""
    keys = [k for k in sorted(set(saved) | set(current), key=str) if saved.get(k) != current.get(k)]
    lead = [k for k in keys if k in flags]
    followers = {f for k in lead for f in follows.get(k, ()) if f in keys and f != k}
    lead = [k for k in lead if k not in followers]
    if not lead:
        return None

    def named(k: str) -> str:
        return flags.get(k) or labels.get(k, k)

    def changes(ks: list[str]) -> list[str]:
        return _changes(
            {labels.get(k, k): saved.get(k) for k in ks},
            {labels.get(k, k): current.get(k) for k in ks},
        )

    told: set[str] = set()  # followers of two differing options are told once

    def clause(k: str) -> str:  # what follows from k: named when few, else counted
        fs = [f for f in follows.get(k, ()) if f in followers and f not in told]
        told.update(fs)
        if not fs:
            return ""
        detail = changes(fs)
        if len(detail) <= 3:
            return f", with it {'; '.join(detail)}"
        counted = [
            f"{len(changes([f]))} {named(f)}"
            if isinstance(saved.get(f), dict) or isinstance(current.get(f), dict)
            else f"the {named(f)}"
            for f in fs
        ]
        listed = ", ".join(counted[:-1]) + " and " + counted[-1] if len(counted) > 1 else counted[0]
        return f" (and so {listed} differ)"

    def short(v: Any) -> str:
        return f"{v[:12]}…" if _is_digest(v) else repr(v)

    plain = [k for k in lead if not any(_is_digest(v) or v is None
                                        for v in (saved.get(k), current.get(k)))]  # fmt: skip
    parts, again = [], []
    if plain:
        was = " ".join(f"{flags[k]} {saved[k]}" for k in plain)
        now = " ".join(f"{flags[k]} {current[k]}" for k in plain)
        parts.append(
            f"the unfinished run used {was}, this run asks for {now}"
            + "".join(clause(k) for k in plain)
        )
        again.append(f"with {was}")
    for k in lead:
        if k in plain:
            continue
        was, now = saved.get(k), current.get(k)
        if was is None:
            text = f"the {flags[k]} is given now ({short(now)}) but was not when the run started"
            again.append(f"without the {flags[k]}")
        elif now is None:
            text = f"the {flags[k]} was given when the run started ({short(was)}) but is not now"
            again.append(f"with the {flags[k]} it started with")
        else:
            text = (f"the {flags[k]} differs from the one the run started with (sha256 "
                    f"{short(was)} → {short(now)})")  # fmt: skip
            again.append(f"with the {flags[k]} the run started with, as it was then")
        parts.append(text + clause(k))
    rest = changes([k for k in keys if k not in lead and k not in followers])
    if rest:
        parts.append("also: " + "; ".join(rest))
    return ConfigError(
        f"{where}: cannot resume: " + "; ".join(parts),
        hint=f"to continue the unfinished run, rerun {' and '.join(again)}; to start a new run with "
        f"these options, {restart}",
    )


def check_resume_key(
    saved: dict[str, Any],
    current: dict[str, Any],
    where: str,
    *,
    flags: dict[str, str] | None = None,
    follows: dict[str, tuple[str, ...]] | None = None,
    labels: dict[str, str] | None = None,
    restart: str = "pass --overwrite (it starts over)",
) -> None:
    """A resumed job must have the inputs and options it started with, and the HelixForge
    version (`versioned_key`); name what changed.

    With `flags` ({key: '--option'}, the keys a user sets), a refusal leads with those that
    differ and says which values continue the run: ``--optimizer ga, this run asks for
    --optimizer rl``, not every setting of both optimizers. `follows` ({key: keys}) names
    keys whose difference follows from `key`'s (collapsed into one clause when it differs);
    `labels` renames keys in the message (``options`` → ``ga``); `restart` says how to start
    a new run instead (the end of the hint). Without `flags` every difference is listed."""
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
    if changed and flags:
        error = _option_mismatch(saved, current, where, flags, follows or {}, labels or {},
                                 restart)  # fmt: skip
        if error is not None:
            raise error
    if changed:
        raise ConfigError(
            f"{where}: cannot resume, the run was started with other inputs or options ("
            + "; ".join(changed)
            + ")",
            hint="resume with the original options, or pass --overwrite to start over",
        )
