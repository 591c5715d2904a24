"""``scaling``, ``transform`` and ``deseasonalise``: how input columns are scaled and how
targets are transformed and deseasonalised before training (each fitted on the training
rows only); single words rather than sections."""

from __future__ import annotations

from typing import Literal

Scaling = Literal["standard", "minmax", "robust", "mean_abs", "none"]
TargetTransform = Literal["none", "log", "log1p", "box_cox"]
Deseasonalise = Literal["none", "classical_multiplicative", "classical_additive"]
