"""Static covariates: one value per series, fed to the model beside each step's inputs.

A category becomes an integer code that the model embeds (``keras.layers.Embedding``):
code ``k + 1`` for the ``k``-th value seen in training, 0 for a value it never saw (a new
store, a new region), so an unseen series still forecasts, from its own history and
the "unknown" embedding. A number is standardised over the training series and appended
as is. ``model.id_embedding`` adds the series itself as one more category.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

SERIES_ID = "series id"  # the pseudo-category of model.id_embedding


@dataclass(frozen=True)
class StaticEncoding:
    categories: dict[str, list[str]] = field(default_factory=dict)  # name -> values seen
    numbers: dict[str, list[float]] = field(default_factory=dict)  # name -> [mean, std]

    @property
    def names(self) -> list[str]:
        return [*self.categories, *self.numbers]

    @property
    def vocabulary_sizes(self) -> list[int]:
        """Per static input column: codes of a category (unknown included), 0 for a number."""
        return [len(values) + 1 for values in self.categories.values()] + [0] * len(self.numbers)

    def encode(self, statics: pd.DataFrame, keys: list[str]) -> np.ndarray:
        """``[series, static columns]``: category codes, then standardised numbers."""
        columns = []
        for name, values in self.categories.items():
            cells = keys if name == SERIES_ID else statics[name].astype(str).tolist()
            codes = {value: code for code, value in enumerate(values, start=1)}
            columns.append(np.array([codes.get(cell, 0) for cell in cells], dtype=np.float64))
        for name, (mean, std) in self.numbers.items():
            values = pd.to_numeric(statics[name], errors="coerce").to_numpy(dtype=np.float64)
            columns.append(np.nan_to_num((values - mean) / std))  # unreadable: the mean
        if not columns:
            return np.zeros((len(keys), 0))
        return np.stack(columns, axis=1)

    def to_dict(self) -> dict[str, Any]:
        return {"categories": self.categories, "numbers": self.numbers}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StaticEncoding:
        return cls(dict(data.get("categories", {})), dict(data.get("numbers", {})))


def fit_statics(statics: pd.DataFrame, keys: list[str], id_embedding: bool) -> StaticEncoding:
    """Learn the encoding from the training series: a column whose every value reads as a
    number is numeric, any other is categorical."""
    categories, numbers = {}, {}
    for name in statics.columns:
        numeric = pd.to_numeric(statics[name], errors="coerce")
        if numeric.notna().all() and len(numeric) > 1:
            std = float(numeric.std(ddof=0))
            numbers[str(name)] = [float(numeric.mean()), std if std > 0 else 1.0]
        else:
            categories[str(name)] = sorted(statics[name].astype(str).unique().tolist())
    if id_embedding:
        categories[SERIES_ID] = list(keys)
    return StaticEncoding(categories, numbers)
