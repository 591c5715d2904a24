"""Rolling-origin backtest: the model and its scaler refit for each fold, scored on the
block of rows right after the fold's training rows. Compute only: ``commands.backtest``
writes the files.

Fold layout: the spec's test period is split into ``evaluation.folds`` consecutive blocks
of equal length (the first ones one row longer when it does not divide), oldest first.
Fold k is tested on block k and fit on rows before it: every row from the start of the
series (``evaluation.window: expanding``) or a fixed number of rows that moves forward with
the fold (``sliding``: as many as fold 1 has). The last rows of that range, as many as the
spec's validation period, are held out for early stopping; the scaler and the weights see
only the rows before them. Fold 1 is therefore the spec's own train/validation split.

In sktime terms: ExpandingWindowSplitter (or SlidingWindowSplitter) with the rows before
the test period as initial window and the block length as step; in Darts terms:
historical_forecasts from the start of the test period, stride 1, retraining once per
block. A block's windows follow the test period's rule: every origin whose whole horizon
lies in the block, the input may reach back into the fold's validation rows.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from forecaster.data.frequency import infer_frequency, season_length
from forecaster.data.panel import Panel, SeriesKey
from forecaster.errors import InputError
from forecaster.evaluation.calibration import interval_metrics, spec_intervals
from forecaster.evaluation.combination import combined_scores
from forecaster.evaluation.gate import gated_scores
from forecaster.evaluation.intervals import Bounds
from forecaster.evaluation.scoring import (
    PeriodForecasts,
    per_series_scores,
    score_forecasts,
    score_periods,
    series_summary,
)
from forecaster.model.ensemble import fit_ensemble
from forecaster.model.periods import Period, Periods, SeriesPeriods, scorable_series, split_periods
from forecaster.model.scaling import Scaler
from forecaster.model.training import FitResult, fit
from forecaster.spec import Spec, TrainingRange


@dataclass(frozen=True)
class Fold:
    """Rows of one fold: train ``[train_start, val_start)``, validation
    ``[val_start, test_start)``, test ``[test_start, test_end)``."""

    number: int  # 1 is the oldest
    train_start: int
    val_start: int
    test_start: int
    test_end: int

    def periods(self) -> Periods:
        """The fold's bounds counted from ``train_start`` (its rows cut out of the series)."""
        return Periods(
            train_end=self.val_start - self.train_start,
            val_end=self.test_start - self.train_start,
            end=self.test_end - self.train_start,
        )

    def rows(self) -> dict[str, list[int]]:
        return {
            "train": [self.train_start, self.val_start],
            "val": [self.val_start, self.test_start],
            "test": [self.test_start, self.test_end],
        }


def fold_layout(
    periods: Periods,
    folds: int,
    training_range: TrainingRange,
    horizon: int,
    source: str = "data",
) -> list[Fold]:
    """The folds of a backtest over the test period of ``periods`` (see the module doc)."""
    test_rows = periods.end - periods.val_end
    block = test_rows // folds
    if block < horizon:
        raise InputError(
            f"{source}: {folds} folds over the {test_rows} test rows leave {block} rows per "
            f"fold, fewer than window.horizon ({horizon}); fix: use at most "
            f"{max(1, test_rows // horizon)} folds or a larger data.split test share"
        )
    val_rows = periods.val_end - periods.train_end
    blocks = np.array_split(np.arange(periods.val_end, periods.end), folds)
    layout = []
    for number, rows in enumerate(blocks, start=1):
        test_start = int(rows[0])
        val_start = test_start - val_rows
        train_start = 0 if training_range == "expanding" else test_start - periods.val_end
        layout.append(Fold(number, train_start, val_start, test_start, int(rows[-1]) + 1))
    return layout


def fold_boundaries(spec: Spec, index: pd.Index) -> list[int]:
    """Every row where a fold's validation or test rows start or end: filling a gap never
    reads across one, so no fold's training rows hold values from its test block."""
    periods = split_periods(index, spec.data.split)
    evaluation, source = spec.evaluation, str(spec.data.path)
    folds = fold_layout(periods, evaluation.folds, evaluation.window, spec.window.horizon, source)
    rows = {periods.train_end, periods.val_end, periods.end}
    return sorted(rows.union(*({f.val_start, f.test_start, f.test_end} for f in folds)))


@dataclass(frozen=True)
class FoldResult:
    fold: Fold
    scored: PeriodForecasts  # the fold's test block; origins are rows of the whole series
    fitted: FitResult  # the fold's model, scaler and training history

    @property
    def scalers(self) -> dict[SeriesKey, Scaler]:
        """The fold's scaler of each series, by series key."""
        return self.fitted.preprocessing.series_scalers

    @property
    def history(self) -> pd.DataFrame:
        return self.fitted.history


