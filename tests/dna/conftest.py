import pytest
import torch
from torch import nn

from helixforge.dna.interpret import onehot_sequences

SITE = "TGATAAGC"


class MotifDetector(nn.Module):
    """Score = best number of bases matching `site` in any window (8 = a perfect SITE)."""

    def __init__(self, site: str = SITE):
        super().__init__()
        self.conv = nn.Conv1d(4, 1, len(site), bias=False)
        with torch.no_grad():
            self.conv.weight.copy_(torch.from_numpy(onehot_sequences([site])[0].T[None]))

    def forward(self, x):
        return self.conv(x.transpose(1, 2)).amax(-1)


@pytest.fixture
def make_detector():
    """A known-answer sequence model: `make_detector()` scores matches to TGATAAGC."""
    return MotifDetector
