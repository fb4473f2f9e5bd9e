"""`chem.admet.report`: the summary table and report are given the panel that wrote the table."""

from __future__ import annotations

import pandas as pd
import pytest

from helixforge.chem.admet.report import summary_table, write_admet_report
from helixforge.core.errors import ConfigError, InputError


@pytest.mark.parametrize("panel", [None, ["logp"], "logp"])
def test_a_missing_panel_is_a_clear_error(tmp_path, panel):
    """summary_table(df, None) was AttributeError: 'NoneType' object has no attribute ..."""
    df = pd.DataFrame({"admet_logp": [1.0, 2.0]})
    with pytest.raises(ConfigError, match="summary_table: panel must be an ADMETPanel"):
        summary_table(df, panel)
    with pytest.raises(ConfigError, match="write_admet_report: panel must be an ADMETPanel"):
        write_admet_report(tmp_path / "missing.csv", tmp_path / "r.html", panel)


def test_summary_of_a_panel_table():
    from helixforge.chem.admet import ADMETPanel

    panel = ADMETPanel(endpoints=["logp"], percentiles=False, domain=False)
    table = summary_table(pd.DataFrame({"admet_logp": [1.0, 2.0, 3.0, "x"]}), panel)
    assert table.to_dict("records")[0]["n"] == 3 and table["median"].tolist() == [2.0]
    with pytest.raises(InputError, match="DataFrame"):
        summary_table({"admet_logp": [1.0]}, panel)
