"""The backtest of long data: every series gets the fold layout of its own test period
(``backtest.fold_layout``), and fold ``k`` fits one global model on every series'
fold-``k`` training rows and scores every series' fold-``k`` test block. Compute only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pandas as pd

from forecaster.evaluation.backtest import (
    BacktestResult,
    Fold,
    FoldResult,
    RetracingNoise,
    fold_layout,
    periods_scored,
    pool,
    with_intervals,
)
from forecaster.evaluation.gate import gated_scores
from forecaster.evaluation.series_scoring import score_panel
from forecaster.frequency import infer_frequency, season_length
from forecaster.panel import Panel
from forecaster.spec import Spec
from forecaster.training import fit
from forecaster.windows import SeriesPeriods, scorable_series


def run_panel_backtest(
    spec: Spec,
    panel: Panel,
    *,
    quiet: bool = True,
    force_cpu: bool = False,
    progress: Callable[[str], None] | None = None,
) -> BacktestResult:
    """The backtest of long data: every series gets the fold layout of its own test
    period, and fold ``k`` fits one global model on every series' fold-``k`` training
    rows and scores every series' fold-``k`` test block."""
    source = str(spec.data.path)
    lookback, horizon = spec.window.lookback, spec.window.horizon
    longest = int(np.argmax(np.diff(panel.starts)))
    frequency = spec.data.frequency or infer_frequency(panel.series(longest).index, source)
    season = spec.evaluation.season or season_length(frequency)
    panel, series_periods, left_out = scorable_series(
        panel, spec.data.split, lookback, horizon, season, source
    )
    evaluation = spec.evaluation
    layouts = [
        fold_layout(periods, evaluation.folds, evaluation.window, horizon, f"{source} ({key})")
        for periods, key in zip(series_periods.periods, panel.keys, strict=True)
    ]
    results = []
    retracing = RetracingNoise()
    logging.getLogger("tensorflow").addFilter(retracing)
    try:
        for number in range(len(layouts[0])):
            folds = [layout[number] for layout in layouts]
            if progress:
                progress(f"fold {number + 1}/{len(layouts[0])}: {panel.num_series} series")
            results.append(_fit_panel_fold(spec, panel, folds, quiet, force_cpu))
    finally:
        logging.getLogger("tensorflow").removeFilter(retracing)
    pooled = pool(results, spec, panel)
    result = BacktestResult(spec, panel.frame, source, results, pooled, frequency, panel)
    return replace(result, left_out=left_out)


def _fit_panel_fold(
    spec: Spec, panel: Panel, folds: list[Fold], quiet: bool, force_cpu: bool
) -> FoldResult:
    """One fold of every series: fit on their fold rows, score their test blocks."""
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
    fitted = fit(spec, rows, quiet=quiet, force_cpu=force_cpu, periods=periods)
    _, by_period = gated_scores(
        spec,
        fitted.preprocessing,
        lambda prep: score_panel(
            fitted.model,
            prep,
            rows,
            periods,
            periods_scored(spec),
            statistical=spec.evaluation.baselines,
        ),
    )
    if "gate" in by_period.get("val", by_period["test"]).metrics:  # the fold's own gate
        by_period["test"].metrics["gate"] = by_period["val"].metrics["gate"]
    scored = with_intervals(spec, by_period)
    assert scored.series is not None
    # rows of the whole panel: each series' fold rows start train_start into the series
    shift = np.array([panel.starts[k] + fold.train_start for k, fold in enumerate(folds)])
    origins = scored.origins - rows.starts[scored.series] + shift[scored.series]
    return FoldResult(folds[0], replace(scored, origins=origins), fitted)
