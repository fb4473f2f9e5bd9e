"""SequenceModel: train on sequences with a planted motif, predict on both strands, save/load."""

import numpy as np
import pytest
import torch

from helixforge.core.errors import ConfigError, InputError
from helixforge.dna.models import SequenceModel, load_sequence_model, make_sequence_model
from helixforge.dna.sequence import reverse_complement

MOTIF = "TTGATTACAG"  # not a palindrome: planted on either strand


def planted(n: int, length: int = 60, seed: int = 0, vary: bool = False):
    """Half the sequences carry MOTIF (on either strand) at a random position: label 1."""
    rng = np.random.default_rng(seed)
    seqs, labels = [], []
    for i in range(n):
        L = int(rng.integers(length - 15, length + 1)) if vary else length
        s = list(rng.choice(list("ACGT"), L))
        if i % 2:
            p = int(rng.integers(0, L - len(MOTIF)))
            s[p : p + len(MOTIF)] = list(MOTIF if rng.random() < 0.5 else reverse_complement(MOTIF))
        seqs.append("".join(s))
        labels.append(i % 2)
    return seqs, np.array(labels)


@pytest.fixture(scope="module")
def resnet():
    torch.set_num_threads(1)
    seqs, y = planted(600, vary=True)
    vs, vy = planted(200, seed=1, vary=True)
    return SequenceModel(arch="resnet", epochs=6, batch_size=32, threads=1, seed=0).fit(
        seqs, y, valid=(vs, vy)
    )


def test_resnet_learns_planted_motif(resnet):
    ts, ty = planted(200, seed=2, vary=True)
    p = resnet.predict(ts)
    assert p.shape == (200, 1) and np.all((p >= 0) & (p <= 1))  # (n, tasks): core protocol
    assert np.mean((p[:, 0] >= 0.5) == ty) > 0.85
    np.testing.assert_allclose(resnet.predict_proba(ts)[:, 1:], p)


def test_prediction_is_strand_symmetric(resnet):
    ts, _ = planted(20, seed=3)
    p = resnet.predict(ts)
    p_rc = resnet.predict([reverse_complement(s) for s in ts])
    np.testing.assert_allclose(p, p_rc, atol=1e-5)


def test_forward_onehot_gives_gradients(resnet):
    from helixforge.dna.encode import onehot_batch

    x = torch.from_numpy(onehot_batch(planted(4, seed=4)[0])).requires_grad_(True)
    logits = resnet.forward_onehot(x)
    assert logits.shape == (4, 1)
    logits.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_save_and_load_roundtrip(resnet, tmp_path):
    ts, _ = planted(30, seed=5)
    resnet.save(tmp_path / "m")
    again = load_sequence_model(tmp_path / "m")
    np.testing.assert_allclose(again.predict(ts), resnet.predict(ts), atol=1e-6)
    assert again.classes_ == [0, 1]


def test_cnn_has_a_fixed_maximum_length():
    torch.set_num_threads(1)
    seqs, y = planted(64, length=70)
    model = SequenceModel(arch="cnn", epochs=1, batch_size=32, threads=1).fit(seqs, y)
    assert (
        model.max_len == 70
    )  # the longest training sequence (at least 64 for three k=8 convolutions)
    assert model.predict(["ACGT" * 5]).shape == (1, 1)  # shorter inputs are padded with N
    with pytest.raises(InputError, match="longer than the model's maximum of 70"):
        model.predict(["A" * 71])


def test_multiclass_and_regression_tasks():
    torch.set_num_threads(1)
    seqs, y = planted(60)
    labels = np.array(["a", "b", "c"])[np.arange(60) % 3]
    mc = SequenceModel(arch="resnet", task="multiclass", epochs=1, batch_size=32, threads=1).fit(
        seqs, labels
    )
    proba = mc.predict_proba(seqs[:5])
    assert proba.shape == (5, 3) and np.allclose(proba.sum(axis=1), 1)
    assert mc.predict(seqs[:5])[:, 0].tolist() == proba.argmax(axis=1).tolist()
    assert set(mc.predict_label(seqs[:5])) <= {"a", "b", "c"}
    target = np.array([s.count("G") for s in seqs], dtype=float) * 10 + 100
    reg = SequenceModel(arch="resnet", task="regression", epochs=1, batch_size=32, threads=1).fit(
        seqs, target
    )
    assert reg.predict(seqs[:3]).shape == (3, 1)
    assert 50 < reg.predict(seqs[:3]).mean() < 400  # targets are rescaled back to their units


