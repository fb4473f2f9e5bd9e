import numpy as np

from helixforge.chem.models.base import PropertyModel
from helixforge.lm.estimator import LMPropertyModel


def test_lm_property_model_follows_the_property_model_interface(tmp_path, smiles_file):
    from helixforge.lm.pretrain import pretrain

    ckpt = tmp_path / "smiles_lm"
    pretrain(
        smiles_file,
        "smiles-atom",
        arch="encoder",
        size={"hidden": 32, "layers": 2, "heads": 2, "ffn": 64},
        max_len=32,
        steps=3,
        batch_size=8,
        out=ckpt,
        threads=1,
        device="cpu",
    )
    smiles = ["CCO", "CCCO", "CCCCO", "c1ccccc1", "c1ccccc1C", "c1ccccc1CC", "CCN", "CCCN"] * 3
    y = np.array([[float("c" in s), len(s)] for s in smiles])
    y[0, 1] = np.nan
    model = LMPropertyModel.from_spec(f"lm:{ckpt}", epochs=2, batch_size=8, threads=1, device="cpu")
    assert isinstance(model, PropertyModel)
    model.fit(smiles, y, ["binary", "regression"], valid=(smiles[:4], y[:4]), seed=0)
    pred = model.predict(smiles[:5])
    assert pred.shape == (5, 2) and np.isfinite(pred).all()
    model.save(tmp_path / "est")
    loaded = LMPropertyModel.load(tmp_path / "est")
    assert loaded.task_types == ["binary", "regression"]
    assert np.allclose(loaded.predict(smiles[:5]), pred, atol=1e-5)


def test_lm_property_model_follows_the_core_estimator_protocol():
    from helixforge.core.estimator import Estimator
    from helixforge.lm.estimator import FinetunedLM

    assert isinstance(LMPropertyModel("some/checkpoint"), Estimator)
    assert FinetunedLM is LMPropertyModel


def test_fit_names_missing_labels_and_reads_one_task_name(tmp_path):
    import numpy as np
    import pytest
    from tiny_models import tiny_decoder

    from helixforge.core.errors import InputError
    from helixforge.lm.estimator import LMPropertyModel

    model = LMPropertyModel(str(tiny_decoder(tmp_path / "dec")), epochs=1, device="cpu")
    with pytest.raises(InputError, match="y is None"):
        model.fit(["ACGT", "TTGA"], None, ["regression"])
    with pytest.raises(InputError, match="y must be numbers"):
        model.fit(["ACGT", "TTGA"], ["high", "low"], ["regression"])
    with pytest.raises(InputError, match=r"sequences\[1\] is missing"):
        model.fit(["ACGT", None], [1.0, 2.0], "regression")
    # 'regression' is one task (it was read as 10 one-letter task names)
    y, tasks = model._check_y(["ACGT", "TTGA"], np.array([1.0, 2.0]), "regression")
    assert tasks == ["regression"] and y.shape == (2, 1)


def test_a_token_classifier_without_valid_holds_out_rows_for_early_stopping(pretrained_encoder):
    """Like a sequence task, a token classifier fit on 10+ rows without `valid` keeps 10 % of
    them for early stopping (it trained on every row and stopped on the training loss)."""
    rng = np.random.default_rng(0)
    seqs = ["".join(rng.choice(list("ACGT"), 20)) for _ in range(12)]
    labels = [[int(c in "GC") for c in s] for s in seqs]
    tc = LMPropertyModel(
        pretrained_encoder, epochs=1, batch_size=8, lr=5e-3, threads=1, device="cpu"
    ).fit(seqs, labels, ["token-classification"])
    assert all("valid_loss" in row for row in tc.history)