@dataclass(frozen=True)
class BacktestResult:
    spec: Spec
    panel: Panel  # the series backtested, targets first
    data_source: str
    folds: list[FoldResult]
    pooled: PeriodForecasts  # every fold's windows together
    frequency: str
    left_out: dict[str, str] = field(default_factory=dict)  # series key -> why

    def to_dict(self) -> dict[str, Any]:
        """What ``backtest.json`` holds."""
        index = self.panel.series_index(0)

        def times(start: int, stop: int) -> list[str]:
            return [str(index[start]), str(index[stop - 1])]

        per_fold = []
        for number, result in enumerate(self.folds, start=1):
            fold: dict[str, Any] = {"fold": number}
            if self.panel.num_series == 1:  # many series: each has its own rows and dates
                rows = result.fold.rows()
                fold |= {"rows": rows, "times": {name: times(*r) for name, r in rows.items()}}
            per_fold.append(
                fold
                | {
                    "epochs_run": len(result.history),
                    "best_epoch": result.fitted.best_epoch,
                    "train_seconds": round(result.fitted.train_seconds, 3),
                    "metrics": result.scored.metrics,
                }
            )
        return {
            "spec": self.spec.name,
            "data": self.data_source,
            "folds": len(self.folds),
            "window": self.spec.evaluation.window,
            "lookback": self.spec.window.lookback,
            "horizon": self.spec.window.horizon,
            "season": self.pooled.metrics["season"],
            **({"left_out_series": self.left_out} if self.panel.id_columns else {}),
            "per_fold": per_fold,
            "pooled": self.pooled.metrics,
        }


def run_backtest(
    spec: Spec,
    panel: Panel,
    *,
    quiet: bool = True,
    force_cpu: bool = False,
    progress: Callable[[str], None] | None = None,
) -> BacktestResult:
    """Every series gets the fold layout of its own test period, and fold ``k`` fits one
    model on every series' fold-``k`` training rows and scores every series' fold-``k``
    test block (one series: the spec's test period split into folds)."""
    source = str(spec.data.path)
    lookback, horizon = spec.window.lookback, spec.window.horizon
    longest = int(np.argmax(np.diff(panel.starts)))
    frequency = spec.data.frequency or infer_frequency(panel.series_index(longest), source)
    season = spec.evaluation.season or season_length(frequency)
    panel, series_periods, left_out = scorable_series(
        panel, spec.data.split, lookback, horizon, season, source, pad=spec.window.pad
    )
    evaluation = spec.evaluation
    layouts = [
        fold_layout(
            periods,
            evaluation.folds,
            evaluation.window,
            horizon,
            source if panel.num_series == 1 else f"{source} ({key})",
        )
        for periods, key in zip(series_periods.periods, panel.labels, strict=True)
    ]
    results = []
    retracing = RetracingNoise()
    logging.getLogger("tensorflow").addFilter(retracing)
    try:
        for number in range(len(layouts[0])):
            folds = [layout[number] for layout in layouts]
            if progress:
                progress(_fold_progress(panel, folds, len(layouts[0])))
            results.append(_fit_fold(spec, panel, folds, quiet, force_cpu))
    finally:
        logging.getLogger("tensorflow").removeFilter(retracing)
    pooled = pool(results, spec, panel)
    return BacktestResult(spec, panel, source, results, pooled, frequency, left_out)


def _fold_progress(panel: Panel, folds: list[Fold], count: int) -> str:
    fold = folds[0]
    if panel.num_series > 1:
        return f"fold {fold.number}/{count}: {panel.num_series} series"
    index = panel.series_index(0)
    first, last = index[fold.test_start], index[fold.test_end - 1]
    return (
        f"fold {fold.number}/{count}: training rows {fold.train_start}-"
        f"{fold.val_start - 1}, validation {fold.val_start}-{fold.test_start - 1}, "
        f"test {fold.test_start}-{fold.test_end - 1} ({first} to {last})"
    )