def test_position_bins_keep_any_length_and_strand_symmetry():
    torch.set_num_threads(1)
    seqs, y = planted(64)
    model = SequenceModel(
        arch="resnet", epochs=1, batch_size=32, threads=1, arch_params={"position_bins": 8}
    ).fit(seqs, y)
    assert model.predict(["ACGT" * 3, "ACGT" * 40]).shape == (2, 1)
    np.testing.assert_allclose(
        model.predict(seqs[:5]), model.predict([reverse_complement(s) for s in seqs[:5]]), atol=1e-5
    )


def test_bad_options_and_labels():
    with pytest.raises(ConfigError, match="unknown DNA architecture"):
        SequenceModel(arch="transformer")
    with pytest.raises(ConfigError, match="declared binary but has 3 distinct labels"):
        SequenceModel(arch="resnet", epochs=1).fit(["ACGT"] * 3, [0, 1, 2])
    with pytest.raises(ConfigError, match="one target"):
        SequenceModel(arch="cnn", epochs=1).fit(["ACGT"] * 2, np.zeros((2, 2)), ["binary"] * 2)
    with pytest.raises(ConfigError, match="not found"):
        make_sequence_model("lm:/no/such/checkpoint")
    with pytest.raises(ConfigError, match="--batch-size must be at least 1"):
        SequenceModel(arch="cnn", batch_size=0)
    with pytest.raises(ConfigError, match="--param nope: unknown parameter"):
        SequenceModel(arch="resnet", arch_params={"nope": 1})
    with pytest.raises(ConfigError, match="expected int"):
        SequenceModel(arch="resnet", arch_params={"channels": "many"})


def test_registry_names_every_architecture_and_refuses_unknown_ones():
    from helixforge.dna.models import architecture_names

    assert {"cnn", "resnet", "resnet_pos", "lm:PATH"} <= set(architecture_names())
    with pytest.raises(ConfigError) as err:
        make_sequence_model("transformer")
    assert "cnn, lm:PATH, resnet, resnet_pos" in err.value.hint
    with pytest.raises(ConfigError, match="needs a PATH"):
        make_sequence_model("lm")
    with pytest.raises(ConfigError, match="takes no ':' argument"):
        make_sequence_model("cnn:big")
    pos = make_sequence_model("resnet_pos", epochs=1)
    pos.config.max_len = 60
    assert pos._build().position_bins == 8
    assert make_sequence_model("resnet")._build().position_bins == 0


def test_damaged_model_folders_are_clear_errors(resnet, tmp_path):
    import shutil

    good = resnet.save(tmp_path / "good")
    cases = {
        "config.json": lambda d: (d / "config.json").write_text("{not json"),
        "model.safetensors": lambda d: (d / "model.safetensors").write_bytes(
            (good / "model.safetensors").read_bytes()[:100]
        ),
        "missing": lambda d: (d / "model.safetensors").unlink(),
    }
    for name, damage in cases.items():
        d = tmp_path / name
        shutil.copytree(good, d)
        damage(d)
        with pytest.raises(InputError) as err:
            load_sequence_model(d)
        assert str(d) in err.value.message, name


def test_resume_after_an_interruption_gives_the_uninterrupted_weights(tmp_path, monkeypatch):
    from helixforge.dna.models import estimator

    torch.set_num_threads(1)
    seqs, y = planted(96)
    vs, vy = planted(32, seed=1)
    kw = dict(arch="resnet", epochs=3, batch_size=16, threads=1, patience=10, seed=3)
    full = SequenceModel(**kw, checkpoint_dir=tmp_path / "a").fit(seqs, y, valid=(vs, vy))

    class Killed(Exception):
        pass

    real = estimator._epoch_seed

    def stop_after_first_epoch(seed, epoch):
        if epoch == 1:
            raise Killed
        return real(seed, epoch)

    monkeypatch.setattr(estimator, "_epoch_seed", stop_after_first_epoch)
    with pytest.raises(Killed):
        SequenceModel(**kw, checkpoint_dir=tmp_path / "b").fit(seqs, y, valid=(vs, vy))
    monkeypatch.setattr(estimator, "_epoch_seed", real)
    again = SequenceModel(**kw, checkpoint_dir=tmp_path / "b", resume=True).fit(
        seqs, y, valid=(vs, vy)
    )
    assert len(again.history) == 3
    for (k, a), b in zip(
        full.torch_module.state_dict().items(), again.torch_module.state_dict().values()
    ):
        assert torch.equal(a, b), k


