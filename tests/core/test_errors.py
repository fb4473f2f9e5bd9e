import pytest

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


def test_messages_show_plain_python_reprs_of_numpy_values():
    import numpy as np

    from helixforge.core.errors import ColumnNotFoundError, InputError, plain, quoted

    name = np.str_("it's")
    err = InputError(
        f"values {[np.str_('foo'), np.float64(2.5)]} and {name!r}", hint=f"{np.int64(3)!r}"
    )
    assert err.message == "values ['foo', 2.5] and \"it's\"" and err.hint == "3"
    assert "np." not in str(err)
    col = ColumnNotFoundError([np.str_("x")], np.array(["a", "b"]), "in.csv")
    assert col.message == "in.csv: column 'x' not found. Columns present: 'a', 'b'"
    assert plain({np.str_("k"): (np.int64(1), np.array([1.5]))}) == {"k": (1, [1.5])}
    assert quoted([np.str_("a"), 1]) == "'a', 1"


def test_row_errors_store_plain_values(tmp_path):
    import numpy as np

    errs = RowErrors("in.csv")
    errs.add(np.int64(4), "y", [np.str_("a")], "bad")
    errs.add(5, "y", np.float64(1.5), "bad")
    assert errs.items[0].value == "['a']" and errs.items[1].value == "1.5"
    assert type(errs.items[0].row) is int
    assert "np." not in errs.summary()


def test_markup_like_user_text_prints_verbatim():
    import typer
    from typer.testing import CliRunner

    from helixforge.cli.common import handle_errors

    app = typer.Typer()

    @app.command()
    @handle_errors
    def boom() -> None:
        raise HelixError("column [bold]x[/bold] and [np.str_('foo')] not found", hint="[red]fix[/]")

    res = CliRunner().invoke(app, [])
    assert res.exit_code == 2
    assert (
        "[bold]x[/bold]" in res.output and "['foo']" in res.output and "[red]fix[/]" in res.output
    )


def test_missing_column_suggests_the_column_that_differs_only_in_case():
    from helixforge.core.errors import ColumnNotFoundError

    err = ColumnNotFoundError(["smiles"], ["ID", "SMILES", "pIC50"], "lib.csv")
    assert "did you mean 'SMILES'?" in err.hint
    far = ColumnNotFoundError(["smiles"], ["ID", "pIC50"], "lib.csv")
    assert "did you mean" not in far.hint


def test_missing_column_in_a_file_that_starts_with_a_comment_line_says_so(tmp_path):
    from helixforge.core.errors import ColumnNotFoundError
    from helixforge.core.tables import read_table

    path = tmp_path / "c.csv"
    path.write_text("# exported by a vendor tool\nsmiles\nCCO\n")
    with pytest.raises(ColumnNotFoundError) as info:
        read_table(path, columns=["smiles"])
    assert "starts with '#'" in info.value.hint
    plain = ColumnNotFoundError(["smiles"], ["ID", "pIC50"], "lib.csv")
    assert "'#'" not in plain.hint


def test_missing_column_in_a_headerless_smiles_or_sequence_list_says_so(tmp_path):
    # a SMILES list saved as .txt/.csv: its first molecule was read as the header, and the
    # hint only said "check the delimiter and header line"
    from helixforge.core.errors import ColumnNotFoundError

    (tmp_path / "library.txt").write_text("C1=CC(=O)N2CC(C3)CNCC3C2=C1 mol0\nc1ccccc1 mol1\n")
    (tmp_path / "seqs.csv").write_text("ACGTACGTTTGACCA,1\nACGTTTTTGGGACCA,0\n")
    for name, col in (("library.txt", "smiles"), ("seqs.csv", "sequence")):
        with pytest.raises(ColumnNotFoundError, match="first line looks like data") as err:
            read_table(tmp_path / name, columns=[col])
        assert ".smi" in err.value.hint
    (tmp_path / "branch.csv").write_text("CC(C)CC(C)(C)O\nCCO\n")  # no ring, bond or bracket
    with pytest.raises(ColumnNotFoundError, match="first line looks like data"):
        read_table(tmp_path / "branch.csv", columns=["smiles"])
    (tmp_path / "ok.csv").write_text("pIC50,IC50(nM),logP(o/w)\n5,1,x\n")
    with pytest.raises(ColumnNotFoundError) as err:
        read_table(tmp_path / "ok.csv", columns=["smiles"])
    assert "looks like data" not in err.value.hint


def test_an_empty_cell_is_an_empty_value_in_the_errors_table_not_nan():
    import numpy as np
    import pandas as pd

    from helixforge.core.errors import RowErrors

    errors = RowErrors("in.csv")
    for value in (float("nan"), np.float64("nan"), pd.NA, None, "nan", 0.5):
        errors.add(2, "x", value, "r")
    assert [e.value for e in errors] == [None, None, None, None, "nan", "0.5"]


def test_the_errors_table_lists_each_files_rows_in_order(tmp_path):
    """Checks run in stages (parse, then genome lookup) found row 6 before row 5."""
    import pandas as pd

    from helixforge.core.errors import RowErrors

    e = RowErrors("b.vcf")
    e.add(6, "REF", "A", "late stage")
    e.add(None, None, None, "file-level")
    e.add(5, "ALT", "*", "early stage")
    other = RowErrors("a.csv")
    other.add(3, "x", 1, "r")
    e.extend(other)
    e.add(2, "POS", "0", "another")
    t = pd.read_csv(e.write(tmp_path / "errors.csv"))
    assert t["file"].tolist() == ["b.vcf"] * 4 + ["a.csv"]  # files in the order first met
    assert t["row"].iloc[:3].tolist() == [2, 5, 6]  # then the file-level entry
    assert pd.isna(t["row"].iloc[3]) and t["reason"].iloc[3] == "file-level"


def test_a_comma_joined_list_of_present_columns_is_told_to_repeat_the_option():
    """--label-col a,b (meaning two targets) said only 'column 'a,b' not found'."""
    from helixforge.core.errors import ColumnNotFoundError

    err = ColumnNotFoundError(["logp, has_n"], ["id", "smiles", "logp", "has_n"], "d.csv")
    assert "repeat the option once per column" in err.hint and "'logp' and 'has_n'" in err.hint
    other = ColumnNotFoundError(["a,b"], ["id", "a"], "d.csv")  # 'b' is missing: no such hint
    assert "repeat" not in other.hint
