"""A persistent, multi-process-safe store of molecule embeddings (one SQLite file, WAL mode).

    cache = EmbeddingCache()                      # $HELIX_CACHE_DIR/embeddings.sqlite
    found = cache.get("minimol_v1/…", ["CCO", "CCN"])   # {smiles: (vector or None, error or None)}
    cache.put("minimol_v1/…", {"CCO": vec}, errors={"[Xe]": "featurization failed: …"})

Rows are keyed by (model version, key). The key is the exact canonical SMILES string the model
reads (not an InChIKey: MiniMol's output depends on the atom order of its input, and distinct
SMILES can share an InChIKey, e.g. some tautomers). Failures are cached with their reason, so
a molecule that cannot be embedded is not retried on every run. Vectors are float32 bytes.

Concurrency: WAL journal (readers never block the writer), a 120 s busy timeout, and each
`put` is one `INSERT OR IGNORE` transaction, so several processes (training runs, `helix chem
embed` jobs) can fill and read the same file at once; the first value written for a key wins
and later writers keep it (same model version → same bytes anyway). Use a local disk: SQLite
locking is unreliable on network file systems.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

CACHE_FILE = "embeddings.sqlite"
_BUSY_TIMEOUT = 120.0  # seconds a writer waits for another
_LOOKUP_CHUNK = 500  # SQLite's default limit on host parameters is 999+


def cache_dir() -> Path:
    """`$HELIX_CACHE_DIR`, else the platform's user cache folder (`core.io.cache_root`)."""
    from helixforge.core.io import cache_root

    return cache_root()


class EmbeddingCache:
    """Embeddings by (model version, SMILES) in one SQLite file; safe across processes."""

    def __init__(self, path: str | os.PathLike | None = None):
        self.path = Path(path) if path is not None else cache_dir() / CACHE_FILE
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._connect() as con:
                con.execute(
                    "CREATE TABLE IF NOT EXISTS embeddings (model TEXT NOT NULL, key TEXT NOT "
                    "NULL, vec BLOB, error TEXT, PRIMARY KEY (model, key)) WITHOUT ROWID"
                )
        except (OSError, sqlite3.Error) as exc:
            # '/proc/nope: No such file or directory' named a path the user never typed
            from helixforge.core.errors import ConfigError
            from helixforge.core.io import CACHE_ENV

            raise ConfigError(
                f"the embedding cache {self.path} cannot be opened or created ({exc}); it is "
                f"in ${CACHE_ENV}"
                + (
                    f" (= {os.environ[CACHE_ENV]})"
                    if CACHE_ENV in os.environ
                    else ", unset: the user cache folder"
                ),
                hint=f"set {CACHE_ENV} to a folder you can write, or pass --no-cache "
                "(`helix chem embed`)",
            ) from None

    def _connect(self) -> _Closing:
        con = sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT, isolation_level=None)
        _use_wal(con)
        con.execute("PRAGMA synchronous=NORMAL")
        return _Closing(con)

    def get(
        self, model: str, keys: Iterable[str]
    ) -> dict[str, tuple[np.ndarray | None, str | None]]:
        """The cached (vector, None) or (None, error) of each key present."""
        from helixforge.chem.inputs import smiles_list

        keys = list(dict.fromkeys(smiles_list(keys, "EmbeddingCache.get", "keys", any_order=True)))
        out: dict[str, tuple[np.ndarray | None, str | None]] = {}
        with self._connect() as con:
            for i in range(0, len(keys), _LOOKUP_CHUNK):
                part = keys[i : i + _LOOKUP_CHUNK]
                marks = ",".join("?" * len(part))
                rows = con.execute(
                    f"SELECT key, vec, error FROM embeddings WHERE model = ? AND key IN ({marks})",
                    [model, *part],
                )
                for key, vec, error in rows:
                    arr = None if vec is None else np.frombuffer(vec, dtype=np.float32).copy()
                    out[key] = (arr, error)
        return out

    def put(
        self,
        model: str,
        vectors: dict[str, np.ndarray],
        errors: dict[str, str] | None = None,
    ) -> None:
        """Store vectors (float32) and failure reasons in one transaction; existing keys kept."""
        rows = [
            (model, k, np.ascontiguousarray(v, dtype=np.float32).tobytes(), None)
            for k, v in vectors.items()
        ]
        rows += [(model, k, None, str(e)) for k, e in (errors or {}).items()]
        if not rows:
            return
        with self._connect() as con:
            con.execute("BEGIN IMMEDIATE")
            try:
                con.executemany(
                    "INSERT OR IGNORE INTO embeddings (model, key, vec, error) VALUES (?, ?, ?, ?)",
                    rows,
                )
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise

    def count(self, model: str | None = None) -> int:
        """Rows stored (for one model version, or all)."""
        with self._connect() as con:
            if model is None:
                return int(con.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0])
            sql = "SELECT COUNT(*) FROM embeddings WHERE model = ?"
            return int(con.execute(sql, (model,)).fetchone()[0])

    def missing(self, model: str, keys: Sequence[str]) -> list[str]:
        """Keys with no cached row (vector or failure)."""
        from helixforge.chem.inputs import smiles_list

        keys = smiles_list(
            keys, "EmbeddingCache.missing", "keys", any_order=True
        )  # read twice below
        have = self.get(model, keys)
        return [k for k in dict.fromkeys(keys) if k not in have]


def _use_wal(con: sqlite3.Connection, wait: float = _BUSY_TIMEOUT) -> None:
    """Put the file in WAL mode (persistent: later connections find it set). Switching needs an
    exclusive lock, and while another process is creating the same new file SQLite answers
    "database is locked" at once, without its busy handler, so retry with backoff here."""
    deadline = time.monotonic() + wait
    delay = 0.005
    while True:
        try:
            if str(con.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                con.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.25)


class _Closing:
    """A connection used as a context manager that closes it (sqlite3's own only commits)."""

    def __init__(self, con: sqlite3.Connection):
        self.con = con

    def __enter__(self) -> sqlite3.Connection:
        return self.con

    def __exit__(self, *exc) -> None:
        self.con.close()
