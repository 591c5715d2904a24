"""``scaling``: how every input column is scaled before training (fitted on the training
rows only); a single word rather than a section."""

from __future__ import annotations

from typing import Literal

Scaling = Literal["standard", "minmax", "robust", "mean_abs", "none"]
