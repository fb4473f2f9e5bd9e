"""core.estimator: the shared divergence check for torch models (dna, crispr)."""

import pytest
import torch

from helixforge.core.errors import ConfigError
from helixforge.core.estimator import check_not_diverged_outputs


def test_a_nan_validation_loss_at_every_epoch_is_divergence():
    net = torch.nn.Linear(2, 1)
    check_not_diverged_outputs(net, [{"valid_loss": float("nan")}, {"valid_loss": 0.5}], 1e-3)
    check_not_diverged_outputs(net, [{"train_loss": 0.3}], 1e-3)  # no validation: nothing to say
    with pytest.raises(ConfigError, match="validation loss is NaN; learning rate 1e\\+30"):
        check_not_diverged_outputs(net, [{"valid_loss": float("nan")}], 1e30)


def test_non_finite_batch_norm_statistics_are_divergence():
    net = torch.nn.BatchNorm1d(3)
    net.running_var.fill_(float("inf"))
    with pytest.raises(ConfigError, match="running_var is not finite") as exc:
        check_not_diverged_outputs(net, [], 0.1, option="--param lr")
    assert "lower --param lr" in exc.value.hint
