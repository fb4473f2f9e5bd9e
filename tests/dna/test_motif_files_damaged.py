"""A motif file that is not what its suffix says is refused by name, never a traceback."""

from __future__ import annotations

import numpy as np
import pytest

from helixforge.core.errors import InputError
from helixforge.dna.motifs.load import read_motifs


@pytest.mark.parametrize(
    "data",
    [
        np.random.default_rng(7).integers(0, 256, 4096, dtype=np.uint8).tobytes(),
        b"id,smiles,logp\nm0,CCO,0.1\nm1,CCN,0.2\n",
    ],
    ids=["binary", "a-csv"],
)
def test_a_transfac_file_that_is_not_transfac_names_the_file(tmp_path, data):
    """Biopython's TRANSFAC parser failed on these with UnboundLocalError ('cannot access
    local variable value'): exit code 1 and a traceback from `dna motifs scan --motifs`."""
    path = tmp_path / "m.transfac"
    path.write_bytes(data)
    with pytest.raises(InputError, match=r"m\.transfac") as exc:
        read_motifs(path)
    assert exc.value.hint
