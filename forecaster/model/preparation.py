"""The data ready for training: read, split into periods, scaled on training rows alone,
and cut into window origins, for one series or many.

One path for one series or many: a wide CSV is a panel of one series. Each series has its
own periods and scaler; series too short for a window in every period are left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecaster.data.calendar import Calendar
from forecaster.data.frequency import infer_frequency, season_length
from forecaster.data.panel import Panel
from forecaster.data.reading import Boundaries, time_options
from forecaster.data.statics import fit_statics
from forecaster.data.streaming import read_file
from forecaster.data.time_axis import time_style
from forecaster.errors import InputError
from forecaster.log import logger
from forecaster.model import seasonality, transforms
from forecaster.model.periods import (
    Periods,
    SeriesPeriods,
    check_calibration_windows,
    scorable_series,
    split_boundaries,
)
from forecaster.model.preprocessing import Preprocessing
from forecaster.model.scaling import fit_series_scalers
from forecaster.model.windows import ModelRows, WindowRanges
from forecaster.spec import SCALE_FREE_LOSSES, Spec


@dataclass(frozen=True)
class Prepared:
    """The series ready for windowing: scaled values, every series stacked."""

    preprocessing: Preprocessing
    periods: Periods  # the (first) series' periods
    rows: ModelRows  # what windows are cut from: targets first, scaled when taken
    train_windows: WindowRanges
    val_windows: WindowRanges
    panel: Panel  # the series trained on, as read
    series_periods: SeriesPeriods
    left_out: dict[str, str] = field(default_factory=dict)  # series key -> why
    train_weights: np.ndarray | None = None  # per series; None: every window alike
    # [series, targets], what a scale-free loss reads beside each window's targets
    # (``target_extras``); None for the other losses
    target_extras: np.ndarray | None = None


def load_data(
    spec: Spec,
    boundaries: Boundaries | None = None,
    path: str | Path | None = None,
    frequency: str | None = None,
) -> Panel:
    """The spec's data (or ``path``) as a panel: one series for a wide CSV, every series of
    long data; gaps filled within the split's periods (or ``boundaries``), each series on
    its own. ``frequency`` replaces ``data.frequency`` (a bundle reads at the step it
    trained on)."""
    time = time_options(spec.data) | ({"frequency": frequency} if frequency else {})
    return read_file(
        path or spec.data.path,
        id_columns=spec.data.id_columns,
        static_covariates=spec.data.static_covariates,
        time_column=spec.data.time_column,
        columns=spec.data.columns,
        missing=spec.data.missing,
        boundaries=boundaries or split_boundaries(spec.data.split),
        **time,
    )


def prepare(
    spec: Spec, panel: Panel, given: SeriesPeriods | None = None, *, validation: bool = True
) -> Prepared:
    """Each series' periods (``given``, or from the split, checked before any training),
    its scaler fit on its own training rows alone, and the window ranges of training and
    validation. Series too short for a window in every period are left out (the one
    series of a wide CSV is refused instead, with what it lacks).

    ``validation=False`` (a refit on every row, ``given`` periods whose training rows are
    all of them) asks for no validation window and calibrates nothing."""
    source = str(spec.data.path)
    lookback, horizon, pad = spec.window.lookback, spec.window.horizon, spec.window.pad
    longest = int(np.argmax(np.diff(panel.starts)))
    frequency = spec.data.frequency or infer_frequency(panel.series_index(longest), source)
    season = spec.evaluation.season or season_length(frequency)
    total = panel.num_series
    if given is None:
        panel, series_periods, left_out = scorable_series(
            panel, spec.data.split, lookback, horizon, season, source, pad=pad
        )
    else:
        series_periods, left_out = given, {}
    if left_out:
        logger.warning(
            f"{source}: {len(left_out)} of {total} series left out, too short for a "
            f"window in every period (the first: {next(iter(left_out))})"
        )
    if spec.data.nonnegative:
        _check_nonnegative(panel, series_periods, list(spec.data.targets), source)
    targets = list(spec.data.targets)
    train_ends = series_periods.train_ends
    for kind in (spec.transform, spec.deseasonalise):
        transforms.check_domain(kind, panel, targets, source, train_ends, " in its training rows")
    lambdas = transforms.fit_series_lambdas(spec.transform, panel, train_ends, len(targets))
    statics = fit_statics(panel.statics, panel.labels, spec.model.id_embedding)
    train_windows = series_periods.ranges("train", lookback, horizon, pad=pad)
    val_windows = series_periods.ranges("val", lookback, horizon, pad=pad)
    checked = (("train", train_windows), ("val", val_windows))[: 2 if validation else 1]
    for name, windows in checked:
        if len(windows) == 0:
            window = f"window.lookback {lookback}, window.horizon {horizon}"
            if pad:  # one observed input row before the first training target
                after = " after one input row" if name == "train" else ""
                window = f"window.horizon {horizon} rows{after}, window.pad"
            raise InputError(
                f"{source}: no {name} window in any series: every {name} period is shorter "
                f"than its window ({window}); "
                "fix: use more data, a smaller window.lookback/window.horizon, or change "
                "data.split"
            )
    if spec.intervals is not None and validation:  # every level calibrated on them
        check_calibration_windows(spec.intervals.levels, len(val_windows), panel.num_series, source)
    weights = None
    if spec.train.series_weights == "equal" and panel.num_series > 1:
        # each series' windows share one unit of weight; the mean weight stays 1 (a
        # window.pad series too short for a training window has none to weigh)
        counts = train_windows.counts
        share = len(train_windows) / np.count_nonzero(counts)
        weights = np.divide(share, counts, out=np.zeros(len(counts)), where=counts > 0)
    preprocessing = _preprocessing(
        spec,
        panel.series_index(0),
        frequency,
        season,
        id_columns=panel.id_columns,
        series_lambdas=(
            dict(zip(panel.keys, lambdas, strict=True)) if spec.transform == "box_cox" else {}
        ),
        statics=statics,
    )
    if spec.deseasonalise != "none":
        preprocessing = _with_seasonality(spec, preprocessing, panel, train_ends, source)
    # each scaler fit on its series' transformed (and deseasonalised) training rows alone
    fit = preprocessing.target_fit(panel, source)
    scalers = fit_series_scalers(
        spec.scaling, preprocessing.transformed_values(panel, fit), panel.starts, train_ends
    )
    preprocessing = replace(
        preprocessing, series_scalers=dict(zip(panel.keys, scalers, strict=True))
    )
    first = series_periods.periods[0]
    preprocessing.calendar.check_frequency(frequency, source)
    preprocessing.calendar.check_varies(panel.series_index(0)[: first.train_end], source)
    rows = preprocessing.model_rows(panel, source, fit)
    rows.check_finite(source)
    extras = None
    if spec.train.loss in SCALE_FREE_LOSSES and not preprocessing.quantiles:
        extras = target_extras(
            spec.train.loss, rows, len(spec.data.targets), series_periods.train_ends, season
        )
    return Prepared(
        preprocessing,
        series_periods.periods[0],
        rows,
        train_windows,
        val_windows,
        panel,
        series_periods,
        left_out,
        weights,
        extras,
    )


def target_extras(
    loss: str, rows: ModelRows, num_targets: int, train_ends: np.ndarray, season: int
) -> np.ndarray:
    """``[series, targets]`` float32, what ``train.loss`` reads beside each window's
    targets (the first ``num_targets`` columns of ``rows``). ``mase``: the inverse of each
    series' in-sample seasonal-naive MAE on its scaled training rows, so that a window's
    absolute error times it is its MASE (a target that never changes in training, whose
    MASE is undefined, keeps its error on the model's scale). ``smape``: each series'
    ``center / scale``, which turns scaled values back into original ones over the
    scale."""
    centers, scales = rows.centers[:, :num_targets], rows.scales[:, :num_targets]
    if loss == "smape":
        return (centers / scales).astype(np.float32)
    found = []
    for k, train_end in enumerate(train_ends):
        first = int(rows.starts[k])
        values = rows.values[first : first + int(train_end), :num_targets].astype(np.float64)
        found.append(in_sample_scale((values - centers[k]) / scales[k], season))
    scale = np.stack(found)
    return np.where(np.isfinite(scale), 1.0 / scale, 1.0).astype(np.float32)


def in_sample_scale(train_rows: np.ndarray, season: int) -> np.ndarray:
    """The in-sample seasonal-naive MAE per column of ``train_rows`` (``[rows, columns]``),
    by the rule MASE is scored with (``evaluation.metrics.mase_scale``): lag ``season``,
    lag 1 when the rows are shorter than two seasons; NaN for a column that never
    changes."""
    lag = season if len(train_rows) > 2 * season else 1
    scale = np.mean(np.abs(train_rows[lag:] - train_rows[:-lag]), axis=0)
    return np.where(scale > 0, scale, np.nan)


def _preprocessing(
    spec: Spec, index: pd.Index, frequency: str, season: int, **scaling: Any
) -> Preprocessing:
    style, zone = time_style(index)  # forecasts are written back in the data's zone
    return Preprocessing(
        time_column=str(index.name),
        targets=list(spec.data.targets),
        covariates=list(spec.data.covariates),
        frequency=frequency,
        lookback=spec.window.lookback,
        horizon=spec.window.horizon,
        missing=spec.data.missing,
        season=season,
        time_style=style,
        timezone=zone,
        quantiles=spec.intervals.quantiles if spec.intervals is not None else [],
        future_covariates=list(spec.data.future_covariates),
        calendar=Calendar.from_spec(spec.data),
        nonnegative=spec.data.nonnegative,
        transform=spec.transform,
        deseasonalise=spec.deseasonalise,
        pad=spec.window.pad,
        lags=list(spec.window.lags),
        **scaling,
    )


def _with_seasonality(
    spec: Spec, preprocessing: Preprocessing, panel: Panel, train_ends: np.ndarray, source: str
) -> Preprocessing:
    """``preprocessing`` with each series' seasonal pattern (``deseasonalise``), fit by
    classical decomposition on its transformed training rows alone and anchored at its
    last training row."""
    period = preprocessing.season
    if period < 2:
        raise InputError(
            f"{source}: deseasonalise: {spec.deseasonalise} needs a seasonal period of 2 or "
            f"more, but the season is {period} (evaluation.season, or the frequency "
            f"{preprocessing.frequency!r}'s); fix: set evaluation.season, or deseasonalise: "
            "none"
        )
    without = replace(preprocessing, deseasonalise="none")
    values = without.transformed_values(panel, without.target_fit(panel, source))
    multiplicative = spec.deseasonalise == "classical_multiplicative"
    num_targets = len(preprocessing.targets)
    patterns = {}
    for k, key in enumerate(panel.keys):
        end = int(train_ends[k])
        train = values[panel.starts[k] : panel.starts[k] + end, :num_targets]
        anchor = panel.series_index(k)[end - 1]
        patterns[key] = seasonality.fit_pattern(
            np.asarray(train, dtype=np.float64), period, multiplicative, anchor
        )
    return replace(preprocessing, series_seasonality=patterns)


def _check_nonnegative(
    panel: Panel, series_periods: SeriesPeriods, targets: list[str], source: str
) -> None:
    """``data.nonnegative`` promises targets that are never negative: refuse training rows
    that break it, naming the first such value, rather than clip forecasts of data that
    can go below zero."""
    values = panel.values[:, : len(targets)]
    rows = np.flatnonzero((values < 0).any(axis=1))  # any period: few rows, if any
    series = np.searchsorted(panel.starts, rows, side="right") - 1
    rows = rows[rows - panel.starts[series] < series_periods.train_ends[series]]
    if not len(rows):
        return
    row = int(rows[0])
    k = int(np.searchsorted(panel.starts, row, side="right") - 1)
    column = int(np.argmax(values[row] < 0))
    time = panel.series_index(k)[row - int(panel.starts[k])]
    where = f" of {panel.name_of(k)}" if panel.id_columns else ""
    raise InputError(
        f"{source}: data.nonnegative is true, but target {targets[column]!r}{where} is "
        f"{values[row, column]:g} at {time} in the training rows ({len(rows):,} such rows "
        "in all); fix: correct the data, or set data.nonnegative: false "
        "(forecasts are then not clipped at zero)"
    )