def test_core_protocol_encoded_labels_seed_and_finished_members(tmp_path):
    """fit(X, y (n, 1) encoded, task_types, valid=, seed=) as core.supervised calls it."""
    from helixforge.core.estimator import Estimator, task_outputs

    torch.set_num_threads(1)
    seqs, y = planted(64)
    vs, vy = planted(16, seed=1)
    kw = dict(arch="cnn", epochs=2, batch_size=16, threads=1)
    m = SequenceModel(**kw, checkpoint_dir=tmp_path / "c").fit(
        seqs, y[:, None].astype(float), ["multiclass"], valid=(vs, vy[:, None] * 1.0), seed=7
    )
    assert isinstance(m, Estimator) and m.config.seed == 7 and m.task == "multiclass"
    assert m.classes_ == [0, 1] and m.n_outputs == 2
    outs = task_outputs(m, seqs[:4], ["multiclass"])
    assert outs[0].shape == (4, 2)
    assert (tmp_path / "c" / "final" / "model.safetensors").exists()
    again = SequenceModel(**kw, checkpoint_dir=tmp_path / "c", resume=True)
    again.fit(seqs, y[:, None] * 1.0, ["multiclass"], valid=(vs, vy[:, None] * 1.0), seed=7)
    for a, b in zip(m.torch_module.state_dict().values(), again.torch_module.state_dict().values()):
        assert torch.equal(a, b)  # a finished member is loaded on resume, not retrained
    assert again.history == m.history


class _FakeLM:
    """Stands in for helixforge.lm.finetune.FinetunedLM: records what the adapter hands it."""

    seen: dict = {}

    def __init__(self, path, **options):
        _FakeLM.seen.update(path=path, options=options)

    def fit(self, seqs, y, task_types, valid=None, seed=0):
        _FakeLM.seen.update(y=y, task_types=task_types, valid_y=None if valid is None else valid[1])
        return self

    def predict(self, seqs):
        return np.array([[0.9 if "TTGATTACAG" in s else 0.1] for s in seqs])


def test_lm_spec_maps_labels_for_the_lm_estimator(tmp_path, monkeypatch):
    from helixforge.dna.models import lm_adapter

    monkeypatch.setattr(lm_adapter, "finetuned_lm_class", lambda: _FakeLM)
    (tmp_path / "ckpt").mkdir()
    with pytest.raises(ConfigError, match="unknown parameter"):
        make_sequence_model(f"lm:{tmp_path / 'ckpt'}", arch_params={"x": 1})
    model = make_sequence_model(
        f"lm:{tmp_path / 'ckpt'}", task="binary", epochs=2, arch_params={"lora": True}
    )
    model.fit(["ACGT", "TTGATTACAG"], np.array(["no", "yes"]), valid=(["ACGT"], np.array(["no"])))
    opts = _FakeLM.seen["options"]
    assert opts["epochs"] == 2 and opts["lora"] is True and _FakeLM.seen["task_types"] == ["binary"]
    assert _FakeLM.seen["y"].tolist() == [[0.0], [1.0]]
    assert _FakeLM.seen["valid_y"].tolist() == [[0.0]]
    assert model.predict_label(["GGGTTGATTACAG", "AAAA"]) == ["yes", "no"]


