"""Line numbers of the keys of a TOML text, for error messages that point at a line.

    lines = TomlLines(text)
    lines.line(("component", 2, "transform", "type"))   # → 17 (or the nearest parent's line)

tomllib returns values without positions; this scans the text once and records the line
of every table header (`[[component]]` counted per array) and every key, including keys of
inline tables (`transform = { type = "sigmoid" }`) and of sub-tables (`[component.transform]`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any


class TomlLines:
    """Line numbers (1-based) of the headers and keys of a TOML text, by key path."""

    _HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
    _KEY = re.compile(
        r"""^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*="""
    )
    _INLINE_KEY = re.compile(r"[{,]\s*([A-Za-z0-9_-]+)\s*=")

    def __init__(self, text: str):
        self.lines: dict[tuple, int] = {}
        counters: dict[tuple, int] = {}
        table: tuple = ()
        depth = 0
        for n, line in enumerate(text.splitlines(), start=1):
            stripped = _strip_comment(line)
            if depth > 0:  # inside a multi-line array or inline table
                depth += _bracket_balance(stripped)
                continue
            m = self._HEADER.match(stripped)
            if m and "=" not in stripped.split("]")[0]:
                parts = tuple(_unquote(p) for p in m.group(2).split("."))
                if m.group(1) == "[[":
                    idx = counters.get(parts, -1) + 1
                    counters[parts] = idx
                    table = (*parts, idx)
                else:
                    table = self._resolve(parts, counters)
                self.lines.setdefault(table, n)
                continue
            k = self._KEY.match(stripped)
            if k:
                key = tuple(_unquote(p.strip()) for p in k.group(1).split("."))
                self.lines.setdefault((*table, *key), n)
                value = stripped[k.end() :]
                for inner in self._INLINE_KEY.findall(value):
                    self.lines.setdefault((*table, *key, inner), n)
                depth = max(0, _bracket_balance(value))

    @staticmethod
    def _resolve(parts: tuple, counters: Mapping[tuple, int]) -> tuple:
        # [component.transform] after [[component]] belongs to the latest component
        for cut in range(len(parts) - 1, 0, -1):
            head = parts[:cut]
            if head in counters:
                return (*head, counters[head], *parts[cut:])
        return parts

    def line(self, path: Sequence[Any]) -> int | None:
        """The line of `path` or, failing that, of its nearest recorded ancestor. An array of
        tables (`[[name]]`, recorded per element) is at the line of its first element."""
        path = tuple(path)
        while path:
            for key in (path, (*path, 0)):
                if key in self.lines:
                    return self.lines[key]
            path = path[:-1]
        return None


def _strip_comment(line: str) -> str:
    out, quote = [], None
    for ch in line:
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            break
        out.append(ch)
    return "".join(out).rstrip()


def _bracket_balance(text: str) -> int:
    bal, quote = 0, None
    for ch in text:
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch in "[{":
            bal += 1
        elif ch in "]}":
            bal -= 1
    return bal


def _unquote(s: str) -> str:
    s = s.strip()
    return s[1:-1] if len(s) >= 2 and s[0] == s[-1] and s[0] in "\"'" else s
