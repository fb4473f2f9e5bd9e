"""LightGBM trees exported to ONNX reach the same leaves as LightGBM, for every float32 input."""

import numpy as np
import pytest

from helixforge.core.errors import InputError

lgb = pytest.importorskip("lightgbm")
pytest.importorskip(
    "onnxmltools", reason="ONNX export is a build-time tool (pip install onnxmltools)"
)
pytest.importorskip("onnxruntime")


def _booster(seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(400, 5))
    X[rng.random(X.shape) < 0.05] = np.nan  # missing values take each split's default branch
    y = np.nan_to_num(X[:, 0]) * 2 + np.sin(np.nan_to_num(X[:, 1]) * 3) + rng.normal(0, 0.1, 400)
    return lgb.train({"objective": "regression", "num_leaves": 15, "verbose": -1, "seed": seed},
                     lgb.Dataset(X, y), num_boost_round=40)  # fmt: skip


def _thresholds(booster) -> np.ndarray:
    out = []

    def walk(node):
        if "threshold" in node:
            out.append(node["threshold"])
            walk(node["left_child"])
            walk(node["right_child"])

    for tree in booster.dump_model()["tree_info"]:
        walk(tree["tree_structure"])
    return np.array(out)


def test_inputs_equal_to_a_rounded_up_threshold_take_lightgbms_branch(tmp_path):
    """ONNX keeps thresholds as float32. A float64 cut point t whose float32 rounding lies above
    it sent x = float32(t) (> t: LightGBM goes right) to the left in a plain conversion."""
    from helixforge.core.onnx_trees import OnnxTrees, export_lightgbm_onnx

    booster = _booster()
    t = _thresholds(booster)
    up = t[t.astype(np.float32).astype(np.float64) > t]
    assert len(up) > 5  # the case this test is about occurs in an ordinary model
    rng = np.random.default_rng(1)
    X = rng.normal(size=(len(up) * 5, 5)).astype(np.float32)
    for j in range(5):  # every feature sits exactly on one of the rounded-up cut points
        X[j * len(up) : (j + 1) * len(up), j] = up.astype(np.float32)
    X[::7, 2] = np.nan
    trees = OnnxTrees(export_lightgbm_onnx(booster, tmp_path / "m.onnx"))
    np.testing.assert_allclose(trees.predict(X), booster.predict(X), rtol=0, atol=1e-5)


def test_the_exported_model_is_written_atomically_and_scores_empty_input(tmp_path):
    from helixforge.core.onnx_trees import OnnxTrees, export_lightgbm_onnx

    path = export_lightgbm_onnx(_booster(), tmp_path / "m.onnx")
    assert [p.name for p in tmp_path.iterdir()] == ["m.onnx"]  # no temporary file left over
    again = export_lightgbm_onnx(_booster(), tmp_path / "again.onnx")
    assert again.read_bytes() == path.read_bytes()  # the same model gives the same bytes
    assert OnnxTrees(path).predict(np.zeros((0, 5), np.float32)).shape == (0,)


def test_a_damaged_onnx_file_is_an_input_error_naming_it(tmp_path):
    from helixforge.core.onnx_trees import OnnxTrees, export_lightgbm_onnx

    path = export_lightgbm_onnx(_booster(), tmp_path / "m.onnx")
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(InputError, match="m.onnx: truncated or corrupt ONNX model"):
        OnnxTrees(path)


def test_rounding_keeps_every_float32_on_its_side_of_each_threshold():
    from helixforge.core.onnx_trees import float32_exact_model

    booster = _booster(3)
    before = _thresholds(booster)
    after = _thresholds(lgb.Booster(model_str=float32_exact_model(booster.model_to_string())))
    assert np.all(after.astype(np.float32).astype(np.float64) == after)  # float32 values now
    assert np.all(after <= before)
    # no float32 lies in (after, before]: the next float32 above `after` is above `before`
    nxt = np.nextafter(after.astype(np.float32), np.float32(np.inf)).astype(np.float64)
    assert np.all(nxt > before)


def test_a_classifier_is_refused_rather_than_exported_to_output_labels(tmp_path):
    from helixforge.core.errors import ConfigError
    from helixforge.core.onnx_trees import export_lightgbm_onnx

    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    clf = lgb.train({"objective": "binary", "verbose": -1}, lgb.Dataset(X, X[:, 0] > 0), 5)
    with pytest.raises(ConfigError, match="objective is 'binary'"):
        export_lightgbm_onnx(clf, tmp_path / "c.onnx")
    assert not (tmp_path / "c.onnx").exists()
