"""Reading a screening library in chunks: SMILES tables (.smi/.csv/.tsv/.parquet, gz) and SD files.

    for chunk in read_library("vendor.smi.gz", chunk_size=10_000):
        chunk.frame   # index = true row number (file line; Parquet row; SDF record), 'smiles' …
        chunk.errors  # records of this stretch that could not be read (RowErrors)

Tables go through `core.tables.iter_table` (bounded memory, true line numbers, every record
ending in a row or an error). An SD file is read record by record with RDKit's
`ForwardSDMolSupplier` (gzip too): each record becomes one row whose number is the record's
position (1 = first), with its SMILES, its title (`name`) and the `--id-col` property when
asked; a record RDKit cannot read goes to the errors table. Chunk k always covers the same
records, so checkpoints can be resumed. `read_sd_file(..., properties=[...])` also reads data
items as columns (`chem train` / `chem evaluate`: labels and the split from '> <pIC50>' items).

The chiral flag of a V2000 record (the 5th field of its counts line) says whether its wedges
are the absolute configuration (1) or a relative one (0: the drawn stereoisomer or its mirror
image, as a racemate is registered), as MDL defines it and BIOVIA, ChemAxon and Indigo /
Ketcher read it. RDKit reads every wedge as absolute, and it writes 0 whatever the stereo means,
as other writers do. So the flag is honoured in a file that uses it — one in which
some V2000 record has the flag set to 1: there a record with 0 gets its centres as a racemic
group (`|&1:...|`, what RDKit's `TranslateChiralFlagToStereoGroups` makes of it), which the
standardizer resolves as it resolves CXSMILES enhanced stereo (a lone centre loses its tag; a
meso compound or cis / trans ring substituents keep theirs). In a file where no record sets the
flag, it says nothing and wedges are read as drawn (a file RDKit wrote from isomeric SMILES keeps
its stereo). V3000 records state their stereo groups themselves (`STERAC`, `STEREL`); their
flag is not read.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

import pandas as pd

from helixforge.core.errors import ConfigError, EmptyInputError, InputError, RowErrors
from helixforge.core.tables import TableChunk

SDF_SUFFIXES = (".sdf", ".sd", ".sdf.gz", ".sd.gz")
SDF_SMILES_COL = "smiles"
SDF_NAME_COL = "name"


def is_sdf(path: str | os.PathLike) -> bool:
    """True for a file named .sdf / .sd (gz allowed)."""
    return str(path).lower().endswith(SDF_SUFFIXES)


def library_columns(path: str | os.PathLike, id_col: str | None = None) -> list[str] | None:
    """The columns a library's chunks will have (None: known only once read)."""
    if is_sdf(path):
        return [SDF_SMILES_COL, SDF_NAME_COL] + ([id_col] if id_col else [])
    return None


def read_library(
    path: str | os.PathLike,
    chunk_size: int = 10_000,
    input_col: str = "smiles",
    id_col: str | None = None,
) -> Iterator[TableChunk]:
    """Chunks of at most `chunk_size` rows (see module doc). A missing file or column, an
    empty or truncated file raise here, before the first chunk."""
    from helixforge.core.tables import iter_table

    if is_sdf(path):
        if input_col != SDF_SMILES_COL:
            raise ConfigError(
                f"--input-col {input_col!r}: an SD file has no columns; its molecules are "
                f"read as {SDF_SMILES_COL!r}",
                hint=f"drop --input-col (or pass --input-col {SDF_SMILES_COL}) for SD files",
            )
        return _sdf_chunks(Path(path), chunk_size, id_col)
    columns = [input_col] + ([id_col] if id_col and id_col != input_col else [])
    return iter_table(path, chunk_size=chunk_size, columns=columns)


def record_smiles(mol) -> str:
    """The SMILES of an SD record's molecule. A V3000 record's racemic / relative stereo
    groups (MDLV30/STERAC, STEREL), and those a V2000 record's chiral flag 0 stands for (module
    doc), travel as a CXSMILES extension ('CC[C@H](C)O |&1:2|'), for the standardizer to
    resolve; plain SMILES wrote the racemate as one pure enantiomer."""
    from rdkit import Chem

    absolute = Chem.StereoGroupType.STEREO_ABSOLUTE
    if any(g.GetGroupType() != absolute for g in mol.GetStereoGroups()):
        fields = Chem.CXSmilesFields.CX_ENHANCEDSTEREO
        return Chem.MolToCXSmiles(mol, Chem.SmilesWriteParams(), fields)
    return Chem.MolToSmiles(mol)


