"""Registry of named public datasets (catalog/*.json, one file per domain).

Each entry records the source, licence, sha256, columns, task type, metric and official split.
`resolve(name)` finds a file in this order and never touches the network on its own:

1. the cache, ``$HELIX_CACHE`` (default ``~/.cache/helixforge/data``);
2. the mirror, ``$HELIX_DATA_MIRROR``, else a ``shared/data`` folder beside the checkout
   (``../shared/data`` seen from the repository root or the current directory);
3. otherwise a `DataUnavailableError` saying where to put the file, or to run
   ``helix data fetch NAME`` — the only command that downloads, and only when asked.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from helixforge.core.errors import ConfigError, DataUnavailableError, InputError, RowErrors


@dataclass(frozen=True)
class Dataset:
    name: str
    domain: str
    description: str
    files: dict[str, dict[str, str]]
    source: str = ""
    license: str = ""
    task: str = ""
    metric: str = ""
    split: str = ""
    targets: list[str] = field(default_factory=list)
    smiles_col: str | None = None
    id_col: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def parts(self) -> list[str]:
        return list(self.files)

    def url(self, part: str) -> str | None:
        """Raw download URL derived from 'owner/repo @ commit …, path P' sources, when possible."""
        m = re.match(r"\s*([\w.-]+/[\w.-]+) @ ([0-9a-f]{7,40}).*?path (\S+)", self.source)
        if not m or part not in self.files:
            return None
        owner_repo, commit, path = m.groups()
        if (
            len(self.files) > 1
        ):  # multi-part entries: the path names the first part; swap the file name
            path = path.rsplit("/", 1)[0] + "/" + Path(self.files[part]["path"]).name
        return f"https://raw.githubusercontent.com/{owner_repo}/{commit}/{path}"


_KNOWN_FIELDS = {f for f in Dataset.__dataclass_fields__} - {"extra"}


@cache
def _catalog() -> dict[str, Dataset]:
    out: dict[str, Dataset] = {}
    for item in resources.files("helixforge.datasets").joinpath("catalog").iterdir():
        if not item.name.endswith(".json"):
            continue
        for raw in json.loads(item.read_text(encoding="utf-8")):
            known = {k: v for k, v in raw.items() if k in _KNOWN_FIELDS}
            extra = {k: v for k, v in raw.items() if k not in _KNOWN_FIELDS}
            ds = Dataset(**known, extra=extra)
            out[ds.name] = ds
    return out


def list_datasets(domain: str | None = None) -> list[Dataset]:
    return [d for d in _catalog().values() if domain is None or d.domain == domain]


def get_dataset(name: str) -> Dataset:
    """A registered dataset by full name, or by its short form / another letter case when that
    names exactly one ('caco2_wang', 'TDC/Caco2_Wang' → 'tdc/caco2_wang'); else an `InputError`."""
    cat = _catalog()
    if name in cat:
        return cat[name]
    key = str(name).strip()
    if not key:
        raise InputError("the dataset name is empty", hint="run `helix data list` for the names")
    # Allow the short form ('caco2_wang' for 'tdc/caco2_wang') and any case, when unambiguous.
    for same in (str.__eq__, lambda a, b: a.lower() == b.lower()):
        hits = [d for n, d in cat.items() if same(n, key) or same(n.split("/", 1)[-1], key)]
        if len(hits) == 1:
            return hits[0]
    raise InputError(
        f"unknown dataset {name!r}",
        hint=("did you mean: " + ", ".join(close))
        if (close := _close_names(key, list(cat)))
        else "run `helix data list` to see the registry",
    )


def _close_names(key: str, names: list[str]) -> list[str]:
    """Registered names that contain `key`, then those whose short form (after the '/') is
    spelled like the key's ('tdc/caco2_wnag' or 'caco2_wnag' → 'tdc/caco2_wang')."""
    import difflib

    low = key.lower()
    close = [n for n in names if low in n.lower()]
    short: dict[str, list[str]] = {}
    for n in names:
        short.setdefault(n.lower().split("/", 1)[-1], []).append(n)
    for hit in difflib.get_close_matches(low.split("/", 1)[-1], list(short), n=8, cutoff=0.75):
        close += [n for n in short[hit] if n not in close]
    return close[:8]


