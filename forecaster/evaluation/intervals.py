"""Prediction intervals by split conformal prediction, and how good they are.

Calibration: the absolute errors of a forecast on ``n`` calibration windows, each divided
by its series' target scale (so that short series borrow strength from long ones and a
series of millions does not drown one of tens), give per horizon step and target the
``ceil((n + 1) level) / n`` quantile ``w``. A forecast ``y`` then gets ``[y - w s, y + w s]``
with ``s`` its series' scale: if calibration and test errors are exchangeable, each step
covers the truth with at least the stated probability (Vovk et al.; Angelopoulos & Bates,
"A Gentle Introduction to Conformal Prediction"). The calibration windows are the
validation windows, or (rolling) the ``n`` latest windows whose errors are known at each
test window's origin, so the intervals follow a drift in the size of the errors. The
baselines are calibrated the same way on their own errors, so their intervals are
compared fairly.

Measured on the test windows: coverage (overall and per step), mean width, the interval
(Winkler) score, and MSIS as the M4 competition defines it (the interval score divided by
the in-sample seasonal-naive MAE, per series). Compute only: no files, no printing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

Widths = dict[int, np.ndarray]  # level (e.g. 80) -> [horizon, targets], in scale units
Bounds = dict[int, tuple[np.ndarray, np.ndarray]]  # level -> (lower, upper), like the forecast


def rolling_widths(
    scores: np.ndarray, known_at: np.ndarray, origins: np.ndarray, level: int, count: int
) -> np.ndarray:
    """Half-widths for each window starting at ``origins`` from the ``count`` most recent
    calibration ``scores`` (``[windows, horizon, targets]``) whose outcomes are all known
    by then (``known_at <= origin``): the calibration slides forward as errors come in,
    and never reads an error not yet observed. Returns ``[len(origins), horizon, targets]``."""
    order = np.argsort(known_at, kind="stable")
    scores, known_at = scores[order], known_at[order]
    widths = np.empty((len(origins), *scores.shape[1:]))
    for origin in np.unique(origins):
        stop = int(np.searchsorted(known_at, origin, side="right"))
        widths[origins == origin] = conformal_quantile(scores[max(0, stop - count) : stop], level)
    return widths


def conformal_quantile(scores: np.ndarray, level: int) -> np.ndarray:
    """The ``ceil((n + 1) level) / n`` empirical quantile of conformity ``scores`` over
    windows, ``[horizon, targets]`` (``scores``: absolute errors in scale units, or a
    quantile head's misses); infinite when there are too few windows to promise ``level``
    (fewer than ``spec.windows_needed(level)``, a split training refuses before it starts)."""
    count = len(scores)
    rank = -(-(count + 1) * level // 100)  # ceil((count + 1) level / 100), exactly
    if rank > count:
        return np.full(scores.shape[1:], np.inf)
    return np.partition(scores, rank - 1, axis=0)[rank - 1]


def interval_bounds(
    forecast: np.ndarray,
    widths: Widths,
    scale: np.ndarray,
    head: dict[int, tuple[np.ndarray, np.ndarray]] | None = None,
) -> Bounds:
    """``(lower, upper)`` per level: ``forecast`` ``[windows, horizon, targets]`` plus or
    minus ``widths`` scales; with a quantile ``head`` (each level's quantile pair), that
    pair moved out (or in) by ``widths`` scales, as conformalised quantile regression does."""
    if head is None:
        return {
            level: (forecast - width * scale, forecast + width * scale)
            for level, width in widths.items()
        }
    return {
        level: (head[level][0] - width * scale, head[level][1] + width * scale)
        for level, width in widths.items()
    }


def pinball(actual: np.ndarray, quantiles: np.ndarray, levels: Sequence[float]) -> dict[str, float]:
    """Mean pinball loss per quantile of ``quantiles`` ``[..., Q]`` against ``actual``."""
    error = actual[..., None] - quantiles
    losses = np.maximum(np.array(levels) * error, (np.array(levels) - 1) * error)
    return {f"{q:g}": float(losses[..., k].mean()) for k, q in enumerate(levels)}


def interval_scores(
    actual: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    level: int,
    mase_scale: np.ndarray,
) -> dict[str, Any]:
    """Coverage (overall and per step), mean width, Winkler score and MSIS of one level's
    intervals on ``[windows, horizon, targets]`` arrays."""
    alpha = 1 - level / 100
    inside = (actual >= lower) & (actual <= upper)
    below, above = actual < lower, actual > upper
    penalty = (2 / alpha) * ((lower - actual) * below + (actual - upper) * above)
    winkler = (upper - lower) + penalty
    return {
        "level": level,
        "coverage": float(inside.mean()),
        "coverage_per_step": inside.mean(axis=(0, 2)).tolist(),
        "width": float(np.mean(upper - lower)),
        "winkler": float(np.mean(winkler)),
        "msis": float(np.mean(winkler / mase_scale)),
    }
