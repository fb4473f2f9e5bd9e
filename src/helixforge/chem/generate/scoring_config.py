"""Reading a design TOML file: keys → checked settings, every mistake named by file and line.

    cfg = read_design_config("design.toml")     # ConfigError "design.toml, line 7: ..." on a mistake
    cfg.components[0].transform(np.array([...]))

tomllib gives values without positions, so `TomlLines` scans the text once and records the
line of every table header and key (inside `[[component]]` arrays of tables and inline
tables too); an error names the line of the offending key, or of its nearest enclosing table.
The component-specific checks (SMARTS, reference SMILES, model folders) live in
`scoring_components.py`; this module checks the shape of the file.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from helixforge.chem.generate.scoring_toml import TomlLines
from helixforge.chem.generate.transforms import (
    Transform,
    TransformError,
    make_transform,
    transform_names,
)
from helixforge.core.errors import ConfigError

AGGREGATES = ("geometric", "arithmetic")
TOP_KEYS = ("title", "scoring", "component", "rl", "ga")
COMMON_KEYS = ("type", "name", "weight", "transform", "filter")
# component type → (required keys, optional keys with defaults)
COMPONENT_KEYS: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    "model": (("path",), {"column": None}),
    "admet": (("endpoint",), {}),
    "qed": ((), {}),
    "sa": ((), {}),
    "similarity": (("smiles",), {"fingerprint": "ecfp4", "aggregate": "max"}),
    "substructure": (("smarts",), {"mode": "required", "match": "any"}),
    "property": (("property",), {"element": None}),
}
# components whose raw value is not a [0, 1] score must say how to turn it into one
NEEDS_TRANSFORM = ("model", "property")
DEFAULT_TRANSFORM = {"sa": {"type": "reverse_sigmoid", "low": 2.5, "high": 5.5}}
RL_DEFAULTS: dict[str, Any] = {
    "sigma": 128.0,
    "learning_rate": 1e-4,
    "batch_size": 64,
    "memory_size": 100,
    "replay": 10,
    "diversity_filter": "scaffold",
    "bucket_size": 25,
    "min_score": 0.4,
    "temperature": 1.0,
    "max_len": 128,
    "patience": 50,
}
GA_DEFAULTS: dict[str, Any] = {
    "population": 100,
    "offspring": 200,
    "mutation_rate": 0.01,
    "start": "prior",
    "start_size": 1000,
    "min_atoms": 5,
    "max_atoms": 60,
    "patience": 50,
    "size_cap": False,  # GuacaMol's soft heavy-atom cap on children (measured worse: off)
}


@dataclass
class ComponentConfig:
    """One scoring component as written in the file, checked for shape."""

    index: int
    type: str
    name: str
    weight: float
    transform: Transform
    filter: bool
    params: dict[str, Any]


@dataclass
class DesignConfig:
    """A checked design file: scoring components, aggregation and optimiser settings."""

    path: Path
    text: str
    sha256: str
    aggregate: str
    components: list[ComponentConfig]
    rl: dict[str, Any] = field(default_factory=dict)
    ga: dict[str, Any] = field(default_factory=dict)
    title: str = ""
    lines: TomlLines | None = None

    def error(self, path: Sequence[Any], message: str, hint: str) -> ConfigError:
        """A ConfigError naming this file and the line of `path`."""
        return config_error(self.path, self.lines, path, message, hint)

    def resolved(self) -> dict[str, Any]:
        """The config with every default filled in (written as config.json)."""
        return {
            "title": self.title,
            "scoring": {"aggregate": self.aggregate},
            "component": [
                {
                    "type": c.type,
                    "name": c.name,
                    "weight": c.weight,
                    "filter": c.filter,
                    "transform": c.transform.to_dict(),
                    **c.params,
                }
                for c in self.components
            ],
            "rl": dict(self.rl),
            "ga": dict(self.ga),
        }


def config_error(
    file: str | os.PathLike, lines: TomlLines | None, path: Sequence[Any], message: str, hint: str
) -> ConfigError:
    line = lines.line(path) if lines else None
    where = f"{file}, line {line}" if line else str(file)
    return ConfigError(f"{where}: {message}", hint=hint)


def suggest(word: str, choices: Sequence[str]) -> str:
    """A hint for an unknown name: the closest of `choices` when one is close (the same word
    in other capitals first: '[RL]', type = "QED"), else all of them."""
    same = [c for c in choices if c.lower() == str(word).lower()]
    close = same or difflib.get_close_matches(str(word), list(choices), n=1)
    listed = ", ".join(choices)
    return f"did you mean {close[0]!r}? (one of: {listed})" if close else f"use one of: {listed}"


def _check_keys(table: Mapping, allowed: Sequence[str], err, path: tuple, what: str) -> None:
    for key in table:
        if key not in allowed:
            raise err(path + (key,), f"unknown key {key!r} in {what}", suggest(key, allowed))


def _as_number(value: Any, err, path: tuple, *, integer: bool, lo: float, hi: float) -> Any:
    ok = isinstance(value, int) if integer else isinstance(value, int | float)
    if isinstance(value, bool) or not ok or not (lo <= value <= hi):
        kind = "an integer" if integer else "a number"
        raise err(path, f"{path[-1]} = {value!r} must be {kind} in [{lo}, {hi}]", "fix the value")
    return value if integer else float(value)


def _options(raw: Any, defaults: dict, err, name: str) -> dict[str, Any]:
    if raw is None:
        return dict(defaults)
    if not isinstance(raw, Mapping):
        raise err(
            (name,), f"[{name}] must be a table", f"write it as [{name}] with key = value lines"
        )
    _check_keys(raw, list(defaults), err, (name,), f"[{name}]")
    out = dict(defaults)
    for key, value in raw.items():
        default = defaults[key]
        path = (name, key)
        if isinstance(default, str):
            if not isinstance(value, str) or not value:
                raise err(path, f"{key} must be a non-empty string", "quote the value")
            out[key] = value
        elif isinstance(default, bool):  # before int: a bool is an int to Python
            if not isinstance(value, bool):
                raise err(path, f"{key} = {value!r} must be true or false", "write true or false")
            out[key] = value
        else:
            limits = _LIMITS.get(key, (0.0, 1e9))
            out[key] = _as_number(
                value, err, path, integer=isinstance(default, int), lo=limits[0], hi=limits[1]
            )
    if name == "rl" and out["diversity_filter"] not in ("scaffold", "none"):
        raise err(
            (name, "diversity_filter"),
            f"unknown diversity_filter {out['diversity_filter']!r}",
            "use 'scaffold' or 'none'",
        )
    if name == "ga" and out["min_atoms"] > out["max_atoms"]:
        raise err(
            (name, "min_atoms"),
            "min_atoms is above max_atoms",
            "lower min_atoms or raise max_atoms",
        )
    return out


_LIMITS = {
    "sigma": (0.0, 1e6),
    "learning_rate": (1e-12, 1.0),
    "batch_size": (1, 100_000),
    "memory_size": (0, 100_000),
    "replay": (0, 100_000),
    "bucket_size": (1, 1_000_000),
    "min_score": (0.0, 1.0),
    # the prior's sampler takes these (Prior.sample): a wider window here passed the file
    # check and failed after the prior was loaded, naming neither the file nor the line
    "temperature": (0.05, 10.0),
    "max_len": (2, 1000),
    "patience": (1, 1_000_000),
    "population": (2, 100_000),
    "offspring": (1, 1_000_000),
    "mutation_rate": (0.0, 1.0),
    "start_size": (1, 10_000_000),
    "min_atoms": (1, 1000),
    "max_atoms": (1, 1000),
}


def _component(i: int, raw: Any, err, names: set[str]) -> ComponentConfig:
    path = ("component", i)
    if not isinstance(raw, Mapping):
        raise err(path, f"component {i + 1} is not a table", "write each as [[component]]")
    ctype = raw.get("type")
    if ctype is None:
        raise err(path, f"component {i + 1} has no 'type'", suggest("", list(COMPONENT_KEYS)))
    if ctype not in COMPONENT_KEYS:
        raise err(
            path + ("type",),
            f"unknown component type {ctype!r}",
            suggest(ctype, list(COMPONENT_KEYS)),
        )
    required, optional = COMPONENT_KEYS[ctype]
    _check_keys(raw, [*COMMON_KEYS, *required, *optional], err, path, f"a {ctype!r} component")
    for key in required:
        if key not in raw:
            raise err(
                path,
                f"the {ctype!r} component (component {i + 1}) needs {key!r}",
                f"add {key} = ... to it",
            )
    name = raw.get("name", ctype)
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name):
        raise err(
            path + ("name",),
            f"component name {name!r} is not a plain identifier",
            "use letters, digits and _ (it becomes a column name)",
        )
    if name in names:
        raise err(
            path + ("name",) if "name" in raw else path,
            f"two components are named {name!r}",
            "give each component its own name = ...",
        )
    names.add(name)
    for key in TEXT_PARAMS:
        value = raw.get(key)
        if value is not None and not isinstance(value, str):
            raise err(
                path + (key,),
                f"component {name!r}: {key} = {value!r} must be a string",
                f'quote it: {key} = "..."',
            )
    weight = _as_number(
        raw.get("weight", 1.0), err, path + ("weight",), integer=False, lo=0.0, hi=1e6
    )
    if weight == 0:
        raise err(
            path + ("weight",),
            "weight = 0 leaves the component out",
            "give a weight > 0, or delete the component",
        )
    filt = raw.get("filter", ctype == "substructure")
    if not isinstance(filt, bool):
        raise err(path + ("filter",), "filter must be true or false", "write filter = true")
    if ctype in NEEDS_TRANSFORM and "transform" not in raw:
        # a model's raw value is a regression prediction or a classifier's probability (a
        # score already): which one is known only once the run is loaded, so the file says
        why = (
            "a regression prediction is not a score in [0, 1]; a classifier's probability is "
            'one: say so with transform = "none"'
            if ctype == "model"
            else "its raw values are not scores in [0, 1]"
        )
        raise err(
            path,
            f"the {ctype!r} component {name!r} needs a transform: {why}",
            'add transform = { type = "sigmoid", low = ..., high = ... } (or double_sigmoid, step, maximise, minimise)',
        )
    try:
        transform = make_transform(raw.get("transform", DEFAULT_TRANSFORM.get(ctype)))
    except TransformError as exc:
        tpath = path + ("transform",) + ((exc.key,) if exc.key else ())
        hint = (
            suggest(str(raw["transform"].get("type")), transform_names())
            if exc.key == "type" and isinstance(raw.get("transform"), Mapping)
            else "see docs/design.md for the transform parameters"
        )
        raise err(tpath, f"component {name!r}: {exc}", hint) from None
    params = {k: raw.get(k, optional.get(k)) for k in (*required, *optional)}
    return ComponentConfig(i, ctype, name, weight, transform, filt, params)


# columns the outputs already hold: a component named so crashed the run after the prior
# was loaded (score, step, rank) or silently overwrote a column (smiles, valid, novel)
RESERVED_NAMES = ("smiles", "valid", "score", "step", "rank", "novel")
# component parameters that take one word (smiles and smarts also take a list)
TEXT_PARAMS = ("path", "column", "endpoint", "fingerprint", "aggregate", "mode", "match")
TEXT_PARAMS += ("property", "element")


def _check_column_names(components: Sequence[ComponentConfig], err) -> None:
    """Every component writes the columns `<name>` and `<name>_raw`: refuse a name that is a
    column of the outputs, or that is another component's `<name>_raw` (one column would
    silently hold two components' values)."""
    names = {c.name for c in components}
    for c in components:
        where = ("component", c.index) + (("name",) if c.name != c.type else ())
        if c.name in RESERVED_NAMES:
            raise err(
                where,
                f"component name {c.name!r} is a column of the outputs "
                f"({', '.join(RESERVED_NAMES)})",
                f'give it another name, e.g. name = "{c.name}_{c.type}"',
            )
        if c.name.endswith("_raw") and c.name.removesuffix("_raw") in names:
            raise err(
                where,
                f"component name {c.name!r} is the raw-value column of component "
                f"{c.name.removesuffix('_raw')!r}",
                "give it a name that does not end in _raw",
            )