def _fit_fold(
    spec: Spec, panel: Panel, folds: list[Fold], quiet: bool, force_cpu: bool
) -> FoldResult:
    """One fold of every series: fit on their fold rows, score their test blocks. Only
    the fold's rows are cut out: nothing after a test block can reach the fit, and the fit
    itself reads only the rows before the validation slice (scaler) and before the test
    block (early stopping)."""
    blocks = [
        panel.series(k).iloc[fold.train_start : fold.test_end] for k, fold in enumerate(folds)
    ]
    lengths = [len(block) for block in blocks]
    rows = Panel.of_frame(
        pd.concat(blocks),
        np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
        panel.ids,
        panel.statics,
    )
    periods = SeriesPeriods(rows.starts[:-1], tuple(fold.periods() for fold in folds))
    if spec.train.ensemble is not None:  # every member refit on the fold's rows
        fitted = fit_ensemble(spec, rows, quiet=quiet, force_cpu=force_cpu, periods=periods)
    else:
        fitted = fit(spec, rows, quiet=quiet, force_cpu=force_cpu, periods=periods)
    _, by_period = gated_scores(
        spec,
        fitted.preprocessing,
        lambda prep: score_periods(
            fitted.model,
            prep,
            rows,
            periods,
            periods_scored(spec),
            statistical=spec.evaluation.statistical,
        ),
    )
    if spec.evaluation.combine:  # the fold's own weights, fit on its validation windows
        _, by_period = combined_scores(
            fitted.preprocessing, by_period, rows, spec.evaluation.combine
        )
    if "gate" in by_period.get("val", by_period["test"]).metrics:  # the fold's own gate
        by_period["test"].metrics["gate"] = by_period["val"].metrics["gate"]
    scored = with_intervals(spec, by_period)
    assert scored.series is not None
    # rows of the whole panel: each series' fold rows start train_start into the series
    shift = np.array([panel.starts[k] + fold.train_start for k, fold in enumerate(folds)])
    origins = scored.origins - rows.starts[scored.series] + shift[scored.series]
    # held: the fold's windows outlive its rows (every fold is pooled at the end)
    return FoldResult(folds[0], replace(scored.held(), origins=origins), fitted)


class RetracingNoise(logging.Filter):
    """Refitting the same architecture once per fold makes Keras trace a new predict
    function each time, as it must; TensorFlow warns about that as if it were a mistake."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "triggered tf.function retracing" not in record.getMessage()


def periods_scored(spec: Spec) -> tuple[Period, ...]:
    """Intervals are recalibrated, the fallback's steps chosen and the combination's
    weights fit, per fold, on that fold's own validation windows."""
    per_fold_validation = (
        spec.intervals is not None
        or spec.evaluation.fallback == "baseline"
        or bool(spec.evaluation.combine)
    )
    return ("val", "test") if per_fold_validation else ("test",)


def with_intervals(spec: Spec, scored: dict[str, PeriodForecasts]) -> PeriodForecasts:
    """The fold's test block, with intervals calibrated on the fold's own errors."""
    return spec_intervals(spec, scored)[1]["test"]


def pool(results: list[FoldResult], spec: Spec, panel: Panel) -> PeriodForecasts:
    """Every fold's windows scored together; MASE scales each window's errors by its own
    fold's in-sample scale; and per series over all folds."""
    scored = [result.scored for result in results]
    actual = np.concatenate([fold.actual for fold in scored])
    forecasts = {
        name: np.concatenate([fold.forecasts[name] for fold in scored])
        for name in scored[0].forecasts
    }
    scale = np.concatenate([fold.window_scale for fold in scored])
    metrics = score_forecasts(actual, forecasts, scale, list(spec.data.targets))
    metrics |= {"windows": len(actual), "season": scored[0].metrics["season"]}
    if "combination" in scored[0].metrics:  # evaluation.combine: each fold's own weights
        metrics["combination"] = {
            "fit": scored[0].metrics["combination"]["fit"],
            "per_fold": [fold.metrics["combination"]["weights"] for fold in scored],
        }
    if "actual_future_covariates" in scored[0].metrics:
        metrics["actual_future_covariates"] = scored[0].metrics["actual_future_covariates"]
    origins = np.concatenate([fold.origins for fold in scored])
    bounds: dict[str, Bounds] | None = None
    if spec.intervals is not None and scored[0].intervals is not None:
        levels = spec.intervals.levels
        per_fold = []
        for fold in scored:
            assert fold.intervals is not None, "each fold is calibrated when the first one is"
            per_fold.append(fold.intervals)
        bounds = {
            name: {
                level: (
                    np.concatenate([intervals[name][level][0] for intervals in per_fold]),
                    np.concatenate([intervals[name][level][1] for intervals in per_fold]),
                )
                for level in levels
            }
            for name in per_fold[0]
        }
        metrics["intervals"] = interval_metrics(actual, bounds, levels, scale)
    series = np.concatenate([fold.series for fold in scored])
    table = per_series_scores(actual, forecasts, series, scale, panel)
    if panel.num_series > 1:
        baselines = [name for name in forecasts if name != "model"]
        metrics |= {"series": panel.num_series, **series_summary(table, baselines)}
    return PeriodForecasts(
        origins, actual, forecasts, metrics, series, table, scale, intervals=bounds
    )
