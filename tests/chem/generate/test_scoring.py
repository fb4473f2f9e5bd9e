"""Scoring a design TOML: desirability transforms, components, aggregation, line lookup."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from helixforge.chem.generate.scoring import canonical_smiles, load_scoring
from helixforge.chem.generate.scoring_config import parse_design_text
from helixforge.chem.generate.scoring_toml import TomlLines
from helixforge.chem.generate.transforms import TRANSFORMS, make_transform

PHENOL = "Oc1ccccc1"

PARAMS = {
    "none": {},
    "sigmoid": {"low": 2, "high": 6},
    "reverse_sigmoid": {"low": 2, "high": 6},
    "double_sigmoid": {"low": 2, "high": 6},
    "step": {"low": 2, "high": 6},
    "maximise": {"low": 2, "high": 6},
    "minimise": {"low": 2, "high": 6},
    "gaussian": {"mu": 4, "sigma": 1},
    "max_gaussian": {"mu": 4, "sigma": 1},
    "min_gaussian": {"mu": 4, "sigma": 1},
}


@pytest.mark.parametrize("name", sorted(TRANSFORMS))
def test_every_transform_keeps_the_shape_and_stays_in_0_1(name):
    t = make_transform({"type": name, **PARAMS[name]})
    x = np.array([[-1e9, 0.0, 2.0], [4.0, np.nan, 1e9]])
    y = t(x)
    assert y.shape == x.shape
    assert np.all((y >= 0) & (y <= 1))
    assert y[1, 1] == 0.0  # NaN (an undefined raw value) scores 0


def test_transform_shapes():
    x = np.linspace(0, 8, 81)
    sig = make_transform({"type": "sigmoid", "low": 2, "high": 6})(x)
    assert np.all(np.diff(sig) >= 0) and sig[0] < 0.01 and sig[-1] > 0.99
    assert math.isclose(sig[40], 0.5)  # the midpoint of low and high
    rev = make_transform({"type": "reverse_sigmoid", "low": 2, "high": 6})(x)
    assert np.allclose(rev, 1 - sig)
    ds = make_transform({"type": "double_sigmoid", "low": 2, "high": 6})(x)
    assert ds[40] > 0.99 and ds[0] < 0.01 and ds[-1] < 0.01
    step = make_transform({"type": "step", "low": 2, "high": 6})(np.array([1.9, 2, 6, 6.1]))
    assert step.tolist() == [0, 1, 1, 0]
    up = make_transform("maximise" if False else {"type": "maximise", "low": 2, "high": 6})
    assert up(np.array([0, 2, 4, 6, 9])).tolist() == [0, 0, 0.5, 1, 1]
    down = make_transform({"type": "minimize", "low": 2, "high": 6})  # US spelling accepted
    assert down(np.array([0, 4, 9])).tolist() == [1, 0.5, 0]
    mg = make_transform({"type": "max_gaussian", "mu": 4, "sigma": 1})(np.array([3, 4, 10]))
    assert mg[1] == 1 and mg[2] == 1 and math.isclose(mg[0], math.exp(-0.5))


CONFIG = """title = "phenol-like and drug-like"
[scoring]
aggregate = "{agg}"

[[component]]
type = "qed"
weight = 1

[[component]]
name = "sim"
type = "similarity"
smiles = ["Oc1ccccc1"]
weight = 2

[[component]]
name = "mw"
type = "property"
property = "mw"
transform = {{ type = "double_sigmoid", low = 50, high = 400 }}

[[component]]
name = "no_nitro"
type = "substructure"
smarts = "[N+](=O)[O-]"
mode = "forbidden"
"""


def test_components_are_kept_raw_and_transformed():
    scorer = load_scoring(parse_design_text(CONFIG.format(agg="geometric")))
    t = scorer.score([PHENOL, "CCO", "not a smiles", "CC[N+](=O)[O-]"])
    assert t.columns.tolist()[:3] == ["smiles", "valid", "score"]
    for name in ("qed", "sim", "mw", "no_nitro"):
        assert name in t and f"{name}_raw" in t
    assert t["smiles"].tolist()[:2] == [PHENOL, "CCO"]
    assert t["valid"].tolist() == [True, True, False, True]
    assert t.loc[0, "sim_raw"] == 1.0 and t.loc[0, "sim"] == 1.0
    assert t.loc[2, "score"] == 0.0  # invalid scores 0
    assert t.loc[3, "score"] == 0.0 and t.loc[3, "no_nitro"] == 0.0  # forbidden: filter → 0
    assert math.isclose(t.loc[1, "mw_raw"], 46.069, abs_tol=1e-3)


@pytest.mark.parametrize("agg", ["geometric", "arithmetic"])
def test_weighted_means(agg):
    t = load_scoring(parse_design_text(CONFIG.format(agg=agg))).score(["CCO"]).iloc[0]
    s = np.array([t["qed"], t["sim"], t["mw"]])
    w = np.array([1.0, 2.0, 1.0])
    want = (
        np.exp((w * np.log(s)).sum() / w.sum()) if agg == "geometric" else (w * s).sum() / w.sum()
    )
    assert math.isclose(t["score"], want * t["no_nitro"], rel_tol=1e-12)


def test_count_fingerprints_and_element_counts():
    text = """[[component]]
