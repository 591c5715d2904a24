"""``Forecaster``: a trained model and its preprocessing, from recent history to a forecast
table on the original scale; ``predict_windows`` forecasts many windows in batches."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from forecaster.bundle.future import future_inputs, future_times, missing_future, read_future
from forecaster.data.panel import KEY_SEPARATOR, Panel, parse_key
from forecaster.data.reading import read_rows, time_options
from forecaster.data.rows import read_panel
from forecaster.data.time_axis import check_history
from forecaster.errors import InputError
from forecaster.log import logger
from forecaster.model.baselines import baseline_windows
from forecaster.model.periods import PADDED_INPUT_ROWS
from forecaster.model.preprocessing import Preprocessing
from forecaster.model.statistical import LABELS as STATISTICAL_LABELS
from forecaster.model.statistical import SeriesFitError, series_statistical_forecasts
from forecaster.model.windows import ModelRows, padded_inputs, window_dataset
from forecaster.spec import Spec

if TYPE_CHECKING:
    import keras

PREDICT_BATCH = 256  # series forecast per model call


@dataclass
class Forecaster:
    """A trained model with its preprocessing: ``predict`` turns history into a forecast."""

    model: keras.Model
    spec: Spec
    preprocessing: Preprocessing
    manifest: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    def __post_init__(self) -> None:
        """A level whose calibration has no finite width (saved by versions that trained
        on too few calibration windows) is left out of every forecast, with a note."""
        calibration = self.preprocessing.calibration
        empty = [level for level, width in calibration.items() if not np.isfinite(width).all()]
        if not empty:
            return
        named = " and ".join(map(str, sorted(empty)))
        logger.warning(
            f"{self.path or 'the bundle'}: its {named}% intervals were calibrated on too few "
            f"windows and have no bounds; forecasts leave them out; fix: train again with a "
            f"longer validation period (data.split) or without {named} in intervals.levels"
        )
        kept = {level: width for level, width in calibration.items() if level not in empty}
        self.preprocessing = replace(self.preprocessing, calibration=kept)

    @property
    def lookback(self) -> int:
        return self.preprocessing.lookback

    @property
    def horizon(self) -> int:
        return self.preprocessing.horizon

    def predict(
        self,
        history: pd.DataFrame,
        source: str = "history",
        ids: Sequence[str] = (),
        future: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """Forecast the ``horizon`` steps after the last row of ``history``.

        ``history`` has the time column (as a column or as the index) and every target and
        covariate column; only its last ``lookback`` rows are used. Returns the time column
        with the future timestamps, then one column per target. Long data: ``history`` has
        the id columns too, every series is forecast (or those whose key, as
        ``panel.key_text`` writes it, is in ``ids``), and the table has the id columns
        first, one row per series and step. Id values are taken as text and an empty one
        is refused: read a CSV's id columns with ``dtype=str, keep_default_na=False``, or
        pandas reads an id such as NA as a missing value.

        ``future`` holds the future covariates over the horizon (the time column, the id
        columns of long data and each of ``data.future_covariates``); a model trained
        without them needs none (calendar and holidays are generated).
        """
        known = self._read_future(future)
        if history.empty:
            found = f"{source}: has no rows"
            raise InputError(f"{found}; fix: pass a frame with one row per timestamp")
        where = lambda i: f"row position {i}"  # noqa: E731
        panel = self._read_panel(history, where, source)
        return self.predict_panel(panel, source, ids, known, "future")

    def predict_csv(
        self, path: str | Path, ids: Sequence[str] = (), future: str | Path | None = None
    ) -> pd.DataFrame:
        """``predict`` from a CSV or Parquet file of history (and one of ``future``)."""
        known, future_source = self._read_future(future), str(future)
        time = self._time_options
        rows, where = read_rows(
            path, time.pop("row_filter", None), (), self.preprocessing.id_columns
        )
        panel = self._read_panel(rows, where, str(path), **time)
        return self.predict_panel(panel, str(path), ids, known, future_source)

    def _read_future(self, future: str | Path | pd.DataFrame | None) -> Panel | None:
        if future is None:
            if self.preprocessing.future_covariates:
                raise missing_future(self.preprocessing)  # before reading any history
            return None
        if not self.preprocessing.future_covariates:
            source = "future" if isinstance(future, pd.DataFrame) else str(future)
            raise InputError(
                f"{source}: the model has no future covariates (data.future_covariates was "
                "empty when it was trained; calendar and holidays are generated); fix: leave "
                "--future out"
            )
        return read_future(self.preprocessing, future, self._time_options)

    def predict_panel(
        self,
        panel: Panel,
        source: str,
        ids: Sequence[str] = (),
        future: Panel | None = None,
        future_source: str = "future",
    ) -> pd.DataFrame:
        """Every series of ``panel`` (or those named in ``ids``) forecast in batched model
        calls, not one call per series; a long table, series by series. ``future``: the
        future covariates over each series' horizon."""
        prep = self.preprocessing
        panel = _select(panel, ids, source)
        lengths = np.diff(panel.starts)
        # window.pad: a shorter history is padded, as in training
        need = min(prep.lookback, PADDED_INPUT_ROWS) if prep.pad else prep.lookback
        short = [k for k, n in enumerate(lengths) if n < need]
        if short and not panel.id_columns:
            raise InputError(
                f"{source}: has {lengths[0]} rows, the model needs the last {prep.lookback} "
                "(window.lookback); fix: pass a longer history, or train with window.pad: "
                "true to forecast from a shorter one"
            )
        if short:
            found = (
                f"{source}: {panel.name_of(short[0])} has {lengths[short[0]]} rows; "
                f"{len(short)} of {panel.num_series} series have fewer than window.lookback "
                f"= {prep.lookback}"
            )
            if len(short) == panel.num_series or ids:  # nothing to forecast, or asked for
                raise InputError(f"{found}; fix: pass a longer history")
            # one short series must not stop the forecast of thousands: say so, go on
            logger.warning(f"{found}; forecasting the other {panel.num_series - len(short)}")
            panel = panel.subset([k for k, n in enumerate(lengths) if n >= need])
        # the rows read: the network's lookback (and the longest lag before it,
        # window.lags); every row when statistical baselines, fit on the whole history,
        # are combined with it (evaluation.combine)
        read = 0 if prep.combine else -(prep.lookback + max(prep.lags, default=0))
        for k in range(panel.num_series):  # the time axis the model learnt, or a refusal
            index = panel.series_index(k)[read:]
            check_history(index, prep.time_style, prep.timezone, source)
        fit = prep.target_fit(panel, source)  # transform and season: refusals first
        centers, scales, _ = prep.series_scaling(panel, fit)  # [series, columns]
        last_rows = panel.starts[1:, None] - prep.lookback + np.arange(prep.lookback)
        rows = prep.model_rows(panel, source, fit)
        if prep.pad:  # rows before a series' first are padded, as in training
            recent = padded_inputs(rows, last_rows, panel.starts[:-1])
        else:
            recent = rows.take(last_rows)
        # [series, lookback, columns + calendar (+ observed-row column) + statics]
        times = future_times(panel, prep.frequency, prep.horizon)  # [series x H]
        known = future_inputs(prep, panel, times, centers, scales, future, future_source)
        model_input = recent if known is None else [recent, known]
        if panel.num_series <= PREDICT_BATCH:
            # the compiled predict function on one batch: Keras' predict loop costs more
            # than the forward pass when a few series are forecast
            output = np.asarray(self.model.predict_on_batch(model_input))
        else:
            output = np.asarray(
                self.model.predict(model_input, batch_size=PREDICT_BATCH, verbose=0)
            )
        num_targets = len(prep.targets)
        spread, center = scales[:, None, :num_targets], centers[:, None, :num_targets]
        if prep.quantiles:  # [series, H, T, Q]: every quantile on the series' scale
            output = output * spread[..., None] + center[..., None]
        else:
            output = output * spread + center
        # season put back and transform inverted: original units; the first forecast
        # step is local row ``length`` of each series
        every = np.arange(panel.num_series)
        output = fit.inverse(output, every, np.diff(panel.starts))
        spread = fit.spread(center, spread, every)  # [series, 1, T], original units
        forecast, head = prep.split_output(output)
        if prep.fallback_steps:
            _check_fallback_history(prep, int(np.diff(panel.starts).min()), source)
            values = panel.values[:, :num_targets].astype(np.float64)
            forecast = with_fallback(prep, forecast, values, panel.starts[1:])
        if prep.combine:  # members clipped before they are combined, as scoring does
            forecast = self._combined(panel, prep.clip(forecast), source)
        forecast = prep.clip(forecast)  # data.nonnegative; bands are clipped as made
        head = None if head is None else prep.clip(head)
        if not np.isfinite(forecast).all():
            bad = int(np.argmax(~np.isfinite(forecast).all(axis=(1, 2))))
            raise InputError(
                f"{source}: the forecast of {panel.name_of(bad, 'the history')} is not finite; "
                f"its last {prep.lookback} rows hold values far outside the training data; "
                "fix: check them"
            )
        bands = prep.interval_columns(forecast, spread, head)
        # one table for every series at once: [series, H, ...] -> [series x H, ...]
        steps = panel.num_series * prep.horizon
        table = panel.ids.iloc[np.repeat(np.arange(panel.num_series), prep.horizon)]
        table = table.reset_index(drop=True)
        table[prep.time_column] = times
        for k, target in enumerate(prep.targets):
            table[target] = forecast[..., k].reshape(steps)
        for name, column in bands.items():
            table[name] = column.reshape(steps)
        return table

    def _combined(self, panel: Panel, network: np.ndarray, source: str) -> np.ndarray:
        """``network`` (``[series, H, targets]``) combined per step with the bundle's
        statistical baselines (``evaluation.combine``), each fit per series on all the
        history given and forecasting the horizon after its last row."""
        prep = self.preprocessing
        values = panel.values[:, : len(prep.targets)].astype(np.float64)
        members = {"network": network}
        lengths = np.diff(panel.starts)
        for method in prep.combined_baselines:
            try:
                forecast = series_statistical_forecasts(
                    method,
                    values,
                    panel.starts,
                    lengths,  # each fit on all its rows, forecasting after the last
                    panel.starts[1:],
                    np.arange(panel.num_series),
                    prep.horizon,
                    prep.season,
                )
            except SeriesFitError as error:
                raise InputError(
                    f"{source}: {STATISTICAL_LABELS[method]}, which the bundle combines "
                    f"with the network (evaluation.combine), cannot forecast "
                    f"{panel.name_of(error.series, 'the history')}: {error}; fix: check its "
                    "rows"
                ) from error
            members[method] = prep.clip(forecast)
        return combined_forecast(prep.combine, members)

    def _read_panel(
        self, rows: pd.DataFrame, where: Callable[[int], str], source: str, **time: Any
    ) -> Panel:
        prep, data = self.preprocessing, self.spec.data
        time = time or self._time_options  # data.filter applies to a frame's rows too
        return read_panel(
            rows,
            where,
            source,
            id_columns=prep.id_columns,
            static_covariates=data.static_covariates,
            time_column=prep.time_column,
            columns=prep.columns,
            missing=prep.missing,
            column_fix=prep.column_fix,
            **time,
        )

    @property
    def _time_options(self) -> dict[str, Any]:
        """The spec's reading of the time column, at the frequency the model was trained on."""
        return time_options(self.spec.data) | {"frequency": self.preprocessing.frequency}


