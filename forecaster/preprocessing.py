"""What ``preprocessing.json`` holds: everything between a CSV and the model's input, as
trained (time column, columns, frequency, window sizes, missing-value policy, scaler)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from forecaster.data import read_csv
from forecaster.scaling import Scaler


@dataclass(frozen=True)
class Preprocessing:
    """Everything between a CSV and the model's input, as trained (``preprocessing.json``)."""

    time_column: str
    targets: list[str]
    covariates: list[str]
    frequency: str
    lookback: int
    horizon: int
    missing: str
    season: int
    scaler: Scaler
    time_style: str = "naive"  # naive | Z | offset | named | step
    timezone: str | None = None  # UTC, +02:00 (the latest row's offset), Europe/Berlin

    @property
    def columns(self) -> list[str]:
        return [*self.targets, *self.covariates]

    @property
    def column_fix(self) -> str:
        """The advice when history lacks a column the model was trained on."""
        return (
            f"the model was trained on time column {self.time_column!r} and columns "
            f"{', '.join(self.columns)}; pass history with those names"
        )

    def read_csv(
        self, path: str | Path, *, column_fix: str | None = None, **time: Any
    ) -> pd.DataFrame:
        """A CSV's columns as trained, checked with the trained missing-value policy;
        ``column_fix`` is the advice when a column is missing (default: the spec's);
        ``time`` the time keywords of ``data.read_csv``."""
        return read_csv(
            path,
            time_column=self.time_column,
            columns=self.columns,
            missing=self.missing,
            column_fix=column_fix,
            **time,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "time_column": self.time_column,
            "targets": self.targets,
            "covariates": self.covariates,
            "columns": self.columns,
            "frequency": self.frequency,
            "lookback": self.lookback,
            "horizon": self.horizon,
            "missing": self.missing,
            "season": self.season,
            "scaler": self.scaler.to_dict(),
            "time_style": self.time_style,
            "timezone": self.timezone,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Preprocessing:
        fields = {k: v for k, v in data.items() if k not in ("columns", "scaler")}
        return cls(**fields, scaler=Scaler.from_dict(data["scaler"]))
