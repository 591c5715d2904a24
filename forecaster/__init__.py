"""forecaster: multi-step LSTM/GRU forecasts from a CSV and a YAML spec.

The ``forecast`` command line's work, from Python: ``train``, ``backtest``, ``evaluate``
and ``compare`` take what the commands take and return their typed results; ``load``
reads a bundle to forecast with. Importing the package is cheap; TensorFlow loads only
when a model is trained, built or loaded.

>>> import forecaster
>>> result = forecaster.train("models/etth1-gru.yaml", epochs=5)
>>> fc = forecaster.load(result.bundle)
>>> future = fc.predict(recent_frame)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from forecaster.api import backtest, compare, evaluate, load, train
from forecaster.version import __version__

__all__ = [
    "Forecaster",
    "__version__",
    "backtest",
    "compare",
    "evaluate",
    "load",
    "train",
]

if TYPE_CHECKING:
    from forecaster.bundle.forecasting import Forecaster


def __getattr__(name: str) -> Any:
    if name == "Forecaster":
        from forecaster.bundle.forecasting import Forecaster

        return Forecaster
    raise AttributeError(f"module 'forecaster' has no attribute {name!r}")
