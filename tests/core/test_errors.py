from helixforge.core.errors import HelixError, RowErrors
from helixforge.core.tables import read_table


def test_helix_error_carries_hint():
    err = HelixError("bad thing", hint="do this")
    assert "bad thing" in str(err) and "do this" in str(err)


def test_row_errors_collect_and_write(tmp_path):
    errs = RowErrors("in.csv")
    errs.add(5, "smiles", "C1CC", "unclosed ring")
    errs.add(9, "y", "abc", "not a number")
    assert len(errs) == 2 and errs.rows() == {5, 9}
    assert "in.csv, row 5, column 'smiles': unclosed ring" in str(errs.items[0])
    path = errs.write(tmp_path / "errors.csv")
    back = read_table(path)
    assert back["reason"].tolist() == ["unclosed ring", "not a number"]