def with_fallback(
    preprocessing: Preprocessing, point: np.ndarray, targets: np.ndarray, origins: np.ndarray
) -> np.ndarray:
    """``point`` (``[windows, horizon, targets]``, original scale) with the steps
    ``evaluation.fallback`` gave to a baseline replaced by that baseline, read from
    ``targets`` (``[rows, targets]``) for windows whose first forecast row is ``origins``."""
    steps = preprocessing.fallback_steps
    if not steps:
        return point
    combined = np.array(point, dtype=np.float64)
    for h, name in steps.items():  # only the steps handed over are read
        baseline = baseline_windows(
            name, targets, origins, preprocessing.horizon, preprocessing.season
        )
        combined[:, h] = baseline.read(slice(None), [h])[:, 0]
    return combined


def combined_forecast(
    weights: dict[str, list[float]], members: dict[str, np.ndarray]
) -> np.ndarray:
    """The forecasts ``members`` (``[windows, horizon, targets]`` each, by the names in
    ``weights``) summed with their ``weights`` (``[horizon]`` each) at each step."""
    total = np.zeros(np.shape(members[next(iter(weights))]), dtype=np.float64)
    for name, per_step in weights.items():
        total += np.asarray(per_step, dtype=np.float64)[None, :, None] * members[name]
    return total


