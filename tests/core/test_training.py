import numpy as np
import pytest
import torch

from helixforge.core.training import TrainConfig, fit, load_weights, save_weights, seed_everything


def _data(n=256, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 4, generator=g)
    y = x @ torch.tensor([1.0, -2.0, 0.5, 0.0]) + 0.1 * torch.randn(n, generator=g)
    return [(x[i : i + 32], y[i : i + 32]) for i in range(0, n, 32)]


def _mse(model, batch):
    x, y = batch
    return torch.nn.functional.mse_loss(model(x).squeeze(-1), y)


def test_fit_learns_linear_map_and_restores_best_weights():
    seed_everything(0)
    model = torch.nn.Linear(4, 1)
    train, valid = _data(seed=0), _data(64, seed=1)
    with torch.no_grad():
        before = sum(float(_mse(model, b)) for b in valid)
    res = fit(
        model,
        train,
        loss_fn=_mse,
        valid_batches=valid,
        config=TrainConfig(epochs=40, lr=0.05, device="cpu"),
    )
    with torch.no_grad():
        after = sum(float(_mse(model, b)) for b in valid)
    assert after < before / 20
    assert res.best_epoch >= 0 and len(res.history) == res.epochs_run
    assert res.history[res.best_epoch]["valid_loss"] == pytest.approx(
        min(h["valid_loss"] for h in res.history)
    )


def test_early_stopping_stops_before_max_epochs():
    model = torch.nn.Linear(4, 1)
    res = fit(
        model,
        _data(),
        loss_fn=_mse,
        valid_batches=_data(64, 1),
        config=TrainConfig(epochs=500, lr=0.1, patience=3, device="cpu"),
    )
    assert res.epochs_run < 500


def test_checkpoint_resume_continues_from_last_epoch(tmp_path):
    seed_everything(0)
    cfg = TrainConfig(epochs=3, lr=0.01, device="cpu", checkpoint_dir=str(tmp_path), patience=None)
    model = torch.nn.Linear(4, 1)
    fit(model, _data(), loss_fn=_mse, config=cfg)
    assert (tmp_path / "last.pt").exists()
    cfg.epochs, cfg.resume = 5, True
    res = fit(model, _data(), loss_fn=_mse, config=cfg)
    assert [h["epoch"] for h in res.history] == [0, 1, 2, 3, 4]


def test_safetensors_round_trip(tmp_path):
    a, b = torch.nn.Linear(4, 2), torch.nn.Linear(4, 2)
    save_weights(a, tmp_path / "w.safetensors")
    load_weights(b, tmp_path / "w.safetensors")
    x = torch.randn(3, 4)
    assert np.allclose(a(x).detach(), b(x).detach())


def test_batches_cover_every_item_once_per_pass_and_reshuffle():
    from helixforge.core.batching import Batches

    b = Batches(list(range(10)), 3, collate=list, shuffle=True, seed=0)
    first, second = [x for batch in b for x in batch], [x for batch in b for x in batch]
    assert len(b) == 4 and sorted(first) == sorted(second) == list(range(10))
    assert first != second
    xs, ys = np.arange(5), np.arange(5) * 10
    pairs = list(Batches((xs, ys), 2, collate=lambda c: c))
    assert [list(p[1]) for p in pairs] == [[0, 10], [20, 30], [40]]
    with pytest.raises(Exception, match="--batch-size"):
        Batches([1], 0)


def test_fit_steps_with_accumulation_learns_and_calls_on_step():
    from helixforge.core.training import fit_steps

    seed_everything(0)
    model = torch.nn.Linear(4, 1)
    data = _data()
    seen = []
    cfg = TrainConfig(lr=0.05, device="cpu", accumulate=2, warmup_fraction=0.1, schedule="cosine")
    res = fit_steps(
        model,
        lambda step: [data[(2 * step) % 8], data[(2 * step + 1) % 8]],
        loss_fn=_mse,
        steps=60,
        config=cfg,
        on_step=lambda step, loss: seen.append((step, loss)),
    )
    assert res.steps == 60 and [s for s, _ in seen] == list(range(1, 61))
    assert seen[-1][1] < seen[0][1] / 10


def test_checkpoint_round_trip_and_resume_key(tmp_path):
    from helixforge.core.checkpoints import (
        check_resume_key,
        load_checkpoint,
        save_checkpoint,
        versioned_key,
    )
    from helixforge.core.errors import ConfigError, InputError

    a, b = torch.nn.Linear(4, 2), torch.nn.Linear(4, 2)
    opt = torch.optim.AdamW(a.parameters())
    save_checkpoint(tmp_path / "ck", model=a, optimizer=opt, state={"step": 1})
    save_checkpoint(tmp_path / "ck", model=a, optimizer=opt, state={"step": 2})  # swap
    state = load_checkpoint(tmp_path / "ck", model=b, optimizer=torch.optim.AdamW(b.parameters()))
    assert state == {"step": 2} and torch.equal(a.weight, b.weight)
    assert not (tmp_path / ".ck.old").exists() and not (tmp_path / ".ck.new").exists()
    (tmp_path / "ck" / "model.safetensors").write_bytes(b"broken")
    with pytest.raises(InputError, match="ck"):
        load_checkpoint(tmp_path / "ck", model=b)
    check_resume_key(versioned_key({"seed": 0}), {"seed": 0}, "run")  # stored keys are versioned
    with pytest.raises(ConfigError, match="seed: was 0, now 1"):
        check_resume_key(versioned_key({"seed": 0}), {"seed": 1}, "run")
    # a changed model among several: only its entry, its digests shortened (both whole
    # dictionaries of 64-hex digests were printed)
    d1, d2, d3 = "a" * 64, "b" * 64, "c" * 64
    with pytest.raises(ConfigError) as e:
        check_resume_key(
            versioned_key({"models": {"m1": d1, "m2": d2}}), {"models": {"m1": d1, "m2": d3}}, "x"
        )
    assert "models.m2: was 'bbbbbbbbbbbb…', now 'cccccccccccc…'" in e.value.message
    assert "m1" not in e.value.message and d2 not in e.value.message


