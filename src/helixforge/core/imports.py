"""Heavy third-party imports done the cheap way.

lgb = lightgbm()        # instead of `import lightgbm as lgb`
"""

from __future__ import annotations

import sys
from types import ModuleType


def lightgbm() -> ModuleType:
    """Import LightGBM without letting it import scikit-learn.

    LightGBM imports scikit-learn (and through it SciPy's stats module), ~1 CPU-second here,
    only to define its scikit-learn-style wrappers (`LGBMRegressor`, ...). HelixForge uses the
    core `lgb.train` / `lgb.Booster` API, so when scikit-learn is not loaded yet it is hidden
    for the duration of the import; LightGBM then defines its wrappers as it does on machines
    without scikit-learn, and scikit-learn itself still imports normally afterwards. This
    takes about a second off every `helix chem predict` start.
    """
    if "lightgbm" in sys.modules:
        return sys.modules["lightgbm"]
    hide = "sklearn" not in sys.modules
    if hide:
        sys.modules["sklearn"] = None  # type: ignore[assignment]  # makes `import sklearn` fail
    try:
        import lightgbm as lgb
    finally:
        if hide and sys.modules.get("sklearn", 0) is None:
            del sys.modules["sklearn"]
    return lgb
