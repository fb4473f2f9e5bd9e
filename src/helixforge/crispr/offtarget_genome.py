"""Which genome an off-target index belongs to: recorded at build time, checked at use.

`genome_identity` records path, size, mtime and sha256 in index.json; `check_genome` refuses an
index built for another genome. The sha256 runs at ~1.6 GB/s (a human genome in ~2 s), and only
when the file's path, size or mtime differ from the recorded ones. A file whose bytes differ but
whose sequences are the same (gzip vs plain, line width, header descriptions) is accepted when
the recorded file is still there to compare with.
"""

from __future__ import annotations

import os
from pathlib import Path

from helixforge.core.errors import InputError


def genome_identity(genome) -> dict:
    """Path, size, mtime and sha256 of a genome file (what index.json records)."""
    if isinstance(genome, str | os.PathLike):
        from helixforge.core.artifacts import sha256_file

        p = Path(genome)
        st = p.stat()
        return {"path": str(p.resolve()), "name": p.name, "bytes": st.st_size,
                "mtime_ns": st.st_mtime_ns, "sha256": sha256_file(p)}  # fmt: skip
    return {"path": None, "name": "<in-memory sequences>"}


def check_genome(meta: dict, genome, index_path: Path | str | None) -> None:
    """Refuse an index built for another genome than `genome` (a FASTA path).

    Fast path: the same file (path, size, mtime) as at build time; otherwise the sha256 of the
    file is compared (seconds for a human genome). In-memory genomes are compared by contig
    names and lengths."""
    if genome is None:
        return
    rec = meta.get("genome", {})
    where = index_path or "the off-target index"
    if not isinstance(genome, str | os.PathLike):
        from helixforge.crispr.targets import open_genome

        g = open_genome(genome)
        if list(g.lengths.items()) != list(zip(meta["contigs"], meta["lengths"])):
            raise InputError(
                f"{where} was built for another genome ({rec.get('name')}): its contigs and "
                "lengths differ from the sequences given",
                hint="rebuild the index for this genome with `helix crispr index`",
            )
        return
    p = Path(genome)
    if not p.is_file():
        raise InputError(f"{p}: genome FASTA not found", hint="check the path")
    st = p.stat()
    if (rec.get("path") == str(p.resolve()) and rec.get("bytes") == st.st_size
            and rec.get("mtime_ns") == st.st_mtime_ns):  # fmt: skip
        return
    if rec.get("sha256") is None:
        raise InputError(
            f"{where} does not record which genome it was built from; it cannot be checked "
            f"against {p}",
            hint=f"rebuild it: helix crispr index {p} --out {where} --overwrite",
        )
    from helixforge.core.artifacts import sha256_file

    if sha256_file(p) != rec["sha256"] and not _same_sequences(meta, p):
        raise InputError(
            f"{where} was built for genome {rec.get('path') or rec.get('name')} (sha256 "
            f"{rec['sha256'][:12]}…), not for {p} (its content differs)",
            hint=f"rebuild the index: helix crispr index {p} --out NEW_INDEX, or pass the "
            "genome the index was built from",
        )


def _same_sequences(meta: dict, genome: Path) -> bool:
    """Whether `genome` holds the sequences the index was built from although its file differs
    (gzip vs plain, another line width, other header descriptions): same contig names and
    lengths as the index, and the same names and bases (case kept: soft-masking) as the
    genome file the index records, when that file is still there unchanged."""
    import hashlib

    from helixforge.core.artifacts import sha256_file
    from helixforge.crispr.targets import iter_contigs, open_genome

    rec = meta.get("genome", {})
    built = Path(rec.get("path") or "")
    if not rec.get("path") or not built.is_file() or built.resolve() == genome.resolve():
        return False
    try:
        given = open_genome(genome)
    except InputError:
        return False
    if list(given.lengths.items()) != list(zip(meta["contigs"], meta["lengths"])):
        return False
    if sha256_file(built) != rec.get("sha256"):
        return False  # the recorded file changed since: nothing left to compare with

    def digest(path: Path) -> str:
        h = hashlib.sha256()
        for name, seq in iter_contigs(path):
            h.update(f">{name}\n".encode())
            h.update(seq.encode("ascii", "replace"))
        return h.hexdigest()

    return digest(genome) == digest(built)