@pytest.mark.parametrize(
    "model, param, value, message",
    [
        ("cnn", "channels", -1, "must be a non-empty list"),
        ("cnn", "channels", [8, 0], "(each value) must be at least 1"),
        ("cnn", "dropout", 5.0, "must be < 1"),
        ("cnn", "kernel_size", 0, "must be at least 1"),
        ("resnet", "dilations", [], "must be a non-empty list"),
        ("resnet", "position_bins", -1, "must be at least 0"),
        ("resnet", "pool", 0, "must be at least 1"),
    ],
)
def test_an_out_of_range_param_is_a_config_error_before_training(model, param, value, message):
    # each was a torch traceback mid-run (TypeError, ValueError, RuntimeError)
    from helixforge.core.errors import ConfigError
    from helixforge.dna.models import make_sequence_model

    with pytest.raises(ConfigError, match=f"--param {param}") as exc:
        make_sequence_model(model, arch_params={param: value})
    assert message in exc.value.message and f"the default is {param}=" in exc.value.hint


def test_a_network_too_large_for_memory_is_a_config_error(monkeypatch):
    """--position-bins 1e9 (or --param channels=1e9) was a torch allocation RuntimeError
    traceback; it names the model and its size parameters now."""
    import helixforge.dna.models.estimator as est

    def no_memory(*args, **kwargs):
        raise RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried to allocate 1e13")

    import dataclasses

    real = est._torch_architecture
    monkeypatch.setattr(
        est, "_torch_architecture", lambda name: dataclasses.replace(real(name), build=no_memory)
    )
    seqs, y = planted(32, length=40)
    model = SequenceModel(arch="resnet", epochs=1, arch_params={"position_bins": 10**9})
    with pytest.raises(ConfigError, match=r"position_bins=1000000000\): the network does not fit"):
        model.fit(seqs, y)


def test_dna_train_ensemble_is_capped_like_the_other_training_verbs(tmp_path):
    from helixforge.dna.train import train_sequence_model

    with pytest.raises(ConfigError, match="--ensemble must be at most 100"):
        train_sequence_model(tmp_path / "x.csv", out=tmp_path / "run", ensemble=1_000_000)


def test_a_diverged_run_is_refused_even_when_its_weights_stay_finite():
    """--lr 1e30 for one epoch: the weights stayed finite (the trainer's check passed) but every
    output overflowed, and a run with NaN metrics and empty probabilities was written."""
    torch.set_num_threads(1)
    seqs, y = planted(64, length=50)
    with pytest.raises(ConfigError, match="training diverged"):
        SequenceModel(arch="cnn", epochs=1, lr=1e30, batch_size=32, threads=1).fit(
            seqs, y, valid=(seqs[:16], y[:16])
        )


def test_one_string_is_one_sequence_and_bad_items_are_named(resnet):
    """fit('ACGT…', y) trained on one-base sequences and predict('ACGT…') gave one row per
    base; None was a raw TypeError and a pasted '>' header was scored."""
    s = planted(1, seed=5)[0][0]
    assert resnet.predict(s).shape == (1, 1)
    np.testing.assert_allclose(resnet.predict(s), resnet.predict([s]))
    assert resnet.predict_proba(np.array([s, s])).shape == (2, 2)
    with pytest.raises(InputError, match="sequences is None"):
        resnet.predict(None)
    with pytest.raises(InputError, match=r"sequences\[0\] is missing"):
        resnet.predict([None])
    with pytest.raises(InputError, match=r"sequences\[1\]: character '>' .* FASTA header"):
        resnet.predict([s, ">seq2\n" + s])
    with pytest.raises(ConfigError, match="batch_size must be at least 1"):
        resnet.predict([s], batch_size=0)
    model = SequenceModel(arch="resnet", epochs=1, batch_size=32, threads=1)
    with pytest.raises(InputError, match=r"1 sequence\(s\) but 4 labels"):
        model.fit("ACGTACGTAC", [0, 1, 0, 1])
    with pytest.raises(InputError, match=r"1 sequence\(s\) but y is int"):
        model.fit("ACGTACGTAC", 1)
    with pytest.raises(InputError, match=r"sequences\[1\]: character ' ' .* whitespace"):
        model.fit(["ACGTACGT", "ACGT ACGT"], [0, 1])
    with pytest.raises(InputError, match=r"valid sequences\[0\] is missing"):
        model.fit(["ACGTACGT", "ACGTACGA"], [0, 1], valid=([None], [0]))