type = "similarity"
smiles = "CCOc1ccccc1"
fingerprint = "ecfp4_count"
[[component]]
name = "f"
type = "property"
property = "element_count"
element = "F"
transform = { type = "gaussian", mu = 1, sigma = 1 }
"""
    t = load_scoring(parse_design_text(text)).score(["CCOc1ccccc1", "FC(F)c1ccccc1"])
    assert t["similarity"].tolist()[0] == 1.0
    assert t["f_raw"].tolist() == [0.0, 2.0]


def test_model_component_reuses_a_chem_run(tmp_path, make_table, fast_gbm):
    from helixforge.chem.train import train_property_model

    run = tmp_path / "logp_run"
    train_property_model(
        make_table(0),
        "smiles",
        ["logp_like"],
        model="gbm",
        model_params=fast_gbm,
        out=run,
        report=False,
    )
    text = f"""[[component]]
name = "logp"
type = "model"
path = "{run}"
transform = {{ type = "sigmoid", low = 0, high = 3 }}
"""
    scorer = load_scoring(parse_design_text(text, tmp_path / "design.toml"))
    assert scorer.components[0].column == "logp_like_pred"
    t = scorer.score(["c1ccccc1CCC", "OCC(O)CO", "bad(("])
    assert t["logp_raw"][0] > t["logp_raw"][1] and np.isnan(t["logp_raw"][2])
    assert "model" in "".join(scorer.key())  # the run's files are part of the resume key


def test_model_component_refuses_a_text_column(tmp_path, make_table, fast_gbm):
    """column = "has_n_set" (a conformal set, '0|1') passed the checks and raised a bare
    ValueError from the first scoring batch."""
    from helixforge.chem.train import train_property_model
    from helixforge.core.errors import ConfigError

    run = tmp_path / "hasn_run"
    train_property_model(
        make_table(0), "smiles", ["has_n"], model="gbm-fast", model_params=fast_gbm, out=run,
        report=False,
    )  # fmt: skip
    text = f"""[[component]]
type = "model"
path = "{run}"
column = "has_n_set"
transform = {{ type = "sigmoid", low = 0, high = 1 }}
"""
    with pytest.raises(ConfigError, match="line 4: .*'has_n_set' .* holds text") as info:
        load_scoring(parse_design_text(text, tmp_path / "design.toml"))
    assert "has_n_prob" in info.value.hint


@pytest.mark.parametrize("endpoint", ["ld50_zhu", "molecular_weight", "lipinski"])
def test_admet_component_with_values_outside_0_1_needs_a_transform(endpoint):
    """A regression endpoint or a property (mol/kg, Da, counts) without a transform was
    clipped to 1.0 for almost every molecule: a constant score."""
    from helixforge.chem.admet.weights import WEIGHTS_DIR
    from helixforge.core.errors import ConfigError

    if not (WEIGHTS_DIR / "manifest.json").is_file():
        pytest.skip("the ADMET panel's weights are not installed in this checkout")
    text = f'[[component]]\ntype = "admet"\nendpoint = "{endpoint}"\n'
    with pytest.raises(ConfigError, match="line 3: .*not a score in \\[0, 1\\]"):
        load_scoring(parse_design_text(text))
    for ok in ("herg", "qed"):  # a probability, QED: scores already
        load_scoring(parse_design_text(f'[[component]]\ntype = "admet"\nendpoint = "{ok}"\n'))
    transformed = text + 'transform = { type = "sigmoid", low = 0, high = 5 }\n'
    load_scoring(parse_design_text(transformed))


def test_canonical_smiles():
    assert canonical_smiles("OCC") == canonical_smiles("C(O)C") == "CCO"
    assert canonical_smiles("C1CC") is None and canonical_smiles("") is None


def test_toml_lines_find_keys_in_arrays_inline_and_sub_tables():
    text = """title = "x"   # 1
