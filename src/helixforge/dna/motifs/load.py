"""Loading motifs: bundled JASPAR releases (pyjaspar, offline) and matrix files (TRANSFAC,
JASPAR, MEME, …) read through Biopython.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Sequence
from pathlib import Path

from helixforge.core.errors import (
    ConfigError,
    EmptyInputError,
    InputError,
    NoUsableRowsError,
    RowErrors,
)
from helixforge.core.io import open_text
from helixforge.dna.motifs.matrices import Motif, biopython_motif_id, motif_from_biopython

DEFAULT_RELEASE = 2024


def jaspar_releases() -> list[int]:
    """JASPAR releases bundled with pyjaspar (offline)."""
    from pyjaspar import jaspar_releases as rel

    return sorted(int(k.replace("JASPAR", "")) for k in rel)


def load_jaspar(
    ids: Sequence[str] | None = None,
    collection: str | None = "CORE",
    tax_group: str | Sequence[str] | None = ("vertebrates",),
    release: int | str = DEFAULT_RELEASE,
    tf_name: str | Sequence[str] | None = None,
) -> list[Motif]:
    """JASPAR motifs from the SQLite releases bundled with pyjaspar (no network).

    `ids` (e.g. "MA0139.2", or "MA0139" for the latest version, or a TF name such as "CTCF"
    for its matrices in `collection`, as a motif file is filtered) takes precedence over the
    other filters; an id named twice is loaded once. Unknown ids raise `InputError` naming them.
    """
    import warnings

    from pyjaspar import jaspardb

    from helixforge.lm.inputs import as_names

    ids = as_names(ids, "ids")  # 'MA0139.2' is one id, not its characters
    rel = str(release)
    rel = rel if rel.upper().startswith("JASPAR") else f"JASPAR{rel}"
    available = jaspar_releases()
    if rel.upper() not in {f"JASPAR{r}" for r in available}:
        raise ConfigError(
            f"JASPAR release {release!r} is not bundled with pyjaspar",
            hint=f"choose one of {', '.join(map(str, available))}",
        )
    db = jaspardb(release=rel.upper())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if ids:
            out, missing = [], []
            for mid in ids:
                m = db.fetch_motif_by_id(str(mid).strip())
                found = [m] if m is not None else _by_tf_name(db, mid, collection)
                (out.extend(motif_from_biopython(f, rel) for f in found) if found
                 else missing.append(mid))  # fmt: skip
            if missing:
                raise InputError(
                    f"unknown JASPAR matrix id(s) in {rel}: {', '.join(map(str, missing))}",
                    hint="ids look like MA0139.2 (or MA0139 for the latest version), or are TF "
                    "names (CTCF); browse https://jaspar.elixir.no or pick another --release",
                )
            seen: set[str] = set()  # 'CTCF,MA0139.2' names one matrix twice: scanned once
            return [m for m in out if not (m.id in seen or seen.add(m.id))]
        taxa = (
            [tax_group] if isinstance(tax_group, str) else (list(tax_group) if tax_group else None)
        )
        rec = db.fetch_motifs(collection=collection, tax_group=taxa, tf_name=tf_name)
    motifs = [motif_from_biopython(m, rel) for m in rec]
    if not motifs:
        raise InputError(
            f"no JASPAR motifs in {rel} match collection={collection!r}, tax_group={tax_group!r}",
            hint="tax groups are e.g. vertebrates, insects, plants, fungi, nematodes, urochordates",
        )
    return motifs


def _by_tf_name(db, name: object, collection: str | None) -> list:
    """The matrices (latest versions) of the TF `name` in `collection`, in id order; none for
    a text shaped like a matrix id. '--ids CTCF' chose CTCF's motifs from a --motifs file but
    was 'unknown JASPAR matrix id' for the bundled JASPAR."""
    text = str(name).strip()
    if not text or re.fullmatch(r"[A-Za-z]{2}\d{4}(\.\d+)?", text):
        return []
    found = db.fetch_motifs(collection=collection, tf_name=text)
    return sorted(found, key=lambda m: m.matrix_id)


def read_motifs(
    path: str | os.PathLike, fmt: str | None = None, errors: RowErrors | None = None
) -> list[Motif]:
    """Read motif matrices from a TRANSFAC, JASPAR (.jaspar/.pfm), MEME or JASPAR-sites file (.gz ok).

    `fmt` is one of transfac, jaspar, pfm, meme, sites; by default it is guessed from the suffix
    and, failing that, from the content. A motif whose matrix cannot be used (no columns, a
    negative or non-numeric value) is an `InputError`, or with `errors` (a `RowErrors` of this
    file) a row there (the motif's line, its id, why) and the other motifs are read: one broken
    matrix in a file of hundreds does not stop a scan.
    """
    from Bio import motifs as bio_motifs

    from helixforge.lm.inputs import as_path

    p = as_path(path, "motif file")
    if not p.exists():
        raise InputError(f"{p}: motif file not found", hint="check the --motifs path")
    if fmt is None:
        name = p.name.lower().removesuffix(".gz")
        suffix = name.rsplit(".", 1)[-1] if "." in name else ""
        fmt = {
            "transfac": "transfac",
            "dat": "transfac",
            "jaspar": "jaspar",
            "pfm": "pfm",
            "meme": "meme",
        }.get(suffix)
        if fmt is None:
            with open_text(p) as fh:
                head = fh.read(4000)
            if head.lstrip().startswith("MEME version"):
                fmt = "meme"
            elif re.search(r"^(AC|ID|PO|P0)\s", head, re.M):
                fmt = "transfac"
            elif head.lstrip().startswith(">"):
                fmt = "jaspar"
            else:
                raise InputError(
                    f"{p}: unknown motif format",
                    hint="give the file a .transfac, .jaspar, .pfm or .meme suffix (.gz ok)",
                )
    fmt = fmt.lower()
    n_before = len(errors) if errors is not None else 0
    widths: list[int] = []  # MEME: each motif's declared w=
    try:
        with open_text(p) as fh:
            if fmt in ("transfac", "meme"):
                rec, widths = _parse_blocks(p, fh.read(), fmt, errors)
            elif fmt == "jaspar":
                rec = _parse_jaspar_records(p, fh.read(), errors)
            elif fmt in {"pfm", "sites"}:
                rec = bio_motifs.parse(fh, fmt if fmt != "pfm" else "pfm-four-columns")
                if fmt == "pfm" and not rec:
                    with open_text(p) as fh2:
                        rec = bio_motifs.parse(fh2, "pfm-four-rows")
            else:
                raise ConfigError(
                    f"unknown motif format {fmt!r}", hint="use transfac, jaspar, pfm or meme"
                )
    except (ValueError, KeyError, IndexError, AttributeError, TypeError, NameError) as exc:
        # NameError: Biopython's TRANSFAC parser meets a line it has no state for (binary
        # data, a CSV) and fails with UnboundLocalError: that was a traceback
        raise InputError(
            f"{p}: could not be read as {fmt.upper()} motifs: {exc}",
            hint="check that the file is a complete motif file of that format (TRANSFAC, JASPAR, "
            "PFM or MEME, as its suffix says)",
        ) from exc
    motifs, skipped = [], 0
    for k, m in enumerate(rec):
        try:
            if k < len(widths) and widths[k] is not None:
                _check_meme_width(p, m, widths[k])
            motifs.append(motif_from_biopython(m, p.name))
        except InputError as exc:
            if errors is None:
                raise
            skipped += 1
            mid = biopython_motif_id(m) or getattr(m, "name", None) or ""
            line = _motif_line(p, mid)
            why = exc.message.removeprefix(f"{p}: ").removeprefix(f"{p.name}: ")  # "motif 'X': …"
            errors.add(line, "matrix", mid, f"{why}; the motif is skipped")
    if not motifs:
        if errors is not None and len(errors) > n_before:
            skipped = len(errors) - n_before
            raise NoUsableRowsError(
                f"{p}: none of its {skipped} motifs has a usable matrix", hint=errors.summary(3)
            )
        raise EmptyInputError(f"{p}: no motifs found")
    seen: dict[str, int] = {}
    for i, m in enumerate(motifs, 1):  # hits, enrichment rows and errors are keyed by the id
        if m.id in seen:
            raise InputError(
                f"{p}: motif id {m.id!r} is used by motifs {seen[m.id]} and {i}; their hits "
                "could not be told apart",
                hint="give every motif its own id (MOTIF / ID / '>' line) in the file",
            )
        seen[m.id] = i
    return motifs


def _motif_blocks(text: str, fmt: str) -> tuple[str, list[tuple[int, str]]]:
    """(header, [(1-based line, text) of each motif]) of a TRANSFAC or MEME text. TRANSFAC: a
    record ends at its '//' line (no header); MEME: the lines before the first 'MOTIF' line are
    the header every motif is read with, and each motif runs to the next 'MOTIF' line."""
    lines = text.splitlines(keepends=True)
    blocks: list[tuple[int, str]] = []
    if fmt == "meme":
        starts = [i for i, t in enumerate(lines) if t.startswith("MOTIF")]
        if not starts:
            return text, []
        ends = [*starts[1:], len(lines)]
        return "".join(lines[: starts[0]]), [
            (i + 1, "".join(lines[i:j])) for i, j in zip(starts, ends)
        ]
    first = 0
    for i, t in enumerate(lines):
        if t.startswith("//"):
            blocks.append((first + 1, "".join(lines[first : i + 1])))
            first = i + 1
    if any(t.strip() for t in lines[first:]):  # a last record without its '//'
        blocks.append((first + 1, "".join(lines[first:])))
    # a record's line is its first line that is not blank or 'XX'
    out = []
    for start, block in blocks:
        offset = next(
            (k for k, t in enumerate(block.splitlines()) if t.strip() not in ("", "XX")), 0
        )
        out.append((start + offset, block))
    return "", out


def _block_id(block: str) -> str:
    """The id a TRANSFAC ('AC'/'ID' line) or MEME ('MOTIF id') block gives its motif."""
    m = re.search(r"^(?:MOTIF|AC|ID)\s+(\S+)", block, re.M)
    return m.group(1) if m else ""


def _parse_blocks(p: Path, text: str, fmt: str, errors: RowErrors | None) -> tuple[list, list]:
    """Bio.motifs motifs of a TRANSFAC or MEME `text`, and each one's declared MEME width (None
    when not known), parsed one motif at a time: a matrix Biopython cannot read (a value that
    is not a number) refused the whole file; it is an `InputError` naming its line, or with
    `errors` a row there and the others are read. When no motif at all can be parsed the file
    as a whole is not of that format (a CSV named .transfac): one error says so."""
    from Bio import motifs as bio_motifs

    header, blocks = _motif_blocks(text, fmt)
    if not blocks:  # no MOTIF line / no record: let Biopython say what it makes of it
        blocks = [(1, text)]
        header = ""
    parsed: list = []
    widths: list[int | None] = []
    failed: list[tuple[int, str, BaseException]] = []
    for line, block in blocks:
        try:
            if fmt == "meme":
                got = list(
                    bio_motifs.parse(io.StringIO(_complete_meme_header(header + block)), "minimal")
                )
                w = _meme_widths(block)
                widths += [*w, *[None] * (len(got) - len(w))][: len(got)]
            else:
                got = list(bio_motifs.parse(io.StringIO(block), "transfac", strict=False))
                widths += [None] * len(got)
            parsed += got
        except Exception as exc:  # noqa: BLE001 - Biopython raises ValueError, NameError, …
            failed.append((line, _block_id(block), exc))
    if failed and not parsed:
        line, mid, exc = failed[0]
        motif = f", line {line} (motif {mid!r})" if mid and len(blocks) > 1 else ""
        raise InputError(
            f"{p}: could not be read as {fmt.upper()} motifs{motif}: {exc}",
            hint="check that the file is a complete motif file of that format (TRANSFAC, "
            "JASPAR, PFM or MEME, as its suffix says)",
        )
    for line, mid, exc in failed:
        why = f"motif {mid!r} could not be read as {fmt.upper()}: {exc}"
        if errors is None:
            raise InputError(
                f"{p}, line {line}: {why}",
                hint="each matrix row holds four numbers (A C G T); fix or remove that motif",
            )
        errors.add(line, "matrix", mid, f"{why}; the motif is skipped")
    return parsed, widths


def _parse_jaspar_records(p: Path, text: str, errors: RowErrors | None) -> list:
    """Bio.motifs JASPAR motifs of `text`, parsed one '>' record at a time: a record Biopython
    cannot read (rows of different lengths raised a bare Exception: a traceback) is an
    `InputError` naming its line, or with `errors` a row there and the others are read."""
    from Bio import motifs as bio_motifs

    lines = text.splitlines(keepends=True)
    starts = [i for i, t in enumerate(lines) if t.startswith(">")] or [0]
    out = []
    for k, i in enumerate(starts):
        chunk = "".join(lines[i : starts[k + 1] if k + 1 < len(starts) else len(lines)])
        try:
            out += list(bio_motifs.parse(io.StringIO(chunk), "jaspar"))
        except Exception as exc:  # noqa: BLE001 - Biopython raises bare Exception here
            head = lines[i].strip()[:40] if lines else ""
            why = f"motif {head!r} could not be read: {exc}"
            if errors is None:
                raise InputError(
                    f"{p}, line {i + 1}: {why}",
                    hint="each JASPAR matrix is a '>ID NAME' line and four rows 'A [ … ]' to "
                    "'T [ … ]' holding the same number of values",
                ) from None
            errors.add(i + 1, "matrix", head.lstrip(">").split()[0] if head[1:].split() else "",
                       f"{why}; the motif is skipped")  # fmt: skip
    return out


def _motif_line(p: Path, motif_id: str) -> int | None:
    """1-based line of the first header line ('>', MOTIF, AC/ID) that names `motif_id`."""
    if not motif_id:
        return None
    word = re.compile(rf"^(?:>|MOTIF\s|AC\s|ID\s|NA\s).*?(?<![^\s>]){re.escape(motif_id)}(?!\S)")
    with open_text(p) as fh:
        for n, line in enumerate(fh, start=1):
            if word.match(line):
                return n
    return None


def _meme_widths(text: str) -> list[int]:
    """The 'w=' of each MEME motif, in file order."""
    return [int(w) for w in re.findall(r"letter-probability matrix:.*?\bw=\s*(\d+)", text)]


def _check_meme_width(p: Path, m, w: int) -> None:
    """An `InputError` when a MEME motif has fewer or more matrix rows than its 'w=' says
    (Biopython keeps the rows it could read: a short line shortened the motif unnoticed)."""
    if len(m) != w:
        raise InputError(
            f"{p}: motif {m.name or m.matrix_id!r} declares w= {w} but {len(m)} matrix "
            "row(s) of four numbers were read",
            hint="each matrix row holds four numbers (A C G T); check for short or broken lines",
        )


def _complete_meme_header(text: str) -> str:
    """A MEME text with the lines the format calls optional and Biopython requires: a DNA
    'ALPHABET= ACGT' line, and a uniform background (MEME's own default) when none is given."""
    lines = text.splitlines(keepends=True)
    after = next((i + 1 for i, t in enumerate(lines) if t.startswith("MEME version")), 0)
    # Biopython reads the header in order: the background goes after ALPHABET and strands
    after = max(
        [after] + [i + 1 for i, t in enumerate(lines) if t.startswith(("ALPHABET", "strands"))]
    )
    extra = []
    if not re.search(r"^ALPHABET", text, re.M):
        extra.append("ALPHABET= ACGT\n")
    if not re.search(r"^Background letter frequencies", text, re.M):
        extra.append("Background letter frequencies\nA 0.25 C 0.25 G 0.25 T 0.25\n")
    return "".join(lines[:after] + ["\n" + e for e in extra] + lines[after:])


def select_motifs(
    motifs: Sequence[Motif], ids: Sequence[str] | None = None, tax_group: str | None = None
) -> list[Motif]:
    """Keep motifs whose id (with or without version) or name is in `ids` (in any case), and/or
    of one tax group."""
    from helixforge.lm.inputs import as_names

    out = list(motifs)
    ids = as_names(ids, "ids")  # 'MA0139.2' is one id, not its characters
    if tax_group:
        out = [m for m in out if m.tax_group.lower() == tax_group.lower()]
    if ids:
        # in any case, as the bundled JASPAR matches them ('ma0139.2' was not found in a file)
        want = {i.strip().casefold(): i.strip() for i in ids if i.strip()}

        def keys(m: Motif) -> set[str]:
            return {m.id.casefold(), m.id.split(".")[0].casefold(), (m.name or "").casefold()}

        chosen = [m for m in out if keys(m) & want.keys()]
        found = set().union(*(keys(m) for m in chosen)) if chosen else set()
        missing = sorted(v for k, v in want.items() if k not in found)
        if missing:
            raise InputError(
                f"--ids: motif id(s) not found among the {len(out)} motifs: {', '.join(missing)}",
                hint="give matrix ids (MA0139.2, or MA0139 for every version in the file) or "
                "TF names (CTCF) as the motif file spells them",
            )
        out = chosen
    return out


def resolve_motifs(
    motif_file: str | os.PathLike | None = None,
    ids: Sequence[str] | None = None,
    collection: str | None = "CORE",
    tax_group: str | Sequence[str] | None = ("vertebrates",),
    release: int | str = DEFAULT_RELEASE,
    errors: RowErrors | None = None,
) -> list[Motif]:
    """Motifs from a matrix file (optionally filtered by `ids`) or else from bundled JASPAR.
    `errors`: where the file's unusable matrices go (`read_motifs`)."""
    from helixforge.lm.inputs import as_names

    if motif_file:
        before = len(errors) if errors is not None else 0
        motifs = read_motifs(motif_file, errors=errors)
        asked = {i.strip().casefold() for i in as_names(ids, "ids") or [] if i.strip()}
        for e in list(errors or [])[before:]:  # a motif asked for by id but unusable: say why
            mid = str(e.value or "").casefold()
            if asked & {mid, mid.split(".")[0]}:
                line = f", line {e.row}" if e.row else ""
                why = e.reason.removesuffix("; the motif is skipped")
                raise InputError(f"{motif_file}{line}: {why}",
                                 hint="fix its matrix (four numbers ≥ 0 per position)")  # fmt: skip
        return select_motifs(motifs, ids)
    return load_jaspar(ids=ids or None, collection=collection, tax_group=tax_group, release=release)