def read_sd_file(
    path: str | os.PathLike,
    errors: RowErrors,
    input_col: str = SDF_SMILES_COL,
    id_col: str | None = None,
    properties: Sequence[str] = (),
    all_properties: bool = False,
) -> pd.DataFrame:
    """A whole SD file as one frame, for verbs that hold their input (standardize, embed,
    train, evaluate): the chunks of `read_library` joined (index = record number), their
    unreadable records added to `errors`.

    `properties`: data items ('> <pIC50>') read as columns of those names (None in a record
    without the item); one that no record has is a `ColumnNotFoundError` listing the items the
    file has. `all_properties`: every other data item a record has becomes a column too (an
    identifier is kept in the outputs as a table's other columns are)."""
    if input_col != SDF_SMILES_COL:  # read_library's refusal, before any reading
        read_library(path, input_col=input_col)
    chunks = list(_sdf_chunks(Path(path), 100_000, id_col, tuple(properties), all_properties))
    for chunk in chunks:
        errors.extend(chunk.errors)
    frame = pd.concat([c.frame for c in chunks])
    absent = [q for q in properties if q not in frame or frame[q].isna().all()]
    if absent:
        from helixforge.core.errors import ColumnNotFoundError

        items = [SDF_SMILES_COL, SDF_NAME_COL, *sd_property_names(path)]
        raise ColumnNotFoundError(absent, [c for c in items if c not in absent], path)
    return frame


_ITEM_HEADER = re.compile(rb"^>.*?<([^>]+)>")


def sd_property_names(path: str | os.PathLike, records: int | None = None) -> list[str]:
    """The data item names ('> <pIC50>' → 'pIC50') of an SD file's records (the first
    `records` of them, or all), in first-seen order, read from the text without RDKit."""
    names: dict[str, None] = {}
    fh = _open_sdf(Path(path))
    try:
        for n, record in enumerate(_sd_records(fh), start=1):
            for line in record.splitlines():
                found = _ITEM_HEADER.match(line)
                if found:
                    names.setdefault(found.group(1).decode("utf-8", "replace"), None)
            if records is not None and n >= records:
                break
    finally:
        fh.close()
    return list(names)


def _open_sdf(p: Path):
    from helixforge.core.io import check_gzip_whole, is_gzip

    if not p.exists():
        raise InputError(f"{p}: file not found", hint="check the path")
    if p.is_dir():
        raise InputError(f"{p}: is a directory, expected an SD file")
    if p.stat().st_size == 0:
        raise EmptyInputError(f"{p}: file is empty", hint="an SD file needs at least one record")
    if is_gzip(p):
        import gzip

        check_gzip_whole(p)
        return gzip.open(p, "rb")
    return open(p, "rb")


def _counts_line(record: bytes) -> bytes:
    """The counts line of a record's molecule block (its 4th line), b'' when it has none."""
    lines = record.split(b"\n", 4)
    return lines[3] if len(lines) > 3 else b""


def _chiral_flag_set(counts: bytes) -> bool:
    """Whether a V2000 counts line sets the chiral flag (columns 13-15 read 1)."""
    return b"V2000" in counts and counts[12:15].strip() == b"1"


def uses_chiral_flag(path: str | os.PathLike) -> bool:
    """Whether some V2000 record of an SD file sets the chiral flag, so that the file's
    flag 0 means relative stereo (module doc). Reads the text up to the first such record."""
    fh = _open_sdf(Path(path))
    try:
        return any(_chiral_flag_set(_counts_line(record)) for record in _sd_records(fh))
    finally:
        fh.close()


def _relative_when_unflagged(mol, counts: bytes) -> None:
    """Put the stereocentres of a V2000 record whose chiral flag is 0 into a racemic group
    (RDKit keeps the flag as `_MolFileChiralFlag` and reads the wedges as absolute)."""
    from rdkit import Chem

    if b"V2000" in counts and not _chiral_flag_set(counts):
        Chem.TranslateChiralFlagToStereoGroups(mol)


def _sd_records(fh) -> Iterator[bytes]:
    """The records of an SD file, each up to and including its '$$$$' line (a last record
    without one too, unless it is blank)."""
    lines: list[bytes] = []
    for line in fh:
        lines.append(line)
        if line.rstrip() == b"$$$$":
            yield b"".join(lines)
            lines = []
    if any(line.strip() for line in lines):
        yield b"".join(lines)


