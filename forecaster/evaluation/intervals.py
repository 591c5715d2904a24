"""Prediction intervals by split conformal prediction, and how good they are.

Calibration: the absolute errors of a forecast on the validation windows, each divided by
its series' target scale (so that short series borrow strength from long ones and a
series of millions does not drown one of tens), give per horizon step and target the
``ceil((n + 1) level) / n`` quantile ``w``. A forecast ``y`` then gets ``[y - w s, y + w s]``
with ``s`` its series' scale: if validation and test errors are exchangeable, each step
covers the truth with at least the stated probability (Vovk et al.; Angelopoulos & Bates,
"A Gentle Introduction to Conformal Prediction"). The baselines are calibrated the same
way on their own validation errors, so their intervals are compared fairly.

Measured on the test windows: coverage (overall and per step), mean width, the interval
(Winkler) score, and MSIS as the M4 competition defines it (the interval score divided by
the in-sample seasonal-naive MAE, per series). Compute only: no files, no printing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

Widths = dict[int, np.ndarray]  # level (e.g. 80) -> [horizon, targets], in scale units
Bounds = dict[int, tuple[np.ndarray, np.ndarray]]  # level -> (lower, upper), like the forecast


def conformal_widths(errors: np.ndarray, scale: np.ndarray, levels: Sequence[int]) -> Widths:
    """Half-widths per level from validation ``errors`` (``[windows, horizon, targets]``,
    actual - forecast) divided by ``scale`` (broadcasts to ``[windows, 1, targets]``)."""
    scores = np.abs(errors) / scale  # [windows, horizon, targets]
    count = len(scores)
    widths = {}
    for level in levels:
        rank = math.ceil((count + 1) * level / 100)
        if rank > count:  # too few windows for this level: the interval is unbounded
            widths[level] = np.full(scores.shape[1:], np.inf)
        else:
            widths[level] = np.sort(scores, axis=0)[rank - 1]
    return widths


def interval_bounds(
    forecast: np.ndarray, widths: Widths, scale: np.ndarray
) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """``(lower, upper)`` per level around ``forecast`` ``[windows, horizon, targets]``."""
    return {
        level: (forecast - width * scale, forecast + width * scale)
        for level, width in widths.items()
    }


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