def cache_root() -> Path:
    """The data cache (`core.io.data_cache_root`: $HELIX_CACHE, else $HELIX_CACHE_DIR/data)."""
    from helixforge.core.io import data_cache_root

    return data_cache_root()


def mirror_root() -> Path | None:
    """The local mirror of shared data, or None when there is none."""
    env = os.environ.get("HELIX_DATA_MIRROR")
    if env:
        return Path(env)
    repo_root = Path(__file__).resolve().parents[3]  # src/helixforge/datasets/registry.py → repo
    for candidate in (
        repo_root.parent / "shared" / "data",
        Path.cwd().parent / "shared" / "data",
        Path.cwd() / "shared" / "data",
    ):
        if candidate.is_dir():
            return candidate
    return None


@cache
def _verified(path: str, size: int, mtime: float, expected: str) -> bool:
    from helixforge.core.artifacts import sha256_file

    return sha256_file(path) == expected


def resolve(name: str, part: str | None = None, verify: bool = True) -> Path:
    """Local path of one file of a dataset (cache → mirror); raises if it is not on disk."""
    ds = get_dataset(name)
    part = part or ds.parts[0]
    if part not in ds.files:
        raise InputError(
            f"dataset {ds.name} has no part {part!r}", hint=f"parts: {', '.join(ds.parts)}"
        )
    rel = ds.files[part]["path"]
    candidates = [cache_root() / rel]
    mirror = mirror_root()
    if mirror is not None:
        candidates.append(mirror / rel)
    for path in candidates:
        if path.is_file():
            expected = ds.files[part].get("sha256")
            if verify and expected:
                st = path.stat()
                if not _verified(str(path), st.st_size, st.st_mtime, expected):
                    raise InputError(
                        f"{path}: checksum does not match the registry's sha256 for {ds.name} ({part})",
                        hint="the file was changed or is corrupt; restore it from the source",
                    )
            return path
    where = " or ".join(str(c) for c in candidates)
    raise DataUnavailableError(
        f"dataset {ds.name} ({part}) is not on this machine (looked in {where})",
        hint="set HELIX_DATA_MIRROR to a folder holding it, or run `helix data fetch "
        f"{ds.name}` on a machine with network access (HelixForge never downloads on its own)",
    )


def load_frame(name: str, part: str | None = None, *, errors: RowErrors | None = None):
    """Read one part of a dataset as a DataFrame (via `core.tables.read_table`); lines that
    cannot be read go to `errors` when given, else to ``df.attrs["skipped_lines"]``."""
    from helixforge.core.tables import read_table

    return read_table(resolve(name, part), errors=errors)


