"""Genome regions: the train / valid / test split of `dna annotate train` and the `--region`
of `dna annotate predict`.

On the command line a region is 1-based and inclusive, `contig:start-end`, as samtools and
`helix crispr` read it; in Python a `Region` is 0-based half-open (BED style).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from helixforge.core.errors import ConfigError

_HINT = (
    "regions are 1-based and inclusive, e.g. chr1:1001-2000 (as samtools; commas allowed); "
    "chr1:1001 runs to the contig's end, chr1 is the whole contig ({name} or {name}:1-500 "
    "when the contig name holds ':')"
)


@dataclass
class Region:
    """A 0-based half-open stretch [start, end) of one contig."""

    contig: str
    start: int
    end: int

    def __len__(self) -> int:
        return self.end - self.start


def _check_contig(contig: str, lengths: dict[str, int], option: str) -> str:
    """The genome's name for `contig` (exact, else its chr-prefixed / unprefixed spelling)."""
    if contig in lengths:
        return contig
    alt = contig[3:] if contig.lower().startswith("chr") else f"chr{contig}"
    if alt in lengths:
        return alt
    from helixforge.dna.io.genome import ContigNames

    close = ContigNames(list(lengths)).closest(contig)  # cheap on many scaffolds
    raise ConfigError(
        f"{option}: contig {contig!r} is not in the genome",
        hint=f"contigs: {', '.join(close or list(lengths)[:10])}",
    )


def parse_region(text: str, lengths: dict[str, int], option: str = "--region") -> Region:
    """'chr1:101-200' (1-based inclusive, commas allowed), 'chr1:101' (to the contig's end) or a
    whole 'chr1' → Region(chr1, 100, 200).

    The end is clipped to the contig; a start past the contig end or an end before the start
    is a `ConfigError` naming the option.
    """
    from helixforge.dna.io.regions import split_region

    item = str(text).strip()

    def is_contig(name: str) -> bool:
        try:
            _check_contig(name, lengths, option)
        except ConfigError:
            return False
        return True

    # read from the right: a ':' inside a contig name (HLA-A*01:01) stays in it; a contig
    # name that is also a region of another contig is refused as ambiguous
    found = split_region(item, is_contig, what=option, error=ConfigError)
    if found is None:
        if ":" in item and item.rsplit(":", 1)[0] in lengths:
            raise ConfigError(f"{option} {item!r} is not contig:start-end", hint=_HINT)
        item = _check_contig(item, lengths, option)
        return Region(item, 0, lengths[item])
    contig = _check_contig(found.contig, lengths, option)
    if found.start is None:
        return Region(contig, 0, lengths[contig])
    start = found.start
    end = lengths[contig] if found.end is None else found.end
    if start < 1 or end < start:
        raise ConfigError(f"{option} {item!r}: start must be ≥ 1 and end ≥ start", hint=_HINT)
    n = lengths[contig]
    if start > n:
        raise ConfigError(f"{option} {item!r}: starts past the end of {contig} (length {n:,})")
    return Region(contig, start - 1, min(end, n))


def parse_regions(text: str, lengths: dict[str, int], option: str = "--region") -> list[Region]:
    """A comma list of regions; commas inside numbers ('chr1:1,001-2,000', samtools style) are
    thousands separators, not list separators."""
    items: list[str] = []
    for piece in str(text).split(","):
        if items and re.fullmatch(r"\d{3}(?:-[\d]+)?", piece) and items[-1][-1:].isdigit():
            items[-1] += "," + piece
        else:
            items.append(piece)
    return [parse_region(item, lengths, option) for item in items if item.strip()]


def split_regions(
    lengths: dict[str, int], holdout: str | float = 0.2, valid_fraction: float = 0.1
) -> dict[str, list[Region]]:
    """Train / valid / test regions.

    `holdout` is a fraction (the last part of every contig is test, the part before it valid)
    or a comma list of 'CONTIG' / 'CONTIG:START-END' (1-based inclusive) test regions; then the
    last `valid_fraction` of the remaining training stretch of each contig is used for
    validation.
    """
    out: dict[str, list[Region]] = {"train": [], "valid": [], "test": []}
    frac = None
    try:
        frac = float(holdout)
    except (TypeError, ValueError):
        pass
    if frac is not None:
        if not 0 < frac < 1 or frac + valid_fraction >= 1:
            raise ConfigError(
                f"--holdout {holdout} must be a fraction between 0 and {1 - valid_fraction:.2f}"
            )
        for c, n in lengths.items():
            t0 = int(round(n * (1 - frac)))
            v0 = int(round(n * (1 - frac - valid_fraction)))
            out["train"].append(Region(c, 0, v0))
            out["valid"].append(Region(c, v0, t0))
            out["test"].append(Region(c, t0, n))
        return _check_parts(out, holdout)
    tests: dict[str, list[tuple[int, int]]] = {}
    for r in parse_regions(str(holdout), lengths, "--holdout"):
        tests.setdefault(r.contig, []).append((r.start, r.end))
    if not tests:
        raise ConfigError(
            "--holdout names no region", hint="pass a fraction like 0.2 or CONTIG[:START-END]"
        )
    for c, n in lengths.items():
        cuts = sorted(tests.get(c, []))
        out["test"] += [Region(c, s, e) for s, e in cuts]
        pos = 0
        free = []
        for s, e in cuts:
            if s > pos:
                free.append((pos, s))
            pos = max(pos, e)
        if pos < n:
            free.append((pos, n))
        for s, e in free:
            v = int(round((e - s) * valid_fraction))
            if e - s - v > 0:
                out["train"].append(Region(c, s, e - v))
            if v > 0:
                out["valid"].append(Region(c, e - v, e))
    return _check_parts(out, holdout)


def _check_parts(parts: dict[str, list[Region]], holdout) -> dict[str, list[Region]]:
    """Refuse a split that leaves a part without a base (e.g. --holdout 1e-9 on a small
    genome: a 0 bp test region), before any training; empty regions are dropped."""
    what = {"train": "training", "valid": "validation", "test": "held-out (test)"}
    for part, regions in parts.items():
        parts[part] = [r for r in regions if r.end > r.start]
        if not parts[part]:
            # the hint said 'hold out a larger fraction' when a region held out everything
            more = "a smaller" if part == "train" else "a larger"
            raise ConfigError(
                f"--holdout {holdout} leaves no {what[part]} bases",
                hint=f"hold out {more} part (a fraction such as 0.2) or name CONTIG:START-END "
                "regions that leave sequence for every part",
            )
    return parts
