"""What ``preprocessing.json`` holds: everything between a CSV and the model's input, as
trained (time column, columns, frequency, window sizes, missing-value policy, scaler)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecaster.data.calendar import Calendar
from forecaster.data.panel import KEY_SEPARATOR, Panel, SeriesKey, key_text, legacy_keys, parse_key
from forecaster.data.reading import MissingPolicy, read_csv
from forecaster.data.statics import StaticEncoding
from forecaster.model import seasonality, transforms
from forecaster.model.scaling import Scaler, fit_scaler
from forecaster.model.seasonality import SeasonalPattern
from forecaster.model.targets import TargetFit
from forecaster.model.windows import ModelRows
from forecaster.spec import Deseasonalise, TargetTransform, quantile_pair

KEY_FORMAT = 2  # preprocessing.json's series keys: panel.key_text


@dataclass(frozen=True)
class Preprocessing:
    """Everything between a CSV and the model's input, as trained (``preprocessing.json``)."""

    time_column: str
    targets: list[str]
    covariates: list[str]
    frequency: str
    lookback: int
    horizon: int
    missing: MissingPolicy
    season: int
    time_style: str = "naive"  # naive | Z | offset | named | step
    timezone: str | None = None  # UTC, +02:00 (the latest row's offset), Europe/Berlin
    id_columns: list[str] = field(default_factory=list)  # what names a series (wide: none)
    # one scaler per series, by series key (a wide CSV's one series has the key ())
    series_scalers: dict[SeriesKey, Scaler] = field(default_factory=dict)
    statics: StaticEncoding = field(default_factory=StaticEncoding)
    # conformal half-widths per level, [horizon, targets] in units of each series' scale
    calibration: dict[int, np.ndarray] = field(default_factory=dict)
    quantiles: list[float] = field(default_factory=list)  # the model's quantile head
    # evaluation.fallback: per horizon step, the forecast the bundle gives: "model",
    # "naive" or "seasonal_naive" (chosen on validation); empty: the model at every step
    fallback: list[str] = field(default_factory=list)
    # evaluation.combine: per forecast ("network", then each statistical baseline) its
    # weight at each horizon step, [horizon] each (fit on validation; at every step the
    # weights sum to one); empty: the network alone
    combine: dict[str, list[float]] = field(default_factory=dict)
    future_covariates: list[str] = field(default_factory=list)  # known through the horizon
    calendar: Calendar = field(default_factory=Calendar)  # generated known inputs
    # how preprocessing.json writes series keys: 2, ``panel.key_text``; 1 (bundles written
    # before it), the id values joined by " / ", nothing quoted
    key_format: int = KEY_FORMAT
    # data.nonnegative: every forecast clipped at zero (bundles written before it: False)
    nonnegative: bool = False
    # transform: every target's transform before scaling (bundles written before it:
    # none); box_cox: each series' lambda per target, by series key, beside its scaler
    transform: TargetTransform = "none"
    series_lambdas: dict[SeriesKey, np.ndarray] = field(default_factory=dict)
    # deseasonalise: the seasonal pattern removed after the transform (bundles written
    # before it: none), each series' indices over ``season`` positions by series key
    deseasonalise: Deseasonalise = "none"
    series_seasonality: dict[SeriesKey, SeasonalPattern] = field(default_factory=dict)
    # window.pad: windows reaching before a series' first row are padded, and the model
    # reads one more input column, 1 on observed rows (bundles written before it: False)
    pad: bool = False
    # window.lags: each target's value that many rows earlier, an input column per lag and
    # target after the calendar columns (bundles written before it: none)
    lags: list[int] = field(default_factory=list)

    def clip(self, values: np.ndarray) -> np.ndarray:
        """``values`` (forecasts, quantiles or interval bounds) clipped at zero when the
        targets cannot be negative (``data.nonnegative``); as they are otherwise."""
        return np.maximum(values, 0.0) if self.nonnegative else values

    @property
    def combined_baselines(self) -> list[str]:
        """The statistical baselines the bundle's forecast combines with the network."""
        return [name for name in self.combine if name != "network"]

    @property
    def fallback_steps(self) -> dict[int, str]:
        """The 0-based steps a baseline forecasts, and which baseline."""
        return {h: name for h, name in enumerate(self.fallback) if name != "model"}

    @property
    def known_columns(self) -> list[str]:
        """The inputs the model also gets over the horizon: future covariates, then the
        generated calendar and holiday columns. In the model's input they follow the
        targets and past covariates (and precede any static columns)."""
        return [*self.future_covariates, *self.calendar.columns]

    @property
    def known_range(self) -> tuple[int, int] | None:
        """The model-input columns of ``known_columns`` (None: the model has none)."""
        if not self.known_columns:
            return None
        first = len(self.targets) + len(self.covariates)
        return first, first + len(self.known_columns)

    def with_calendar(self, scaled: np.ndarray, index: pd.Index, source: str) -> np.ndarray:
        """``scaled`` (``[rows, columns]``) with the calendar columns of ``index`` after it."""
        if not self.calendar:
            return scaled
        generated = self.calendar.values(index, source).astype(scaled.dtype)
        return np.concatenate([scaled, generated], axis=1)

    def split_output(self, output: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """A model's output as (point forecast ``[..., H, T]``, quantiles ``[..., H, T, Q]``
        or None): the median is the point forecast of a quantile head."""
        if not self.quantiles:
            return output, None
        return output[..., self.quantiles.index(0.5)], output

    def level_quantiles(self, level: int) -> tuple[int, int]:
        """Positions of a level's lower and upper quantile in the head's output."""
        lower, upper = quantile_pair(level)
        return self.quantiles.index(lower), self.quantiles.index(upper)

    def interval_columns(
        self, forecast: np.ndarray, scale: np.ndarray, head: np.ndarray | None = None
    ) -> dict[str, np.ndarray]:
        """``<target>_lo_<level>`` and ``<target>_hi_<level>`` for ``forecast``
        (``[..., horizon, targets]``, ``scale`` broadcasting to it): the forecast plus or
        minus the calibrated widths, or a quantile ``head``'s pair moved by them."""
        columns = {}
        for level, width in sorted(self.calibration.items()):
            if head is None:
                lower, upper = forecast - width * scale, forecast + width * scale
            else:
                low, high = self.level_quantiles(level)
                lower = head[..., low] - width * scale
                upper = head[..., high] + width * scale
            lower, upper = self.clip(lower), self.clip(upper)
            for k, target in enumerate(self.targets):
                columns[f"{target}_lo_{level}"] = lower[..., k]
                columns[f"{target}_hi_{level}"] = upper[..., k]
        return columns

    def model_rows(
        self, panel: Panel, source: str = "data", fit: TargetFit | None = None
    ) -> ModelRows:
        """The model's input rows of ``panel``, scaled when taken: the targets transformed
        and deseasonalised (``transform``, ``deseasonalise``; ``fit``, the panel's
        ``target_fit`` when already made), every row by its own series' scaler, the
        calendar columns of its timestamp, then the series' static covariates (codes and
        standardised numbers). With ``pad`` windows are cut from them by
        ``windows.padded_inputs``."""
        fit = fit or self.target_fit(panel, source)
        centers, scales, _ = self.series_scaling(panel, fit)
        calendar = None
        if self.calendar:
            calendar = self.calendar.values(panel.index, source).astype(np.float32)
        static = self.statics.encode(panel.statics, [self.key_text(k) for k in panel.keys])
        return ModelRows(
            self.transformed_values(panel, fit),
            panel.starts,
            centers,
            scales,
            calendar,
            static.astype(np.float32) if static is not None and static.shape[1] else None,
            pad=self.pad,
            lags=tuple(self.lags),
            num_targets=len(self.targets),
        )

    def series_scaling(
        self, panel: Panel, fit: TargetFit | None = None
    ) -> tuple[np.ndarray, np.ndarray, list[bool]]:
        """Every series' ``center`` and ``scale`` (``[series, columns]``, of the targets as
        ``fit`` leaves them) and whether it was seen in training. A series the model never
        saw is scaled by a scaler of the same kind fit on its own rows (the model is
        global; only the scale is per series), after ``fit``."""
        kind = next(iter(self.series_scalers.values())).kind
        centers, scales, seen = [], [], []
        for k, key in enumerate(panel.keys):
            scaler = self.series_scalers.get(key)
            seen.append(scaler is not None)
            if scaler is None:
                values = panel.series(k).to_numpy(dtype=np.float64)
                if fit is not None and not fit.is_identity:
                    rows = np.arange(len(values))
                    values[:, : len(self.targets)] = fit.forward(
                        values[:, : len(self.targets)], np.full(len(values), k), rows
                    )
                scaler = fit_scaler(kind, values)
            centers.append(scaler.center)
            scales.append(scaler.scale)
        return np.stack(centers), np.stack(scales), seen

    def target_fit(self, panel: Panel, source: str = "data") -> TargetFit:
        """Each series' transform parameters and seasonal indices, after refusing a
        target value the transform cannot take. A series the model never saw gets them
        fit on its own rows (its pattern anchored at its last row)."""
        num_targets = len(self.targets)
        lambdas = np.zeros((panel.num_series, num_targets))
        if self.transform != "none":
            transforms.check_domain(self.transform, panel, self.targets, source)
        if self.transform == "box_cox":
            found = []
            for k, key in enumerate(panel.keys):
                fitted = self.series_lambdas.get(key)
                if fitted is None:
                    fitted = transforms.fit_lambdas(panel.values[panel.rows(k), :num_targets])
                found.append(fitted)
            lambdas = np.stack(found)
        fit = TargetFit(self.transform, lambdas)
        if self.deseasonalise == "none":
            return fit
        multiplicative = self.deseasonalise == "classical_multiplicative"
        patterns, offsets = [], []
        for k, key in enumerate(panel.keys):
            index = panel.series_index(k)
            pattern = self.series_seasonality.get(key)
            if pattern is None:
                rows = panel.values[panel.rows(k), :num_targets].astype(np.float64)
                rows = transforms.forward(self.transform, rows, lambdas[k])
                pattern = seasonality.fit_pattern(rows, self.season, multiplicative, index[-1])
            patterns.append(pattern.indices)
            offsets.append(seasonality.steps_between(pattern.anchor, index[0], self.frequency))
        return replace(
            fit,
            deseasonalise=self.deseasonalise,
            seasonal=np.stack(patterns),
            offsets=np.asarray(offsets, dtype=np.int64),
        )

    def transformed_values(self, panel: Panel, fit: TargetFit) -> np.ndarray:
        """``panel.values`` with the targets as ``fit`` leaves them, series by series; the
        values as held when it changes nothing."""
        if fit.is_identity:
            return panel.values
        num_targets = len(self.targets)
        values = panel.values.copy()
        series = panel.series_of_rows()
        local = np.arange(len(values)) - panel.starts[series]
        values[:, :num_targets] = fit.forward(
            panel.values[:, :num_targets].astype(np.float64), series, local
        )
        return values

    def key_text(self, key: SeriesKey) -> str:
        """A series key as this preprocessing.json writes it (``key_format``); the series
        id embedding's categories are these texts too."""
        return key_text(key) if self.key_format == KEY_FORMAT else KEY_SEPARATOR.join(key)

    @property
    def columns(self) -> list[str]:
        return [*self.targets, *self.covariates, *self.future_covariates]

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
        ``time`` the time keywords of ``reading.read_csv``."""
        return read_csv(
            path,
            time_column=self.time_column,
            columns=self.columns,
            missing=self.missing,
            column_fix=column_fix,
            **time,
        )

    def to_dict(self) -> dict[str, Any]:
        return (
            {
                "time_column": self.time_column,
                "targets": self.targets,
                "covariates": self.covariates,
                "columns": self.columns,
                "frequency": self.frequency,
                "lookback": self.lookback,
                "horizon": self.horizon,
                "missing": self.missing,
                "season": self.season,
                "time_style": self.time_style,
                "timezone": self.timezone,
            }
            | (
                {"calibration": {str(k): v.tolist() for k, v in self.calibration.items()}}
                if self.calibration
                else {}
            )
            | ({"quantiles": self.quantiles} if self.quantiles else {})
            | ({"future_covariates": self.future_covariates} if self.future_covariates else {})
            | ({"calendar": self.calendar.to_dict()} if self.calendar else {})
            | ({"fallback": self.fallback} if self.fallback_steps else {})
            | ({"combine": self.combine} if self.combine else {})
            | ({"nonnegative": True} if self.nonnegative else {})
            | ({"transform": self.transform} if self.transform != "none" else {})
            | self._by_series("series_lambdas", self.series_lambdas, lambda v: v.tolist())
            | ({"deseasonalise": self.deseasonalise} if self.deseasonalise != "none" else {})
            | self._by_series("series_seasonality", self.series_seasonality, lambda v: v.to_dict())
            | ({"pad": True} if self.pad else {})
            | ({"lags": list(self.lags)} if self.lags else {})
            | {
                "id_columns": self.id_columns,
                "key_format": self.key_format,
                "series_scalers": {
                    self.key_text(k): v.to_dict() for k, v in self.series_scalers.items()
                },
                "statics": self.statics.to_dict(),
            }
        )

    def _by_series(
        self, name: str, table: Mapping[SeriesKey, Any], encode: Callable[[Any], Any]
    ) -> dict[str, Any]:
        """``{name: {key text: encode(value)}}`` for a per-series table; nothing when it is
        empty (a bundle without the option it belongs to)."""
        return {name: {self.key_text(k): encode(v) for k, v in table.items()}} if table else {}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Preprocessing:
        skip = (
            "columns",
            "scaler",
            "series_scalers",
            "series_lambdas",
            "series_seasonality",
            "statics",
            "calibration",
            "calendar",
        )
        fields = {k: v for k, v in data.items() if k not in skip}
        fields.setdefault("key_format", 1)  # written before keys were quoted where needed
        scalers = data.get("series_scalers") or {}
        if data.get("scaler"):  # written before one scaler per series held for wide data too
            scalers = {"": data["scaler"]}
        size = len(data.get("id_columns") or [])
        lambdas = data.get("series_lambdas") or {}
        patterns = data.get("series_seasonality") or {}
        texts = [*scalers, *lambdas, *patterns]
        if fields["key_format"] == KEY_FORMAT:
            keys = {text: [parse_key(text, size)] for text in texts}
        else:  # " / " joined: a text two keys once shared stays with both of them
            keys = {text: legacy_keys(text, size) for text in texts}
        return cls(
            **fields,
            series_scalers={
                key: Scaler.from_dict(value)
                for text, value in scalers.items()
                for key in keys[text]
            },
            series_lambdas={
                key: np.asarray(value, dtype=np.float64)
                for text, value in lambdas.items()
                for key in keys[text]
            },
            series_seasonality={
                key: SeasonalPattern.from_dict(value)
                for text, value in patterns.items()
                for key in keys[text]
            },
            statics=StaticEncoding.from_dict(data.get("statics") or {}),
            calendar=Calendar.from_dict(data["calendar"]) if data.get("calendar") else Calendar(),
            calibration={
                int(level): np.asarray(width, dtype=np.float64)
                for level, width in (data.get("calibration") or {}).items()
            },
        )