def test_resume_keeps_the_early_stopping_count(tmp_path):
    """A run stopped after a few non-improving epochs and resumed stops where an uninterrupted
    run would: the epochs since the best one are restored from the checkpoint."""

    def run(epochs, ckpt, resume):
        seed_everything(0)
        model = torch.nn.Linear(4, 1)
        cfg = TrainConfig(
            epochs=epochs, lr=0.5, patience=3, device="cpu", checkpoint_dir=str(ckpt), resume=resume
        )
        return fit(model, _data(), loss_fn=_mse, valid_batches=_data(64, 1), config=cfg)

    whole = run(50, tmp_path / "a", False)
    assert whole.epochs_run < 50
    stop = whole.best_epoch + 2  # interrupted one non-improving epoch after the best
    assert stop < whole.epochs_run
    run(stop, tmp_path / "b", False)
    resumed = run(50, tmp_path / "b", True)
    assert resumed.epochs_run == whole.epochs_run


@pytest.mark.parametrize("spec", ["gpu", "cuda:x", "bogus", ""])
def test_a_malformed_device_is_a_config_error(spec):
    from helixforge.core.errors import ConfigError
    from helixforge.core.training import resolve_device

    with pytest.raises(ConfigError, match="not a device"):
        resolve_device(spec)


def test_a_diverged_run_is_an_error_not_a_model_of_nans():
    from helixforge.core.errors import ConfigError
    from helixforge.core.training import fit_steps

    seed_everything(0)
    cfg = TrainConfig(lr=1e30, epochs=2, device="cpu", grad_clip=None)
    with pytest.raises(ConfigError, match=r"training diverged in epoch 1: the weights") as exc:
        fit(torch.nn.Linear(4, 1), _data(), loss_fn=_mse, config=cfg)
    assert "lower --lr" in exc.value.hint
    with pytest.raises(ConfigError, match=r"training diverged (at|by) step"):
        fit_steps(torch.nn.Linear(4, 1), lambda step: [_data()[step % 8]], loss_fn=_mse, steps=5,
                  config=cfg)  # fmt: skip


def test_a_nan_loss_with_finite_weights_is_not_divergence():
    # mixed precision skips a step whose loss overflowed: the weights stay finite
    from helixforge.core.training import check_not_diverged

    check_not_diverged(torch.nn.Linear(2, 1), float("nan"), "at step 1", 1e-3)
    with pytest.raises(Exception, match="diverged"):
        model = torch.nn.Linear(2, 1)
        with torch.no_grad():
            model.weight[0, 0] = float("inf")
        check_not_diverged(model, 0.5, "in epoch 3", 1e-3, always=True)


def test_a_resumed_run_with_dropout_and_shuffling_ends_on_the_uninterrupted_weights(tmp_path):
    """The checkpoint holds torch's random state and the batches' shuffling generator, so the
    epochs after a resume draw the same dropout masks and batch orders."""
    from helixforge.core.batching import Batches

    x, y = torch.randn(96, 4, generator=torch.Generator().manual_seed(0)), torch.randn(96)

    def run(epochs, ckpt, resume):
        seed_everything(0)
        model = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.Dropout(0.5),
                                    torch.nn.Linear(16, 1))  # fmt: skip
        batches = Batches(list(range(96)), 16, lambda idx: (x[list(idx)], y[list(idx)]),
                          shuffle=True, seed=0)  # fmt: skip
        cfg = TrainConfig(epochs=epochs, lr=0.01, device="cpu", patience=None,
                          checkpoint_dir=str(ckpt), resume=resume)  # fmt: skip
        fit(model, batches, loss_fn=_mse, config=cfg)
        return torch.cat([p.detach().flatten() for p in model.parameters()])

    whole = run(4, tmp_path / "a", False)
    run(2, tmp_path / "b", False)  # "killed" after two epochs: a fresh process resumes
    torch.manual_seed(12345)  # the new process's generators are elsewhere
    assert torch.equal(run(4, tmp_path / "b", True), whole)


def test_a_batchnorm_whose_running_statistics_overflowed_is_divergence():
    from helixforge.core.errors import ConfigError
    from helixforge.core.training import check_not_diverged

    model = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.BatchNorm1d(4))
    check_not_diverged(model, 1.0, "in epoch 1", 0.1, always=True)  # all finite: passes
    model[1].running_var.fill_(float("inf"))  # the parameters are still finite
    with pytest.raises(ConfigError, match="diverged in epoch 1"):
        check_not_diverged(model, 1.0, "in epoch 1", 0.1, always=True)
