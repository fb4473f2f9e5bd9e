"""Compact novelty reference: a Bloom filter of a prior's canonical training SMILES.

    ref = NoveltyReference.build(canonical_smiles_iterable, n_items=1_584_663)
    ref.contains(["CCO", ...])           # bool array; False → certainly not in the training set
    ref.save("prior/novelty.safetensors"); NoveltyReference.load(...)

A Bloom filter answers "seen in training?" with no false negatives and a false-positive rate
chosen at build time (default 0.2 %: 1.6 M MOSES SMILES in 2.6 MB instead of ~80 MB of text).
A false positive makes a novel molecule count as known, so novelty computed with it is a
slight under-estimate (by at most the false-positive rate). Keys are RDKit canonical SMILES
(`Chem.MolToSmiles(mol)`) hashed with BLAKE2b; positions use double hashing.
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Iterable, Sequence

import numpy as np

from helixforge.core.errors import ConfigError, InputError


def _hashes(keys: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    h1 = np.empty(len(keys), dtype=np.uint64)
    h2 = np.empty(len(keys), dtype=np.uint64)
    for i, k in enumerate(keys):
        d = hashlib.blake2b(k.encode("utf-8"), digest_size=16).digest()
        h1[i] = int.from_bytes(d[:8], "little")
        h2[i] = int.from_bytes(d[8:], "little") | 1
    return h1, h2


def _sorted_metadata(data: bytes) -> bytes:
    """safetensors bytes with the header's metadata keys in sorted order. safetensors writes
    them in hash-map order, which changes from process to process, so one filter gave other
    bytes (and another manifest sha256) in every run. Reordering keys keeps the header's
    length, so the tensor offsets stay valid."""
    import json

    n = int.from_bytes(data[:8], "little")
    raw = data[8 : 8 + n]
    header = json.loads(raw)
    if "__metadata__" in header:
        header["__metadata__"] = dict(sorted(header["__metadata__"].items()))
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    if len(text) > n:  # another writer's spacing: leave the file as it was written
        return data
    return data[:8] + text.ljust(n, b" ") + data[8 + n :]


class NoveltyReference:
    """Bloom filter over canonical SMILES (bits packed in a uint8 array)."""

    def __init__(self, bits: np.ndarray, n_bits: int, n_hashes: int, n_items: int):
        self.bits, self.n_bits, self.n_hashes, self.n_items = bits, n_bits, n_hashes, n_items

    @classmethod
    def build(
        cls, keys: Iterable[str], n_items: int, fp_rate: float = 0.002, chunk: int = 100_000
    ) -> NoveltyReference:
        """Filter sized for `n_items` keys at `fp_rate` false positives, filled from `keys`."""
        from helixforge.chem.inputs import check_int, smiles_iter

        keys = smiles_iter(
            keys, "NoveltyReference.build", "keys", any_order=True
        )  # a stream stays unread
        n_items = max(1, check_int(n_items, "n_items", "NoveltyReference.build"))
        if not isinstance(fp_rate, int | float) or not 0 < fp_rate < 1:
            raise ConfigError(
                f"NoveltyReference.build: fp_rate must be a number in (0, 1), not {fp_rate!r}"
            )
        chunk = check_int(chunk, "chunk", "NoveltyReference.build", minimum=1)
        n_bits = int(math.ceil(-n_items * math.log(fp_rate) / math.log(2) ** 2))
        n_bits = (n_bits + 7) // 8 * 8
        n_hashes = max(1, round(n_bits / n_items * math.log(2)))
        flags = np.zeros(n_bits, dtype=bool)
        ref = cls(np.zeros(n_bits // 8, dtype=np.uint8), n_bits, n_hashes, 0)
        batch: list[str] = []
        count = 0

        def flush() -> None:
            flags[ref._positions(batch).ravel()] = True

        for k in keys:
            batch.append(k)
            count += 1
            if len(batch) >= chunk:
                flush()
                batch = []
        if batch:
            flush()
        ref.bits = np.packbits(flags)
        ref.n_items = count
        return ref

    def _positions(self, keys: Sequence[str]) -> np.ndarray:
        h1, h2 = _hashes(keys)
        i = np.arange(self.n_hashes, dtype=np.uint64)
        with np.errstate(over="ignore"):
            return (h1[:, None] + i[None, :] * h2[:, None]) % np.uint64(self.n_bits)

    def contains(self, keys: Sequence[str]) -> np.ndarray:
        """Boolean array: True where the key may be in the set (False: certainly not)."""
        from helixforge.chem.inputs import smiles_list

        keys = smiles_list(keys, "NoveltyReference.contains", "keys")
        if not keys:
            return np.zeros(0, dtype=bool)
        pos = self._positions(keys)
        byte, bit = pos // np.uint64(8), pos % np.uint64(8)
        hit = (self.bits[byte.astype(np.int64)] >> (np.uint8(7) - bit.astype(np.uint8))) & 1
        return hit.all(axis=1).astype(bool)

    @property
    def fp_rate(self) -> float:
        """Expected false-positive rate at the stored item count."""
        return (1 - math.exp(-self.n_hashes * self.n_items / self.n_bits)) ** self.n_hashes

    def save(self, path: str | os.PathLike) -> None:
        """Write the filter as safetensors; the same filter gives the same bytes in every
        process (see `_sorted_metadata`)."""
        from safetensors.numpy import save

        meta = {"n_bits": str(self.n_bits), "n_hashes": str(self.n_hashes),
                "n_items": str(self.n_items), "hash": "blake2b-128-double"}  # fmt: skip
        with open(path, "wb") as fh:
            fh.write(_sorted_metadata(save({"bits": self.bits}, metadata=meta)))

    @classmethod
    def load(cls, path: str | os.PathLike) -> NoveltyReference:
        from safetensors import safe_open

        try:
            with safe_open(str(path), framework="numpy") as f:
                meta = f.metadata() or {}
                bits = f.get_tensor("bits")
            return cls(bits, int(meta["n_bits"]), int(meta["n_hashes"]), int(meta["n_items"]))
        except Exception as exc:  # noqa: BLE001 - any damage is reported by file name
            raise InputError(f"{path}: novelty reference is damaged ({exc})") from None
