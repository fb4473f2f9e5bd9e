import json

import numpy as np

from helixforge.core.artifacts import RunDir, load_json, save_json
from helixforge.core.report import Report


def test_report_contains_embedded_plots(tmp_path):
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 100)
    s = np.clip(y * 0.6 + rng.random(100) * 0.5, 0, 1)
    rep = Report("demo", "subtitle")
    rep.add_metrics({"test": {"roc_auc": 0.9, "mae": float("nan")}})
    rep.add_classification(y, s)
    rep.add_regression(
        rng.normal(size=50), rng.normal(size=50), lower=np.zeros(50) - 1, upper=np.zeros(50) + 1
    )
    rep.add_learning_curves([{"epoch": 0, "train_loss": 1.0}, {"epoch": 1, "train_loss": 0.5}])
    html = rep.write(tmp_path / "r.html").read_text()
    assert (
        html.count("data:image/png;base64,") == 7
    )  # ROC, PR, confusion, calibration, parity, residuals, curves
    assert "ROC" in html and "<table>" in html


def test_report_single_class_explains_instead_of_crashing(tmp_path):
    html = Report("x").add_classification([1, 1, 1], [0.2, 0.5, 0.9]).render()
    assert "Only one class" in html


def test_json_nan_becomes_null_and_run_dir(tmp_path):
    save_json({"a": float("nan"), "b": np.float32(1.5)}, tmp_path / "m.json")
    assert json.loads((tmp_path / "m.json").read_text()) == {"a": None, "b": 1.5}
    run = RunDir(tmp_path / "run")
    run.save_config({"seed": 1})
    run.save_versions(data_files=[tmp_path / "m.json"])
    card = run.write_card("Model", {"Data": "x"})
    assert load_json(run / "config.json") == {"seed": 1}
    assert "numpy" in load_json(run / "versions.json")["libraries"]
    assert card.read_text().startswith("# Model")


def test_report_template_escapes_user_text_and_is_byte_stable(tmp_path):
    import pandas as pd

    from helixforge.core.report import Report

    def build():
        rep = Report("assay <b>x</b>", subtitle="a & b")
        rep.add_text("<script>alert(1)</script>")
        rep.add_table(pd.DataFrame({"name": ["<i>mol</i>"], "value": [0.5]}))
        return rep.render()

    html = build()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "&lt;i&gt;mol&lt;/i&gt;" in html and "assay &lt;b&gt;x&lt;/b&gt;" in html
    assert build() == html  # no timestamp: the same run gives the same bytes


def test_a_confusion_matrix_keeps_every_named_class_even_one_the_rows_lack():
    # a 3-class run evaluated on rows of class 0 only crashed drawing its report
    # (3 tick labels for the 2 classes present)
    from helixforge.core.report import confusion_figure

    fig = confusion_figure(np.array([0, 0, 0]), np.array([0, 2, 0]), ["acceptor", "donor", "none"])
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["acceptor", "donor", "none"]
    assert ax.images[0].get_array().shape == (3, 3)
    assert [t.get_text() for t in confusion_figure([1, 0], [1, 1]).axes[0].get_xticklabels()] == [
        "0",
        "1",
    ]


def test_classification_report_names_the_classes_and_says_n_a_for_an_undefined_precision():
    # a classifier that predicts every row positive: the precision of class 'inactive' is 0/0
    rep = Report("t").add_classification(
        [0, 1, 0, 1], [0.9, 0.8, 0.7, 0.6], labels=["inactive <i>", "active"]
    )
    html = rep.render()
    row = html.split("<tr><td>inactive &lt;i&gt;</td>")[1].split("</tr>")[0]
    assert row == "<td>n/a</td><td>0</td><td>0</td><td>2</td>"  # precision, recall, F1, support
    assert "<td>accuracy</td>" not in html  # a scalar: it filled the support column with 0.5


def test_parity_caption_says_when_intervals_are_unbounded_or_thinned():
    # conformal intervals are infinite when the valid part is too small for the coverage
    y = np.arange(5.0)
    inf = np.full(5, np.inf)
    html = Report("t").add_regression(y, y + 0.1, "test", -inf, inf).render()
    assert "prediction intervals unbounded (see the notes), not drawn" in html

    # a 5,000-row test part: bars for 300 rows spread over the measured range, not 5,000
    y = np.linspace(0, 1, 5000)
    html = Report("t").add_regression(y, y, "test", y - 0.1, y + 0.1).render()
    assert "with prediction intervals of 300 of 5000 rows" in html


def test_residual_histogram_of_a_model_off_by_a_constant_draws_instead_of_raising():
    # residuals 0.1 ± 1e-17: numpy's 40 bins over that span raised 'Too many bins'
    y = np.arange(5.0)
    html = Report("t").add_regression(y, y + 0.1, "test").render()
    assert html.count("data:image/png;base64,") == 2  # parity, residuals


def test_a_very_long_target_name_does_not_stretch_the_figures():
    import base64
    import io
    import re

    from PIL import Image

    name = "logP_" + "x" * 300
    y = np.arange(6.0)
    html = Report("t").add_regression(y, y[::-1], name).render()
    for png in re.findall(r"base64,([A-Za-z0-9+/=]+)", html):
        assert Image.open(io.BytesIO(base64.b64decode(png))).size[0] < 800  # was 3,486 px
    assert f"<h2>Regression — {name}</h2>" in html  # the heading keeps the whole name