def fetch(
    name: str,
    out: str | os.PathLike | None = None,
    *,
    overwrite: bool = False,
    log: Callable[[str], None] | None = None,
    quiet: bool = True,
) -> list[Path]:
    """Download every part of a dataset into `out` (default: the cache) and check its sha256.

    Explicit and the only network access. Everything is checked before the first download:
    the output location, a URL for every part, and existing files — one that already has the
    registry's checksum is kept, a different one is refused unless `overwrite`. Each file is
    written beside its destination and renamed in only once its checksum matches.
    """
    from helixforge.core.artifacts import sha256_file
    from helixforge.core.io import check_output

    ds = get_dataset(name)
    root = cache_root() if out is None else Path(out)
    if root.exists() and not root.is_dir():
        raise ConfigError(
            f"--out {root} is a file, but dataset files are written into a directory",
            hint="give a directory path",
        )
    # (part, info, destination, URL to download, or a verified local copy to copy instead)
    plan: list[tuple[str, dict[str, str], Path, str | None, Path | None]] = []
    made: list[Path] = []  # folders this fetch creates (removed again if it fails)
    dests: list[Path] = []
    damaged: dict[str, str] = {}  # part → why its cache / mirror copy was not used
    for part, info in ds.files.items():
        dest = root / info["path"]
        dests.append(dest)
        # a checksum-verified copy in the cache or the mirror needs no network
        local = _local_copy(ds.name, part, dest, damaged)
        url = ds.url(part)
        if url is None and local is None:
            raise DataUnavailableError(
                f"no download URL is known for {ds.name} ({part})" + _damaged_note(damaged, part),
                hint=f"source: {ds.source}",
            )
        made += [d for d in (dest.parent, *dest.parent.parents) if not d.exists()]
        check_output(dest, overwrite=True, option="--out")  # location usable, parents made
        if dest.exists():
            if info.get("sha256") and sha256_file(dest) == info["sha256"]:
                if log:
                    log(f"{ds.name} ({part}): already present at {dest} (checksum matches)")
                continue
            if not overwrite:
                raise ConfigError(
                    f"{dest} already exists and is not the registry's {ds.name} ({part})",
                    hint="pass --overwrite to replace it, or choose another --out",
                )
        plan.append((part, info, dest, url, local))
    try:
        for part, info, dest, url, local in plan:
            if local is not None:
                _copy(local, dest)
                if log:
                    log(f"{ds.name} ({part}): copied from the local copy {local} → {dest}")
                continue
            if part in damaged and log:
                log(f"{ds.name} ({part}): {damaged[part]}; downloading it instead")
            try:
                _download(ds, part, info, dest, url, quiet=quiet)  # type: ignore[arg-type]
            except DataUnavailableError as exc:
                if part not in damaged:
                    raise
                raise DataUnavailableError(
                    exc.message + _damaged_note(damaged, part),
                    hint="restore that file from the source (or fetch on a machine with network "
                    "access and copy the file there); its sha256 must be the registry's",
                ) from exc
            if log:
                log(f"fetched {ds.name} ({part}) → {dest}")
    except BaseException:
        # a failed fetch (no network) leaves none of the empty folders it made for its files
        for d in sorted(set(made), key=lambda d: len(d.parts), reverse=True):
            if d.is_dir() and not any(d.iterdir()):
                d.rmdir()
        raise
    return dests


def _local_copy(
    name: str, part: str, dest: Path, damaged: dict[str, str] | None = None
) -> Path | None:
    """A checksum-verified file of `name` (`part`) in the cache or the mirror, other than
    `dest` itself; None when there is none. A copy whose checksum differs is noted in
    `damaged` (part → the reason), so an error can name it."""
    try:
        path = resolve(name, part, verify=True)
    except DataUnavailableError:  # not on this machine
        return None
    except InputError as exc:  # a damaged copy: not used, but said
        if damaged is not None:
            damaged[part] = exc.message
        return None
    return None if path.resolve() == dest.resolve() else path


def _damaged_note(damaged: dict[str, str], part: str) -> str:
    return f" (the local copy was not used: {damaged[part]})" if part in damaged else ""


def _copy(src: Path, dest: Path) -> None:
    """Copy `src` to `dest` atomically (a verified local copy instead of a download)."""
    import shutil

    from helixforge.core.tables import atomic_path

    with atomic_path(dest) as tmp:
        shutil.copyfile(src, tmp)


def _download(
    ds: Dataset, part: str, info: dict[str, str], dest: Path, url: str, *, quiet: bool
) -> None:
    import urllib.request

    from helixforge.core.artifacts import sha256_file
    from helixforge.core.progress import progress
    from helixforge.core.tables import atomic_path

    with atomic_path(dest) as tmp, progress(f"{ds.name} ({part})", quiet=quiet, unit="B") as step:

        def hook(blocks: int, block_size: int, total: int) -> None:
            step(block_size if blocks else 0)

        try:
            urllib.request.urlretrieve(url, tmp, reporthook=hook)  # noqa: S310 - explicit request
        except OSError as exc:  # URLError, HTTPError, timeouts
            raise DataUnavailableError(
                f"could not download {ds.name} ({part}) from {url}: {exc}",
                hint="check the network, or copy the file into HELIX_DATA_MIRROR by hand",
            ) from exc
        if info.get("sha256") and sha256_file(tmp) != info["sha256"]:
            raise InputError(
                f"{url}: the downloaded file's checksum does not match the registry",
                hint="the source changed or the download was damaged; nothing was written",
            )
