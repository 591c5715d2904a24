"""Target transforms (``transform``): log, log1p or Box-Cox, applied to every target
before it is scaled and inverted on every forecast, so that the network sees growth and
a seasonal swing that grows with the level as additive (Hewamalage, Bergmeir and Bandara,
IJF 2021). Box-Cox's lambda is fit per series and target on the training rows alone and
kept in the bundle as plain numbers; log and log1p have no parameters.

Every function takes ``lambdas`` broadcasting to the values' last axis (targets); log and
log1p ignore them.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import special, stats

from forecaster.data.panel import Panel
from forecaster.errors import InputError
from forecaster.spec import TargetTransform

# what each transform (and a multiplicative season) needs of a value: the spec field,
# what it needs, and the fix when one breaks it
_DOMAIN = {
    "log": ("transform", "positive", "use transform: log1p for series with zeros"),
    "box_cox": ("transform", "positive", "use transform: log1p for series with zeros"),
    "log1p": ("transform", "nonnegative", "correct the data"),
    "classical_multiplicative": (
        "deseasonalise",
        "positive",
        "use deseasonalise: classical_additive",
    ),
}


def forward(kind: TargetTransform, values: np.ndarray, lambdas: np.ndarray) -> np.ndarray:
    """``values`` (``[..., targets]``, in the transform's domain) transformed."""
    if kind == "log":
        return np.log(values)
    if kind == "log1p":
        return np.log1p(values)
    if kind == "box_cox":
        return special.boxcox(values, lambdas)
    return values


def inverse(kind: TargetTransform, transformed: np.ndarray, lambdas: np.ndarray) -> np.ndarray:
    """Back to the original units. Monotone increasing, so quantiles and interval bounds
    stay in order. A Box-Cox value beyond the transform's range (``lambda * y + 1 <= 0``)
    maps to its limit: 0 for a positive lambda, infinity for a negative one."""
    if kind == "log":
        return np.exp(transformed)
    if kind == "log1p":
        return np.expm1(transformed)
    if kind == "box_cox":
        lambdas = np.broadcast_to(lambdas, transformed.shape)
        with np.errstate(invalid="ignore", over="ignore"):
            outside = lambdas * transformed + 1 <= 0
            limit = np.where(lambdas > 0, 0.0, np.inf)
            return np.where(outside, limit, special.inv_boxcox(transformed, lambdas))
    return transformed


def slope(kind: TargetTransform, transformed: np.ndarray, lambdas: np.ndarray) -> np.ndarray:
    """The derivative of ``inverse`` at ``transformed``: how many original units one
    transformed unit is worth there (a spread on the transformed scale times it is the
    spread in original units, to first order)."""
    if kind in ("log", "log1p"):
        return np.exp(transformed)
    if kind == "box_cox":
        with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
            return inverse(kind, transformed, lambdas) ** (1 - np.asarray(lambdas))
    return np.ones_like(transformed)


def fit_lambdas(train_values: np.ndarray) -> np.ndarray:
    """Box-Cox lambda per column of ``train_values`` (``[rows, targets]``, positive) by
    maximum likelihood (scipy's ``boxcox_normmax``); a column that never changes, whose
    likelihood has no maximum, gets 1 (a shift: the scaler then sees the series as it is)."""
    lambdas = []
    for column in np.asarray(train_values, dtype=np.float64).T:
        column = column[np.isfinite(column)]
        if len(column) < 2 or np.ptp(column) == 0:
            lambdas.append(1.0)
            continue
        with warnings.catch_warnings():  # overflow warnings of the search's far ends
            warnings.simplefilter("ignore", RuntimeWarning)
            lambdas.append(float(stats.boxcox_normmax(column, method="mle")))
    return np.asarray(lambdas, dtype=np.float64)


def check_domain(
    kind: str,
    panel: Panel,
    targets: list[str],
    source: str,
    row_counts: np.ndarray | None = None,
    where: str = "",
) -> None:
    """Refuse a target value the transform ``kind`` cannot take (log and Box-Cox: <= 0;
    log1p: < 0; a multiplicative season, ``classical_multiplicative``, <= 0), naming the
    first one's series, time and value. ``row_counts``: only the first ``row_counts[k]``
    rows of series ``k`` are checked (its training rows); ``where`` says which rows
    those are."""
    if kind not in _DOMAIN:  # none, or a deseasonalising any value takes
        return
    option, needs, fix = _DOMAIN[kind]
    values = panel.values[:, : len(targets)]
    with np.errstate(invalid="ignore"):
        bad = values <= 0 if needs == "positive" else values < 0
    rows = np.flatnonzero(bad.any(axis=1))
    series = np.searchsorted(panel.starts, rows, side="right") - 1
    if row_counts is not None:
        rows = rows[rows - panel.starts[series] < row_counts[series]]
    if not len(rows):
        return
    row = int(rows[0])
    k = int(np.searchsorted(panel.starts, row, side="right") - 1)
    column = int(np.argmax(bad[row]))
    time = panel.series_index(k)[row - int(panel.starts[k])]
    of = f" of {panel.name_of(k)}" if panel.id_columns else ""
    raise InputError(
        f"{source}: {option}: {kind} needs {needs} targets, but target "
        f"{targets[column]!r}{of} is {values[row, column]:g} at {time}{where} "
        f"({len(rows):,} such rows in all); fix: {fix}, or set {option}: none"
    )


def fit_series_lambdas(
    kind: TargetTransform, panel: Panel, train_ends: np.ndarray, num_targets: int
) -> np.ndarray:
    """``[series, targets]``: each series' Box-Cox lambdas fit on its first
    ``train_ends[k]`` rows alone (zeros for the other transforms, which have none)."""
    if kind != "box_cox":
        return np.zeros((panel.num_series, num_targets))
    return np.stack(
        [
            fit_lambdas(panel.values[start : start + int(end), :num_targets])
            for start, end in zip(panel.starts[:-1], train_ends, strict=True)
        ]
    )
