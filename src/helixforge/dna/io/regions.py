"""Region strings `contig:start-end` (1-based, inclusive, as samtools; commas allowed) whose
contig name may itself hold ':' — legal in FASTA: 'HLA-A*01:01', 'chrUn:KI270302v1', or a
'chr1:100-200' record that `samtools faidx` wrote.

    split_region("HLA-A*01:01:101-200", is_contig)  # RegionText('HLA-A*01:01', 101, 200)
    split_region("HLA-A*01:01", is_contig)          # RegionText('HLA-A*01:01', None, None)
    split_region("{chr1:100}:5-50", is_contig)      # braces name the contig (htslib's form)

The coordinates are read from the right (after the last ':'), so a ':' inside the contig name
is kept in the name. A text that is a contig name of the genome is that whole contig — unless
it also reads as a region of another contig of the genome ('chr1:100' where both 'chr1' and
'chr1:100' exist): that is ambiguous and refused, naming both readings and the braces that
settle it (`{chr1:100}` the contig, `{chr1}:100` the region), as htslib does.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from helixforge.core.errors import InputError

_SPAN = re.compile(r"(?P<start>[\d,]+)(?:-(?P<end>[\d,]+))?")


@dataclass(frozen=True)
class RegionText:
    """What a region string names: `contig`, and 1-based inclusive `start` / `end` (None: the
    whole contig; `end` None alone: from `start` to the contig's end). Not checked against the
    contig's length: that is the caller's (it knows the genome and the option's name)."""

    contig: str
    start: int | None = None
    end: int | None = None


def _span(m: re.Match) -> tuple[int, int | None]:
    end = m["end"]
    return int(m["start"].replace(",", "")), None if end is None else int(end.replace(",", ""))


def split_region(
    text: str,
    is_contig: Callable[[str], bool] = lambda name: False,
    what: str = "region",
    error: type[Exception] = InputError,
) -> RegionText | None:
    """The contig and coordinates of `text`, or None when it is neither a region nor a contig
    name of the genome (a sequence, a gene name, a typo: the caller says which).

    `is_contig(name)`: whether the genome has that contig (by its exact name or an alias the
    caller accepts); the default knows none, so only the `contig:start[-end]` form is read.
    `text` that is a whole contig name and also a region of another contig raises `error`
    (`what` names the option or argument in the message)."""
    text = str(text).strip()
    if text.startswith("{") and "}" in text:  # {contig} or {contig}:start-end (htslib)
        name, _, rest = text[1:].partition("}")
        if not rest:
            return RegionText(name)
        m = _SPAN.fullmatch(rest[1:]) if rest.startswith(":") else None
        if m is None or not name:
            raise error(
                f"{what} {text!r} is not {{contig}} or {{contig}}:start-end",
                hint="braces hold the contig name: {HLA-A*01:01}:101-200 (1-based, inclusive)",
            )
        return RegionText(name, *_span(m))
    whole = is_contig(text)
    left, sep, right = text.rpartition(":")
    m = _SPAN.fullmatch(right) if sep and left else None
    if m is not None and whole and is_contig(left):
        start, end = _span(m)
        span = f"{start:,}-{end:,}" if end is not None else f"{start:,} to its end"
        raise error(
            f"{what} {text!r} is ambiguous: the genome has a contig of that name and a contig "
            f"{left!r}, of which it would be bases {span}",
            hint=f"write {{{text}}} for the whole contig {text!r}, or {{{left}}}:{right} for "
            f"the region of {left!r}",
        )
    if whole:
        return RegionText(text)
    if m is not None:
        return RegionText(left, *_span(m))
    return None
