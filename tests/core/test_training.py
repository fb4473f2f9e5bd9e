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
