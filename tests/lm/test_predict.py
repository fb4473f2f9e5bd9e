"""helixforge.lm.predict: loading a finetune run for prediction."""

import pytest

from helixforge.core.errors import InputError
from helixforge.lm.predict import load_run


def test_a_run_path_that_is_none_is_named():
    with pytest.raises(InputError, match="run directory is None"):
        load_run(None)
