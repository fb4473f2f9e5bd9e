"""Score expressions: a small, safe arithmetic language over a screen's output columns.

    expr = ScoreExpression("pic50.pIC50_pred - 0.5 * admet_herg")
    expr.check(columns)              # unknown column → ConfigError listing the available ones
    score = expr.evaluate(frame)     # float64 array, one value per row

Parsed with Python's `ast` and evaluated by walking the tree (no `eval`): names, numbers,
``+ - * / **``, unary minus, comparisons (``<``, ``<=``, ``>``, ``>=``, ``==``, ``!=``, giving
1.0 / 0.0), ``and`` / ``or`` / ``not`` and the functions in `FUNCTIONS` (min, max, abs, log,
exp, sqrt, clip, where, isnan). A column name with a dot (``pic50.pIC50_pred``) is written as
it is; a name that is not a Python identifier (``herg-run.label_prob``) goes in backticks.
Booleans (``pass_pains``, ``run.in_domain``) count as 1.0 / 0.0.
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from helixforge.core.errors import ConfigError

_BINARY = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}
_COMPARE = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}


def _where(cond, a, b):
    return np.where(np.asarray(cond, dtype=float) != 0, a, b)


def _fold(fn):
    def folded(*args):
        if len(args) < 2:
            raise ValueError("needs at least two arguments")
        out = args[0]
        for a in args[1:]:
            out = fn(out, a)
        return out

    return folded


# name → (function, allowed argument counts)
FUNCTIONS: dict[str, tuple] = {
    "min": (_fold(np.fmin), None),
    "max": (_fold(np.fmax), None),
    "abs": (np.abs, (1,)),
    "log": (np.log, (1,)),
    "log10": (np.log10, (1,)),
    "exp": (np.exp, (1,)),
    "sqrt": (np.sqrt, (1,)),
    "clip": (np.clip, (3,)),
    "where": (_where, (3,)),
    "isnan": (lambda x: np.isnan(np.asarray(x, dtype=float)).astype(float), (1,)),
}
_BACKTICK = re.compile(r"`([^`]+)`")
EXAMPLE = 'e.g. --score "pic50.pIC50_pred - 0.5 * admet_herg"'


def _bad(expr: str, why: str) -> ConfigError:
    return ConfigError(
        f"--score {expr!r}: {why}",
        hint="use column names, numbers, + - * / **, comparisons and "
        f"{', '.join(FUNCTIONS)}; {EXAMPLE}",
    )


def column_numbers(frame: pd.DataFrame, name: str) -> np.ndarray:
    """A column as float64 for a score: numbers as they are; text as the library file wrote it
    — true/false in any case as 1/0, decimal commas ('0,5') read as `core.tables.number_text`
    reads labels — and NaN for anything else (missing). Text columns of a CSV library were
    NaN for 'True' and '0,5' alike, so such rows silently lost their score."""
    from helixforge.core.tables import number_text

    col = frame[name]
    if col.dtype == object or isinstance(col.dtype, pd.StringDtype):
        text = col.astype("string").str.strip()
        lower = text.str.lower()
        text = text.mask(lower == "true", "1").mask(lower == "false", "0")
        if "row" in frame.columns:  # file lines, for a message about an ambiguous column
            text.index = frame["row"].to_numpy()
        col = number_text(text, name, delimiter=frame.attrs.get("delimiter"))
    return pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)


MAX_DEPTH = 100  # levels of nesting a score may have (far beyond any written by hand)


def _depth(tree: ast.AST) -> int:
    """How deep `tree` nests, walked without recursion."""
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, d = stack.pop()
        deepest = max(deepest, d)
        stack.extend((child, d + 1) for child in ast.iter_child_nodes(node))
    return deepest


class ScoreExpression:
    """A parsed `--score` expression; `columns` are the output columns it reads."""

    def __init__(self, text: str):
        if not isinstance(text, str) or not text.strip():
            raise _bad(str(text), "empty expression")
        self.text = text
        self._quoted: dict[str, str] = {}

        def quote(match: re.Match) -> str:
            key = f"__col{len(self._quoted)}__"
            self._quoted[key] = match.group(1)
            return key

        source = _BACKTICK.sub(quote, text.strip())
        if "`" in source:
            raise _bad(text, "an unclosed backtick")
        try:
            self.tree = ast.parse(source, mode="eval").body
        except SyntaxError as exc:
            raise _bad(text, f"not a valid expression ({exc.msg})") from None
        except (RecursionError, MemoryError):  # the parser's own nesting limit
            raise _bad(text, f"nested more than {MAX_DEPTH} levels deep") from None
        if _depth(self.tree) > MAX_DEPTH:  # checking and evaluating recurse per level
            raise _bad(text, f"nested more than {MAX_DEPTH} levels deep")
        self.columns: list[str] = []
        self._check_node(self.tree)

    # ------------------------------------------------------------ validation
    def _name(self, node: ast.AST) -> str | None:
        """The column a Name / dotted Attribute chain spells, else None."""
        if isinstance(node, ast.Name):
            return self._quoted.get(node.id, node.id)
        if isinstance(node, ast.Attribute):
            base = self._name(node.value)
            return None if base is None else f"{base}.{node.attr}"
        return None

    def _check_node(self, node: ast.AST) -> None:
        name = self._name(node)
        if name is not None:
            if name not in self.columns:
                self.columns.append(name)
            return
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                raise _bad(self.text, f"only numbers are allowed as constants, not {node.value!r}")
            return
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            self._check_node(node.left)
            self._check_node(node.right)
            return
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd, ast.Not)):
            self._check_node(node.operand)
            return
        if isinstance(node, ast.Compare) and all(type(o) in _COMPARE for o in node.ops):
            for child in [node.left, *node.comparators]:
                self._check_node(child)
            return
        if isinstance(node, ast.BoolOp):
            for child in node.values:
                self._check_node(child)
            return
        if isinstance(node, ast.Call):
            fname = node.func.id if isinstance(node.func, ast.Name) else None
            if fname not in FUNCTIONS or node.keywords:
                shown = fname or ast.unparse(node.func)
                raise _bad(
                    self.text,
                    f"function {shown!r} is not allowed (allowed: {', '.join(FUNCTIONS)})",
                )
            counts = FUNCTIONS[fname][1]
            if (counts and len(node.args) not in counts) or (not counts and len(node.args) < 2):
                want = f"{counts[0]}" if counts else "two or more"
                raise _bad(self.text, f"{fname}() takes {want} argument(s)")
            for arg in node.args:
                self._check_node(arg)
            return
        raise _bad(self.text, f"{ast.unparse(node)!r} is not allowed in a score")

    def check(self, available: Iterable[str], text_columns: Iterable[str] = ()) -> None:
        """Refuse a column the screen will not produce, listing those it will, and one that
        always holds text (`text_columns`: SMILES, a conformal prediction set '0|1', a
        scaffold): its score would be NaN (or a stray number) for every row, found only
        after the whole library was screened."""
        available = list(available)
        missing = [c for c in self.columns if c not in available]
        if missing:
            raise ConfigError(
                f"--score {self.text!r}: unknown column(s) {', '.join(repr(m) for m in missing)}",
                hint=_missing_hint(missing, list(available)),
            )
        text = set(text_columns)
        texts = [c for c in self.columns if c in text]
        if texts:
            numeric = [c for c in available if c not in text]
            raise ConfigError(
                f"--score {self.text!r}: column(s) {', '.join(repr(t) for t in texts)} hold "
                "text, not numbers",
                hint="score numeric columns: " + ", ".join(numeric),
            )
        if not self.columns and np.isnan(self.evaluate(pd.DataFrame(index=[0])))[0]:
            raise ConfigError(
                f"--score {self.text!r} reads no column and is not a finite number "
                "(a division by zero, an overflow, log of a value <= 0?)",
                hint="write the score over model columns, e.g. --score "
                '"pic50.pIC50_pred - 0.5 * admet_herg"',
            )

    # ------------------------------------------------------------ evaluation
    def evaluate(self, frame: pd.DataFrame) -> np.ndarray:
        """The score of every row (float64; NaN where an input is missing)."""
        missing = [c for c in self.columns if c not in frame.columns]
        if missing:  # a KeyError from deep in pandas otherwise
            raise ConfigError(
                f"--score {self.text!r}: column(s) {', '.join(repr(m) for m in missing)} not "
                "in the table scored",
                hint=_missing_hint(missing, [str(c) for c in frame.columns]),
            )
        with np.errstate(all="ignore"):
            value = self._eval(self.tree, frame)
            out = np.broadcast_to(np.asarray(value, dtype=float), (len(frame),)).copy()
        out[~np.isfinite(out)] = np.nan  # inf (log 0, x/0) is no score
        return out

    def _eval(self, node: ast.AST, frame: pd.DataFrame):
        name = self._name(node)
        if name is not None:
            return column_numbers(frame, name)
        if isinstance(node, ast.Constant):
            # NumPy's float, not Python's: 1/0 and 10**400 between constants are inf (then
            # no score) instead of ZeroDivisionError / OverflowError out of a worker
            return np.float64(node.value)
        if isinstance(node, ast.BinOp):
            return _BINARY[type(node.op)](
                self._eval(node.left, frame), self._eval(node.right, frame)
            )
        if isinstance(node, ast.UnaryOp):
            v = self._eval(node.operand, frame)
            if isinstance(node.op, ast.Not):
                return (np.asarray(v, dtype=float) == 0).astype(float)
            return -v if isinstance(node.op, ast.USub) else v
        if isinstance(node, ast.Compare):
            left, result = self._eval(node.left, frame), 1.0
            for op, right_node in zip(node.ops, node.comparators):
                right = self._eval(right_node, frame)
                result = np.logical_and(result, _COMPARE[type(op)](left, right))
                left = right
            return np.asarray(result, dtype=float)
        if isinstance(node, ast.BoolOp):
            values = [np.asarray(self._eval(v, frame), dtype=float) != 0 for v in node.values]
            combine = np.logical_and if isinstance(node.op, ast.And) else np.logical_or
            out = values[0]
            for v in values[1:]:
                out = combine(out, v)
            return out.astype(float)
        assert isinstance(node, ast.Call)
        fn = FUNCTIONS[node.func.id][0]  # type: ignore[attr-defined]
        return fn(*[self._eval(a, frame) for a in node.args])


def _missing_hint(missing: list[str], available: list[str]) -> str:
    """What to write instead: a model column needs its model's name ('y_pred' →
    'run.y_pred'), an admet_* column needs --admet; then the available columns."""
    tips = []
    for m in missing:
        named = [a for a in available if a.split(".", 1)[-1] == m and a != m]
        if named:
            tips.append(f"did you mean {' or '.join(repr(a) for a in named)}?")
        elif m.startswith("admet_"):
            tips.append(f"{m!r} is an ADMET panel column: add --admet (or --admet-endpoints);")
    return " ".join([*tips, "available columns: " + ", ".join(available)])
