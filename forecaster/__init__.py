"""forecaster: multi-step LSTM/GRU forecasts from a CSV and a YAML spec.

Importing the package is cheap; TensorFlow loads only when a model is built or loaded.

>>> import forecaster
>>> fc = forecaster.load("models/etth1-gru")
>>> future = fc.predict(recent_frame)
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Forecaster", "__version__", "load"]

if TYPE_CHECKING:
    from forecaster.predict import Forecaster


def load(path: str | os.PathLike[str]) -> Forecaster:
    """Load a bundle folder written by ``forecast train``."""
    from forecaster.bundle import load_bundle

    return load_bundle(path)


def __getattr__(name: str) -> Any:
    if name == "Forecaster":
        from forecaster.predict import Forecaster

        return Forecaster
    raise AttributeError(f"module 'forecaster' has no attribute {name!r}")
