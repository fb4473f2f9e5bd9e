"""Reading a design TOML file (`chem.generate.scoring_config`): a mistake is named by the
file, its line and the closest right spelling.

    cfg = read_design_config("design.toml")   # ConfigError "design.toml, line 3: ..." on a mistake
"""

import pytest

from helixforge.chem.generate.scoring_config import read_design_config, suggest
from helixforge.core.errors import ConfigError

GOOD = '[[component]]\ntype = "qed"\n'


def refusal(tmp_path, text: str) -> ConfigError:
    path = tmp_path / "design.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        read_design_config(path)
    return info.value


def test_a_misspelt_array_of_tables_header_names_its_line(tmp_path):
    """'[[components]]' was refused as 'design.toml: unknown key' with no line: the line of
    an array of tables was recorded under its first element only."""
    err = refusal(tmp_path, 'title = "x"\n\n[[components]]\ntype = "qed"\n')
    assert err.message.startswith(f"{tmp_path / 'design.toml'}, line 3: unknown key 'components'")
    assert "did you mean 'component'?" in err.hint


@pytest.mark.parametrize(
    ("text", "line", "wanted"),
    [
        (GOOD + "[RL]\nsigma = 10\n", 3, "rl"),  # the table's name in capitals
        (GOOD + "[GA]\npopulation = 10\n", 3, "ga"),
        ('[[component]]\ntype = "QED"\n', 2, "qed"),
        ('[[component]]\ntype = "SA"\n', 2, "sa"),
        (GOOD + "Weight = 2\n", 3, "weight"),
        (GOOD + "[rl]\nBatch_Size = 8\n", 4, "batch_size"),
    ],
)
def test_a_name_written_in_other_capitals_is_suggested_in_the_right_ones(
    tmp_path, text, line, wanted
):
    """TOML keys and these names are case-sensitive; '[RL]' and type = "QED" were answered
    with the whole list ('use one of: …') instead of the one name meant."""
    err = refusal(tmp_path, text)
    assert err.message.startswith(f"{tmp_path / 'design.toml'}, line {line}:"), err.message
    assert f"did you mean {wanted!r}?" in err.hint, err.hint


def test_suggest_prefers_the_same_word_in_other_capitals():
    assert suggest("Rl", ["title", "rl", "ga"]).startswith("did you mean 'rl'?")
    assert suggest("zzz", ["rl", "ga"]) == "use one of: rl, ga"
