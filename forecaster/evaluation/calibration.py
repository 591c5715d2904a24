"""Prediction intervals for scored periods: every forecast calibrated on its own errors
(validation windows, or rolling over the latest errors known), the test windows' bounds,
and how good they are. Compute only: no files, no printing; the arithmetic of conformal
quantiles and interval scores lives in ``intervals``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from forecaster.evaluation.intervals import (
    Bounds,
    Widths,
    conformal_quantile,
    interval_bounds,
    interval_scores,
    pinball,
    rolling_widths,
)
from forecaster.evaluation.scoring import PeriodForecasts
from forecaster.spec import Spec, quantile_pair, windows_needed


def add_intervals(
    scored: dict[str, PeriodForecasts],
    levels: Sequence[int],
    model_widths: Widths | None = None,
    quantile_levels: Sequence[float] = (),
    conformalize: bool = True,
    rolling: bool = False,
    rolling_windows: int | None = None,
    nonnegative: bool = False,
) -> tuple[Widths | None, dict[str, PeriodForecasts]]:
    """Conformal intervals for the test windows: every forecast calibrated on its own
    validation errors, or with ``rolling`` on the latest errors known at each window's
    origin (``rolling_windows`` of them, default as many as validation has; validation's
    first, then earlier test windows'). The model uses ``model_widths`` instead when
    given (a bundle's calibration scored on new data); without validation windows only
    the model gets intervals then. ``nonnegative`` (``data.nonnegative``) clips every
    bound at zero, as the bundle's forecasts are.
    Returns the model's widths for later forecasts (from the latest errors known) and
    ``scored`` with the test period's bounds and ``metrics["intervals"]``."""
    test, val = scored["test"], scored.get("val")
    assert test.target_scale is not None and test.window_scale is not None
    heads = {}
    if test.quantiles is not None:
        heads["model"] = _head_bounds(test.quantiles, quantile_levels, levels)
    widths: dict[str, Widths] = {}
    latest: Widths | None = None
    if val is not None:
        assert val.target_scale is not None
        short = [level for level in levels if windows_needed(level) > len(val.actual)]
        if short:  # an infinite bound: refused before training (check_calibration_windows)
            raise ValueError(
                f"{len(val.actual)} validation windows cannot calibrate the {short}% "
                f"intervals, which need {windows_needed(short[-1])}"
            )
        val_heads = {}
        if val.quantiles is not None:
            val_heads["model"] = _head_bounds(val.quantiles, quantile_levels, levels)
        val_origins, test_origins = _offsets(val, test)
        known_at = np.concatenate([val_origins, test_origins]) + test.actual.shape[1]
        last = np.array([known_at.max()])
        for name in val.forecasts:
            if name in val_heads and not conformalize:  # the head's range as it is
                widths[name] = {level: np.zeros(val.actual.shape[1:]) for level in levels}
                continue
            widths[name] = {}
            for level in levels:
                val_scores = _scores(val, name, val_heads.get(name), level)
                if not rolling:
                    widths[name][level] = conformal_quantile(val_scores, level)
                    continue
                test_scores = _scores(test, name, heads.get(name), level)
                scores = np.concatenate([val_scores, test_scores])
                count = rolling_windows or len(val_scores)
                widths[name][level] = rolling_widths(scores, known_at, test_origins, level, count)
                if name == "model":  # for forecasts after the data: every error is known
                    latest = latest or {}
                    latest[level] = rolling_widths(scores, known_at, last, level, count)[0]
        if not rolling:
            latest = widths.get("model")
    if model_widths is not None:
        widths["model"] = {level: model_widths[level] for level in levels}
        latest = widths["model"]
    if "model" not in widths:
        return None, scored
    bounds = {
        name: interval_bounds(
            np.asarray(test.forecasts[name]),
            widths[name],
            test.target_scale,
            heads.get(name),
        )
        for name in widths
    }
    if nonnegative:
        bounds = {
            name: {
                level: (np.maximum(low, 0.0), np.maximum(high, 0.0))
                for level, (low, high) in by_level.items()
            }
            for name, by_level in bounds.items()
        }
    actual = np.asarray(test.actual)
    metrics = {
        **test.metrics,
        "intervals": interval_metrics(actual, bounds, levels, test.window_scale),
    }
    if test.quantiles is not None:  # the head's own quantiles, before any conformal shift
        metrics["pinball"] = pinball(actual, test.quantiles, quantile_levels)
    test = replace(test, intervals=bounds, metrics=metrics)
    return latest, {**scored, "test": test}


def _scores(
    scored: PeriodForecasts,
    name: str,
    head: dict[int, tuple[np.ndarray, np.ndarray]] | None,
    level: int,
) -> np.ndarray:
    """Conformity scores ``[windows, horizon, targets]`` in units of each series' scale:
    absolute errors, or for a quantile head how far outside its ``level`` range the truth
    fell (conformalised quantile regression, Romano et al. 2019)."""
    if head is None:
        return np.abs(scored.actual - scored.forecasts[name]) / scored.target_scale
    lower, upper = head[level]
    return np.maximum(lower - scored.actual, scored.actual - upper) / scored.target_scale


def _offsets(val: PeriodForecasts, test: PeriodForecasts) -> tuple[np.ndarray, np.ndarray]:
    """Window origins counted from the first test origin of their own series, so that
    windows of different series line up by how far into the test period they start."""
    if test.series is None or val.series is None:
        first = test.origins.min()
        return val.origins - first, test.origins - first
    firsts = np.full(int(test.series.max()) + 1, np.iinfo(np.int64).max)
    np.minimum.at(firsts, test.series, test.origins)
    return val.origins - firsts[val.series], test.origins - firsts[test.series]


def _head_bounds(
    quantiles: np.ndarray, quantile_levels: Sequence[float], levels: Sequence[int]
) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Each level's (lower, upper) quantile of a head's ``[W, H, T, Q]`` output."""
    bounds = {}
    for level in levels:
        lower, upper = (list(quantile_levels).index(q) for q in quantile_pair(level))
        bounds[level] = (quantiles[..., lower], quantiles[..., upper])
    return bounds


def interval_metrics(
    actual: np.ndarray, bounds: dict[str, Bounds], levels: Sequence[int], mase: np.ndarray
) -> dict[str, Any]:
    """``metrics["intervals"]``: by level, then by forecast."""
    return {
        str(level): {
            name: interval_scores(actual, *forecast_bounds[level], level, mase)
            for name, forecast_bounds in bounds.items()
        }
        for level in levels
    }


def spec_intervals(
    spec: Spec, scored: dict[str, PeriodForecasts]
) -> tuple[Widths | None, dict[str, PeriodForecasts]]:
    """``add_intervals`` as the spec's ``intervals`` section asks (nothing without it)."""
    if spec.intervals is None:
        return None, scored
    return add_intervals(
        scored,
        spec.intervals.levels,
        quantile_levels=spec.intervals.quantiles,
        conformalize=spec.intervals.conformalize,
        rolling=spec.intervals.calibration == "rolling",
        rolling_windows=spec.intervals.calibration_windows,
        nonnegative=spec.data.nonnegative,
    )
