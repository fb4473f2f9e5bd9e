"""core.options: option checks shared by the library API."""

from __future__ import annotations

import pytest

from helixforge.core.errors import ConfigError
from helixforge.core.options import require_choice, require_float


def test_a_choice_in_another_case_is_refused_naming_the_one_meant():
    """The library uses the value as given, so 'Scaffold' is refused (the CLI normalises the
    case first), but the message names 'scaffold'."""
    with pytest.raises(ConfigError, match="'Scaffold' is not one of") as err:
        require_choice("Scaffold", "--split", ["scaffold", "random"])
    assert err.value.hint == "did you mean 'scaffold'?"
    with pytest.raises(ConfigError) as err:
        require_choice("randon", "--split", ["scaffold", "random"])
    assert err.value.hint == "did you mean 'random'?"
    with pytest.raises(ConfigError) as err:
        require_choice("xyz", "--split", ["scaffold", "random"])
    assert err.value.hint is None


@pytest.mark.parametrize("value", [float("nan"), float("inf"), "nan"])
def test_require_float_calls_nan_and_inf_not_finite_before_the_range(value):
    with pytest.raises(ConfigError, match="--coverage must be a finite number"):
        require_float(value, "--coverage", low=0, high=1)


@pytest.mark.parametrize("text", ["nan", "NaN", "inf", "-Infinity", "+inf"])
def test_a_nan_or_inf_parameter_is_called_not_finite_not_the_wrong_type(text):
    """`--param dropout=nan` was 'expected float (default 0.3)': JSON reads only NaN."""
    from helixforge.core.options import check_param_types, parse_params

    params = parse_params([f"dropout={text}"])
    with pytest.raises(ConfigError, match="dropout=.*must be a finite number"):
        check_param_types(params, {"dropout": 0.3})
    assert parse_params(["name=nano"]) == {"name": "nano"}  # other text stays text
