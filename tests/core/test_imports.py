import subprocess
import sys

CHECK = """
import sys
from helixforge.core.imports import lightgbm
lgb = lightgbm()
assert "sklearn" not in sys.modules, "lightgbm pulled scikit-learn in"
import numpy as np
X = np.random.default_rng(0).normal(size=(200, 3))
booster = lgb.train({"verbose": -1}, lgb.Dataset(X, label=X[:, 0]), num_boost_round=5)
assert booster.predict(X).shape == (200,)
import sklearn  # still importable afterwards
print("ok", sklearn.__name__)
"""


def test_lightgbm_imports_without_scikit_learn_and_still_trains():
    # a fresh interpreter: in the test process scikit-learn is usually loaded already
    res = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "ok sklearn"