def _check_fallback_history(preprocessing: Preprocessing, rows: int, source: str) -> None:
    """Seasonal naive reads one season back: a history shorter than that cannot give it."""
    prep = preprocessing
    if "seasonal_naive" in prep.fallback_steps.values() and rows < prep.season:
        raise InputError(
            f"{source}: has {rows} rows (in its shortest series); the bundle forecasts some "
            f"steps with seasonal naive (evaluation.fallback), which needs the last "
            f"{prep.season}; fix: pass a longer history"
        )


def predict_windows(
    model: keras.Model,
    scaled_series: ModelRows | np.ndarray,
    origins: np.ndarray,
    preprocessing: Preprocessing,
    batch_size: int = 256,
) -> np.ndarray:
    """Forecasts for many windows at once, ``[windows, horizon, targets]``, still scaled."""
    num_targets = len(preprocessing.targets)
    dataset = window_dataset(
        scaled_series,
        origins,
        preprocessing.lookback,
        preprocessing.horizon,
        num_targets,
        batch_size,
        known=preprocessing.known_range,
    ).map(lambda inputs, _targets: (inputs,))  # a 1-tuple: inputs alone, even as a pair
    return np.asarray(model.predict(dataset, verbose=0))


def _select(panel: Panel, ids: Sequence[str], source: str) -> Panel:
    """The series whose keys, as text (``panel.key_text``), are in ``ids`` (all of them
    when empty)."""
    if not ids:
        return panel
    position = {key: k for k, key in enumerate(panel.keys)}
    picked = []
    for text in ids:
        try:
            key = parse_key(text, len(panel.id_columns))
        except ValueError:
            key = None
        if key not in position:
            labels = panel.labels
            close = difflib.get_close_matches(text, labels, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise InputError(
                f"{source}: no series {text!r} (--ids){hint}; a series is named by its id "
                f"values joined by {KEY_SEPARATOR!r}, a value holding '/' or '\"' in double "
                f"quotes, e.g. {labels[0]!r}; fix: use one of the {len(labels)} series in "
                "the data"
            )
        picked.append(position[key])
    return panel.subset(list(dict.fromkeys(picked)))
