"""Reading a design TOML file (`chem.generate.scoring_config`): a mistake is named by the
file, its line and the closest right spelling.

    cfg = read_design_config("design.toml")   # ConfigError "design.toml, line 3: ..." on a mistake
"""

import pytest

from helixforge.chem.generate.scoring_config import read_design_config
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