def parse_design_text(text: str, path: str | os.PathLike = "design.toml") -> DesignConfig:
    """Parse and shape-check design TOML text (see `read_design_config`)."""
    path = Path(path)
    if not isinstance(text, str):
        raise ConfigError(
            f"{path}: the design text must be a str, not {type(text).__name__}",
            hint="pass the TOML text, or use read_design_config(path) for a file",
        )
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        where = f"{path}, line {m.group(1)}" if m else str(path)
        raise ConfigError(
            f"{where}: not valid TOML ({exc})", hint="fix the syntax (quotes, = signs, brackets)"
        ) from None
    lines = TomlLines(text)

    def err(p, message, hint):
        return config_error(path, lines, p, message, hint)

    _check_keys(data, TOP_KEYS, err, (), "the top level")
    scoring = data.get("scoring", {})
    if not isinstance(scoring, Mapping):
        raise err(("scoring",), "scoring must be a table", "write [scoring] with aggregate = ...")
    _check_keys(scoring, ["aggregate"], err, ("scoring",), "[scoring]")
    aggregate = scoring.get("aggregate", "geometric")
    if aggregate not in AGGREGATES:
        raise err(
            ("scoring", "aggregate"),
            f"unknown aggregate {aggregate!r}",
            suggest(str(aggregate), AGGREGATES),
        )
    comps = data.get("component")
    if not comps:
        raise err(
            (), "no scoring components", "add at least one [[component]] table with type = ..."
        )
    if not isinstance(comps, list):
        raise err(
            ("component",), "component must be an array of tables", "write each as [[component]]"
        )
    names: set[str] = set()
    components = [_component(i, raw, err, names) for i, raw in enumerate(comps)]
    _check_column_names(components, err)
    if all(c.filter for c in components):
        raise err(
            ("component", 0),
            "every component is a filter, nothing is scored",
            "set filter = false on at least one component",
        )
    title = data.get("title", "")
    if not isinstance(title, str):
        raise err(("title",), "title must be a string", "quote the title")
    return DesignConfig(
        path=path,
        text=text,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        aggregate=aggregate,
        components=components,
        rl=_options(data.get("rl"), RL_DEFAULTS, err, "rl"),
        ga=_options(data.get("ga"), GA_DEFAULTS, err, "ga"),
        title=title,
        lines=lines,
    )


def read_design_config(path: str | os.PathLike) -> DesignConfig:
    """Read a design TOML file; a missing or unreadable file, bad syntax, unknown keys,
    component types or transform names are a ConfigError naming the file and line."""
    p = Path(path)
    if p.is_dir():
        raise ConfigError(
            f"--config {p}: is a directory, not a design TOML file",
            hint="give the path of the .toml file itself (see docs/design.md)",
        )
    if not p.is_file():
        raise ConfigError(
            f"--config {p}: no such file",
            hint="give the path of a design TOML file (see docs/design.md)",
        )
    try:
        text = p.read_text(encoding="utf-8-sig")  # Notepad's byte-order mark is not TOML
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"--config {p}: cannot be read as UTF-8 text ({exc})",
            hint="save the file as UTF-8 TOML",
        ) from None
    return parse_design_text(text, p)
