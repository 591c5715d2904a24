"""The data ready for training: read, split into periods, scaled on training rows alone,
and cut into window origins, for one series or many.

One path for one series or many: a wide CSV is a panel of one series. Each series has its
own periods and scaler; series too short for a window in every period are left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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
from forecaster.model.periods import Periods, SeriesPeriods, scorable_series, split_boundaries
from forecaster.model.preprocessing import Preprocessing
from forecaster.model.scaling import fit_series_scalers
from forecaster.model.windows import ModelRows, WindowRanges
from forecaster.spec import Spec


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


def prepare(spec: Spec, panel: Panel, given: SeriesPeriods | None = None) -> Prepared:
    """Each series' periods (``given``, or from the split, checked before any training),
    its scaler fit on its own training rows alone, and the window ranges of training and
    validation. Series too short for a window in every period are left out (the one
    series of a wide CSV is refused instead, with what it lacks)."""
    source = str(spec.data.path)
    lookback, horizon = spec.window.lookback, spec.window.horizon
    longest = int(np.argmax(np.diff(panel.starts)))
    frequency = spec.data.frequency or infer_frequency(panel.series_index(longest), source)
    season = spec.evaluation.season or season_length(frequency)
    total = panel.num_series
    if given is None:
        panel, series_periods, left_out = scorable_series(
            panel, spec.data.split, lookback, horizon, season, source
        )
    else:
        series_periods, left_out = given, {}
    if left_out:
        logger.warning(
            f"{source}: {len(left_out)} of {total} series left out, too short for a "
            f"window in every period (the first: {next(iter(left_out))})"
        )
    scalers = fit_series_scalers(
        spec.scaling, panel.values, panel.starts, series_periods.train_ends
    )
    statics = fit_statics(panel.statics, panel.labels, spec.model.id_embedding)
    train_windows = series_periods.ranges("train", lookback, horizon)
    val_windows = series_periods.ranges("val", lookback, horizon)
    for name, windows in (("train", train_windows), ("val", val_windows)):
        if len(windows) == 0:
            raise InputError(
                f"{source}: no {name} window in any series: every {name} period is shorter "
                f"than its window (window.lookback {lookback}, window.horizon {horizon}); "
                "fix: use more data, a smaller window.lookback/window.horizon, or change "
                "data.split"
            )
    weights = None
    if spec.train.series_weights == "equal" and panel.num_series > 1:
        # each series' windows share one unit of weight; the mean weight stays 1
        weights = (len(train_windows) / panel.num_series) / train_windows.counts
    preprocessing = _preprocessing(
        spec,
        panel.series_index(0),
        frequency,
        season,
        id_columns=panel.id_columns,
        series_scalers=dict(zip(panel.keys, scalers, strict=True)),
        statics=statics,
    )
    first = series_periods.periods[0]
    preprocessing.calendar.check_frequency(frequency, source)
    preprocessing.calendar.check_varies(panel.series_index(0)[: first.train_end], source)
    rows = preprocessing.model_rows(panel, source)
    rows.check_finite(source)
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
    )


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
        **scaling,
    )