[[component]]
type = "qed"
[[component]]
type = "similarity"
transform = { type = "sigmoid", low = 1 }
[component.extra]
key = 1
"""
    lines = TomlLines(text)
    assert lines.line(("title",)) == 1
    assert lines.line(("component", 0, "type")) == 3
    assert lines.line(("component", 1)) == 4
    assert lines.line(("component", 1, "transform", "low")) == 6
    assert lines.line(("component", 1, "extra", "key")) == 8
    assert lines.line(("component", 1, "missing")) == 4  # falls back to the table


def test_admet_component_uses_the_panel():
    from helixforge.chem.admet.weights import WEIGHTS_DIR

    if not (WEIGHTS_DIR / "manifest.json").is_file():
        pytest.skip("the ADMET panel's weights are not installed in this checkout")
    text = """[[component]]
type = "admet"
endpoint = "herg"
[[component]]
name = "logp"
type = "admet"
endpoint = "logp"
transform = { type = "double_sigmoid", low = 1, high = 3 }
"""
    t = load_scoring(parse_design_text(text)).score(["CCO", "c1ccccc1CCN(C)C"])
    assert t["admet"].between(0, 1).all() and t["logp_raw"][1] > t["logp_raw"][0]


def test_scoring_inputs_a_notebook_passes():
    """'C C' was scored as methane (RDKit reads text after a space as a name), 'CCO' as the
    three molecules C, C, O; a None config was a raw TypeError."""
    from helixforge.core.errors import ConfigError, InputError

    assert canonical_smiles("C C") is None and canonical_smiles("ＣＣO") is None
    assert canonical_smiles("  CCO\n") == "CCO"
    table = load_scoring(parse_design_text('[[component]]\ntype = "qed"\n'))
    with pytest.raises(InputError, match="one string"):
        table.score("CCO")
    frame = table.score(["CCO", "C C", None, float("nan")])
    assert frame["valid"].tolist() == [True, False, False, False]
    with pytest.raises(ConfigError, match="design TOML path or a DesignConfig"):
        load_scoring(None)
    with pytest.raises(ConfigError, match="must be a str"):
        parse_design_text(None)


def test_make_transform_errors_are_config_errors():
    """make_transform called from Python raised a bare ValueError subclass, outside the
    HelixError family every other API error belongs to."""
    from helixforge.chem.generate.transforms import TransformError
    from helixforge.core.errors import ConfigError

    with pytest.raises(ConfigError, match="must be a table"):
        make_transform(5)
    with pytest.raises(ValueError):  # still caught where ValueError was
        make_transform({"type": "sigmoid", "low": "a", "high": 1})
    assert issubclass(TransformError, ConfigError)


@pytest.mark.parametrize(
    ("smiles", "words"),
    [
        ('"*"', "'*' has 1 dummy / wildcard atom"),
        ('["CCO", "[*]c1ccccc1"]', "(reference 2 of 2) '[*]c1ccccc1' has 1 dummy"),
        ('"C[1*]"', "dummy / wildcard atom"),
        ('["CCO", ""]', "(reference 2 of 2) is an empty string, not a molecule"),
    ],
)
def test_load_scoring_refuses_references_that_are_not_molecules(tmp_path, smiles, words):
    """load_scoring (and SimilarityComponent) skipped the reference check `helix chem design`
    ran, so Python callers scored every molecule against an attachment point '*'."""
    from helixforge.chem.generate.scoring_components import (
        SimilarityComponent,
        check_similarity_references,
    )
    from helixforge.chem.generate.scoring_config import read_design_config
    from helixforge.core.errors import ConfigError

    path = tmp_path / "design.toml"
    path.write_text(
        '[[component]]\ntype = "qed"\n'
        f'[[component]]\ntype = "similarity"\nname = "near"\nsmiles = {smiles}\n',
        encoding="utf-8",
    )
    for call in (
        lambda: load_scoring(path),
        lambda: load_scoring(read_design_config(path)),
        lambda: check_similarity_references(read_design_config(path)),
        lambda: SimilarityComponent(
            read_design_config(path).components[1], read_design_config(path)
        ),
    ):
        with pytest.raises(ConfigError) as err:
            call()
        assert f"{path}, line 6: component 'near': smiles" in err.value.message
        assert words in err.value.message, err.value.message


def test_load_scoring_keeps_real_references():
    scorer = load_scoring(
        parse_design_text('[[component]]\ntype = "similarity"\nsmiles = ["CCO", "c1ccccc1O"]\n')
    )
    assert scorer.score(["CCO"])["similarity_raw"].tolist() == [1.0]


def test_a_step_window_with_low_equal_to_high_keeps_exactly_that_value():
    # "exactly one oxygen": low = high was refused as 'low must be below high'
    exactly_one = make_transform({"type": "step", "low": 1, "high": 1})
    assert exactly_one(np.array([0.0, 1.0, 2.0])).tolist() == [0, 1, 0]


@pytest.mark.parametrize(
    "component",
    [
        'type = "qed"\ntransform = { type = "sigmoid", low = 5, high = 8 }',  # QED is 0–1
        'type = "sa"\ntransform = "none"',  # SA 1–10 clipped: 1 for every molecule
        'type = "similarity"\nsmiles = "CCO"\ntransform = { type = "step", low = 2 }',
        'type = "property"\nproperty = "hbd"\ntransform = { type = "step", high = -1 }',  # a count
    ],
)
def test_a_transform_that_scores_every_possible_value_alike_is_refused(component):
    """The component could tell no molecules apart (and ≈0 under the geometric mean makes
    every total ≈0): the run steered nowhere without saying why."""
    from helixforge.core.errors import ConfigError

    with pytest.raises(ConfigError, match=r"line \d: .*the same score") as info:
        load_scoring(parse_design_text(f"[[component]]\n{component}\n"))
    assert "window inside" in info.value.hint


def test_a_model_component_checks_its_transform_against_the_task(tmp_path, make_table, fast_gbm):
    """A classifier scored through a pIC50 window scored every molecule ≈0; a regression
    prediction with transform = "none" was clipped to 0 or 1."""
    from helixforge.chem.train import train_property_model
    from helixforge.core.errors import ConfigError

    for target in ("has_n", "logp_like"):
        train_property_model(
            make_table(0), "smiles", [target], model="gbm", model_params=fast_gbm,
            out=tmp_path / target, report=False,
        )  # fmt: skip

    def component(run, transform):
        return (
            f'[[component]]\ntype = "model"\npath = "{tmp_path / run}"\ntransform = {transform}\n'
        )

    with pytest.raises(ConfigError, match="line 4: .*has_n_prob .*the same score"):
        load_scoring(
            parse_design_text(component("has_n", '{ type = "sigmoid", low = 5, high = 8 }'))
        )
    with pytest.raises(ConfigError, match="line 4: .*'logp_like_pred' .* regression prediction"):
        load_scoring(parse_design_text(component("logp_like", '"none"')))
    load_scoring(parse_design_text(component("has_n", '"none"')))  # a probability is a score
    load_scoring(
        parse_design_text(component("logp_like", '{ type = "sigmoid", low = 0, high = 3 }'))
    )


def test_a_multiclass_model_is_scored_by_a_class_probability(tmp_path, make_table, fast_gbm):
    """The default column of a multiclass run was its T_pred, a class label: 0 / 1 / 2 clipped
    to a score (class 2 scored as 1, class 0 as 0), and a T_prob_<class> column escaped the
    transform-range check."""
    from helixforge.chem.train import train_property_model
    from helixforge.core.errors import ConfigError

    table = make_table(0)
    table["size"] = pd.cut(table["logp_like"], 3, labels=False)  # classes 0, 1, 2
    train_property_model(
        table, "smiles", ["size"], task="multiclass", model="gbm", model_params=fast_gbm,
        out=tmp_path / "size", report=False,
    )  # fmt: skip
    component = f'[[component]]\ntype = "model"\npath = "{tmp_path / "size"}"\n'
    scorer = load_scoring(parse_design_text(component + 'transform = "none"\n'))
    assert scorer.components[0].column == "size_prob_2"  # as chem screen's default score
    with pytest.raises(ConfigError, match="line 4: .*'size_pred' .* predicted class") as info:
        load_scoring(parse_design_text(component + 'column = "size_pred"\ntransform = "none"\n'))
    assert "size_prob_0, size_prob_1, size_prob_2" in info.value.hint
    window = 'transform = { type = "sigmoid", low = 5, high = 8 }\n'
    with pytest.raises(ConfigError, match="size_prob_2 .*the same score"):
        load_scoring(parse_design_text(component + window))