def _sdf_chunks(
    p: Path,
    chunk_size: int,
    id_col: str | None,
    properties: tuple[str, ...] = (),
    all_properties: bool = False,
) -> Iterator[TableChunk]:
    from rdkit import Chem

    from helixforge.chem.standardize import quiet_rdkit

    quiet_rdkit()
    relative_unflagged = uses_chiral_flag(p)
    fh = _open_sdf(p)

    def chunks() -> Iterator[TableChunk]:
        rows: list[int] = []
        values: dict[str, list] = {SDF_SMILES_COL: [], SDF_NAME_COL: []}
        if id_col:
            values[id_col] = []
        items: list[dict[str, str]] = []  # per row: its data items (`properties`)
        errors = RowErrors(p)
        n = 0
        first = True  # the id property is checked on the first chunk, before any work
        props: list[str] = []
        try:
            for n, record in enumerate(_sd_records(fh), start=1):
                blocks = sum(1 for line in record.splitlines() if line.rstrip() == b"M  END")
                mol = None
                if blocks <= 1:
                    supplier = Chem.ForwardSDMolSupplier(
                        io.BytesIO(record), sanitize=True, removeHs=True
                    )
                    mol = next(iter(supplier), None)
                if blocks > 1:
                    # RDKit reads the first block and drops the rest without a word
                    errors.add(
                        n,
                        SDF_SMILES_COL,
                        None,
                        f"SD record holds {blocks} molecule blocks ('M  END' lines): a '$$$$' "
                        "line between them is missing",
                    )
                elif blocks == 0:  # a blank record, a stray '$$$$', a cut-off block
                    errors.add(
                        n,
                        SDF_SMILES_COL,
                        None,
                        "SD record holds no molecule block (no 'M  END' line): a blank record, "
                        "a stray '$$$$' line or a cut-off block",
                    )
                elif mol is None:
                    errors.add(n, SDF_SMILES_COL, None, "SD record could not be read by RDKit")
                else:
                    if relative_unflagged:
                        _relative_when_unflagged(mol, _counts_line(record))
                    rows.append(n)
                    values[SDF_SMILES_COL].append(record_smiles(mol))
                    values[SDF_NAME_COL].append(
                        mol.GetProp("_Name") if mol.HasProp("_Name") else ""
                    )
                    if id_col:
                        values[id_col].append(mol.GetProp(id_col) if mol.HasProp(id_col) else None)
                        props = props or list(mol.GetPropNames())
                    if properties or all_properties:
                        items.append(_data_items(mol, properties, all_properties))
                if len(rows) + len(errors) == chunk_size:
                    if first:
                        _check_id_property(p, id_col, values, props)
                        first = False
                    yield TableChunk(_frame(values, rows, items, properties), errors)
                    rows, errors, items = [], RowErrors(p), []
                    values = {k: [] for k in values}
        finally:
            fh.close()
        if n == 0:
            raise EmptyInputError(f"{p}: no SD records", hint="check that this is an SD file")
        if rows or len(errors):
            if first:
                _check_id_property(p, id_col, values, props)
            yield TableChunk(_frame(values, rows, items, properties), errors)

    return chunks()


def _data_items(mol, properties: tuple[str, ...], all_properties: bool) -> dict[str, str]:
    """A record's data items: those named in `properties`, or all of them."""
    names = mol.GetPropNames() if all_properties else [q for q in properties if mol.HasProp(q)]
    return {q: mol.GetProp(q) for q in names}


def _frame(values: dict, rows: list[int], items: list[dict], properties: tuple) -> pd.DataFrame:
    """A chunk's rows: the molecule columns, then the data items (`properties` always, other
    items in first-seen order; an item named like a molecule column is left out)."""
    frame = pd.DataFrame(values, index=rows)
    if not items and not properties:
        return frame
    extra = pd.DataFrame(items, index=rows, dtype=object)
    order = list(dict.fromkeys([*properties, *extra.columns]))
    extra = extra.reindex(columns=[c for c in order if c not in frame.columns])
    return pd.concat([frame, extra.astype(object).where(extra.notna(), None)], axis=1)


def _check_id_property(p: Path, id_col: str | None, values: dict, props: list[str]) -> None:
    """Refuse an `--id-col` that no record of the first chunk has as a data item (a table's
    missing column is refused; an SD file's gave an empty id column without a word, e.g. for
    'id' when the records say '> <ID>')."""
    if not id_col or not values[SDF_SMILES_COL]:
        return
    if any(v is not None for v in values[id_col]):
        return
    n = len(values[SDF_SMILES_COL])
    found = ", ".join(repr(q) for q in props) if props else "none"
    raise ConfigError(
        f"{p}: --id-col {id_col!r}: none of the first {n} SD records has a data item "
        f"'> <{id_col}>' (items of the first record: {found})",
        hint="pass --id-col with one of those names (case matters), or leave it out "
        f"(the record titles are the {SDF_NAME_COL!r} column)",
    )


def library_digest(path: str | os.PathLike, count: bool = False) -> tuple[str, int | None]:
    """The library's sha256 (resume key) and, when `count` and cheap, an estimate of its rows
    for the ETA (text lines minus the header; SD records; Parquet metadata; None for gz)."""
    from helixforge.core.supervised.predict import digest_and_rows

    return digest_and_rows(path, count, record_marker=b"$$$$" if is_sdf(Path(path)) else None)
