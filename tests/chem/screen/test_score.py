"""Score expressions: what they compute, and what they refuse (before any work)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helixforge.chem.screen.score import ScoreExpression
from helixforge.core.errors import ConfigError

FRAME = pd.DataFrame(
    {
        "pic50.pIC50_pred": [6.0, 7.5, np.nan],
        "admet_herg": [0.2, 0.9, 0.1],
        "herg-run.label_prob": [0.1, 0.5, 0.3],
        "pass_pains": [True, False, True],
    }
)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("pic50.pIC50_pred - 0.5*admet_herg", [5.9, 7.05, np.nan]),
        ("-admet_herg ** 2", [-0.04, -0.81, -0.01]),
        ("max(admet_herg, 0.5) + min(1, 2, 3)", [1.5, 1.9, 1.5]),
        ("where(admet_herg > 0.5, 0, 1) * pass_pains", [1.0, 0.0, 1.0]),
        ("`herg-run.label_prob` * 10", [1.0, 5.0, 3.0]),
        ("log(admet_herg) < -1 and pass_pains", [1.0, 0.0, 1.0]),
        ("abs(0.5 - admet_herg) + exp(0)", [1.3, 1.4, 1.4]),
        ("1 / (admet_herg - 0.2)", [np.nan, 1 / 0.7, -10.0]),  # x/0 is no score, not inf
        ("3", [3.0, 3.0, 3.0]),
    ],
)
def test_expressions_compute_per_row(text, expected):
    np.testing.assert_allclose(ScoreExpression(text).evaluate(FRAME), expected)


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "empty"),
        ("pic50 +", "not a valid expression"),
        ("__import__('os').system('ls')", "not allowed"),
        ("open('x')", "'open' is not allowed"),
        ("admet_herg[0]", "not allowed"),
        ("'text'", "only numbers"),
        ("lambda: 1", "not allowed"),
        ("log(1, 2)", "log() takes 1"),
        ("max(admet_herg)", "two or more"),
        ("`unclosed", "unclosed backtick"),
        ("round(admet_herg)", "'round' is not allowed"),
        ("admet_herg if pass_pains else 0", "not allowed"),
    ],
)
def test_unsafe_or_malformed_expressions_are_refused(text, message):
    with pytest.raises(ConfigError, match="--score") as exc:
        ScoreExpression(text)
    assert message in str(exc.value)


def test_unknown_columns_are_named_with_the_available_ones():
    expr = ScoreExpression("pic50.pIC50_pred - admet_hreg")
    assert expr.columns == ["pic50.pIC50_pred", "admet_hreg"]
    with pytest.raises(ConfigError, match="'admet_hreg'") as exc:
        expr.check(FRAME.columns)
    assert "admet_herg" in exc.value.hint


def test_a_column_that_always_holds_text_is_refused_naming_the_numeric_ones():
    # 'smiles' or a conformal set ('0|1') scored NaN for every row, after the whole screen
    cols = ["smiles", "m.y_set", "m.y_prob"]
    with pytest.raises(ConfigError, match="'m.y_set' hold text") as exc:
        ScoreExpression("m.y_prob + m.y_set").check(cols, text_columns=["smiles", "m.y_set"])
    assert exc.value.hint == "score numeric columns: m.y_prob"
    ScoreExpression("m.y_prob").check(cols, text_columns=["smiles", "m.y_set"])


def test_an_unknown_column_hint_says_which_model_or_option_gives_it():
    with pytest.raises(ConfigError) as exc:
        ScoreExpression("pIC50_pred - admet_ames").check(["row", "pic50.pIC50_pred"])
    assert "did you mean 'pic50.pIC50_pred'?" in exc.value.hint
    assert "'admet_ames' is an ADMET panel column: add --admet" in exc.value.hint


def test_library_text_columns_score_as_numbers_booleans_and_decimal_commas():
    # a CSV library's own columns arrive as text: 'True' and '0,5' were NaN (no score, the
    # molecule silently left the ranking)
    frame = pd.DataFrame(
        {
            "row": [2, 3, 4, 5],
            "price": ["0,5", "1,25", "2", None],
            "in_stock": ["True", "false", "TRUE", ""],
            "run.pred": [1.0, 2.0, 3.0, 4.0],
        }
    )
    got = ScoreExpression("run.pred - price + in_stock").evaluate(frame)
    np.testing.assert_allclose(got, [1.5, 0.75, 2.0, np.nan])


def test_constant_division_by_zero_or_overflow_is_no_score_not_a_crash():
    """'1/0' and '10 ** 400' between constants raised ZeroDivisionError / OverflowError out of a
    screening worker (exit 1, traceback): constants are NumPy floats now; a score that reads no
    column and is not finite is refused by `check`."""
    import numpy as np
    import pandas as pd

    from helixforge.chem.screen.score import ScoreExpression
    from helixforge.core.errors import ConfigError

    frame = pd.DataFrame({"m.y_pred": [1.0, 2.0]})
    for text in ("m.y_pred + 1/0", "m.y_pred * 10 ** 400", "max(1/0, m.y_pred) - 1/0"):
        assert np.isnan(ScoreExpression(text).evaluate(frame)).all(), text
    for text in ("1/0", "10 ** 400", "log(0)", "-(1/0)"):
        with pytest.raises(ConfigError, match="reads no column and is not a finite number"):
            ScoreExpression(text).check(["m.y_pred"])
    ScoreExpression("2 ** 3").check(["m.y_pred"])  # a finite constant is allowed


@pytest.mark.parametrize(
    "text", ["-" * 5000 + "1", "-" * 150 + "m.y_pred", "(" * 300 + "1" + ")" * 300]
)
def test_a_deeply_nested_score_is_refused_not_a_recursion_error(text):
    """5,000 unary minus signs raised RecursionError out of the parser (exit 1, traceback)."""
    from helixforge.chem.screen.score import ScoreExpression
    from helixforge.core.errors import ConfigError

    with pytest.raises(ConfigError):
        ScoreExpression(text)
