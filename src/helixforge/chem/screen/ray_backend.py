"""The Ray backend: the same per-chunk function as Ray tasks, on a local or a real cluster.

    run_ray(chunks, config, n_jobs=2, address=None, on_result=...)

The driver reads the library in chunks (as the local backend does) and submits
`pipeline.screen_chunk` for each as a Ray task, keeping at most 2 × the cluster's CPUs in
flight; each finished chunk comes back to the driver, which checkpoints it and merges its
top-K pool exactly as the local backend does — so both backends write the same hits.

The model runs travel with the job: their files are put once into Ray's object store and
each worker process unpacks them into a private temporary folder (checked against the
manifest sha256 as on any load), so workers need HelixForge and its dependencies installed
(the same versions as the driver) but not the model folders or a shared file system.
`address=None` starts a local cluster (`n_jobs` CPUs, no dashboard) unless one is already
initialised in this process; `address="auto"` or ``"ray://host:10001"`` joins a running one.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from helixforge.chem.screen.local import OnResult
from helixforge.chem.screen.pipeline import ChunkResult, ModelRef, ScreenConfig, screen_chunk
from helixforge.core.errors import ConfigError
from helixforge.core.tables import TableChunk

_UNPACKED: dict[str, tuple[ModelRef, ...]] = {}


def pack_models(config: ScreenConfig) -> dict[str, dict[str, bytes]]:
    """Every file of every model run, by model name and relative path."""
    bundle: dict[str, dict[str, bytes]] = {}
    for ref in config.models:
        root = Path(ref.path)
        bundle[ref.name] = {
            str(p.relative_to(root)): p.read_bytes()
            for p in sorted(root.rglob("*"))
            if p.is_file() and not p.name.startswith(".")
        }
    return bundle


def _unpacked(config: ScreenConfig, key: str, bundle: dict[str, dict[str, bytes]]) -> ScreenConfig:
    """The config with model paths pointing at this worker's unpacked copies."""
    if key not in _UNPACKED:
        root = Path(tempfile.mkdtemp(prefix="helixforge-screen-models-"))
        refs = []
        for ref in config.models:
            folder = root / ref.name
            for rel, data in bundle[ref.name].items():
                path = folder / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
            refs.append(ModelRef(ref.name, str(folder)))
        _UNPACKED[key] = tuple(refs)
    return replace(config, models=_UNPACKED[key])


def _screen_task(frame, errors, config: ScreenConfig, key: str, bundle) -> ChunkResult:
    return screen_chunk(frame, errors, _unpacked(config, key, bundle))


def _init(ray, address: str | None, n_jobs: int) -> bool:
    """Connect to `address` or start a local cluster; True when this call started Ray."""
    if ray.is_initialized():
        return False
    kwargs = {"include_dashboard": False, "log_to_driver": False, "ignore_reinit_error": True}
    if address:
        _check_reachable(address)
        try:
            ray.init(address=address, **kwargs)
        except Exception as exc:  # noqa: BLE001 - Ray raises several types; all mean "no cluster"
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            raise ConfigError(
                f"--address {address}: could not connect to a Ray cluster "
                f"({type(exc).__name__}: {first})",
                hint="use the address `ray start --head` printed (HOST:6379), 'auto' on a "
                "cluster node or ray://HOST:10001 from outside; `ray status` checks the cluster",
            ) from None
    else:
        ray.init(num_cpus=max(1, n_jobs), **kwargs)
    return True


def _check_reachable(address: str, timeout: float = 5.0) -> None:
    """A HOST:PORT (or ray://HOST:PORT) nobody listens on is a ConfigError before `ray.init`,
    which otherwise retries the connection for many minutes and ignores Ctrl-C."""
    import socket

    target = address.removeprefix("ray://")
    host, sep, port = target.rpartition(":")
    if not sep or not port.isdigit() or not host:
        return  # 'auto' or a form Ray resolves itself
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            return
    except OSError as exc:
        raise ConfigError(
            f"--address {address}: nothing answers at {host}:{port} ({exc.strerror or exc})",
            hint="use the address `ray start --head` printed (HOST:6379), 'auto' on a cluster "
            "node or ray://HOST:10001 from outside; `ray status` checks the cluster",
        ) from None


def run_ray(
    chunks: Iterable[tuple[int, TableChunk]],
    config: ScreenConfig,
    n_jobs: int,
    address: str | None,
    on_result: OnResult,
) -> int:
    """Screen every chunk on Ray; `on_result(index, chunk, result)` per finished chunk, in
    chunk order within each batch of finished tasks. Returns the cluster's CPU count."""
    try:
        import ray
    except ImportError as exc:
        raise ConfigError(
            "--backend ray needs Ray", hint="pip install 'helixforge[scale]'"
        ) from exc
    started = _init(ray, address, n_jobs)
    try:
        cpus = int(ray.cluster_resources().get("CPU", 1))
        key = "-".join(f"{r.name}:{_manifest_sha(r)}" for r in config.models)
        bundle = ray.put(pack_models(config))
        task = ray.remote(num_cpus=1)(_screen_task)
        window = max(2, 2 * cpus)
        pending: dict = {}
        for k, chunk in chunks:
            while len(pending) >= window:
                _collect(ray, pending, on_result)
            ref = task.remote(chunk.frame, chunk.errors, config, key, bundle)
            pending[ref] = (k, chunk)
        while pending:
            _collect(ray, pending, on_result)
        return cpus
    finally:
        if started:
            ray.shutdown()


def _collect(ray, pending: dict, on_result: OnResult) -> None:
    ready, _ = ray.wait(list(pending), num_returns=1)
    ready, _ = ray.wait(list(pending), num_returns=len(pending), timeout=0) if ready else ([], [])
    for ref in sorted(ready, key=lambda r: pending[r][0]):
        k, chunk = pending.pop(ref)
        try:
            result = ray.get(ref)
        except ray.exceptions.RayTaskError as exc:  # the worker's own error, not Ray's wrapper
            cause = getattr(exc, "cause", None)
            if isinstance(cause, Exception):
                raise cause from None
            raise
        on_result(k, chunk, result)


def _manifest_sha(ref: ModelRef) -> str:
    from helixforge.core.artifacts import sha256_file

    path = Path(ref.path) / "model" / "manifest.json"
    return sha256_file(path) if path.exists() else os.path.basename(ref.path)
