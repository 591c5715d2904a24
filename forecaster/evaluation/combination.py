"""``evaluation.combine``: the network's forecast combined with statistical baselines,
horizon step by horizon step, with weights fit on the validation windows; and every
scored period rescored with the combination as the model and the network beside it.

Compute only: nothing here writes a file or prints. scipy is imported inside the fit.

The weights of a step are convex (non-negative, summing to one): a combination never
extrapolates beyond its members, so a weight fit on some series cannot blow up the
forecast of a series of another scale, and the weights read as shares. They minimise the
validation windows' absolute errors, each divided by its series' MASE scale (the in-sample
seasonal-naive MAE of its training rows): that sum is the pooled validation MASE, the
number the rest of the tool judges by, and no large series dominates the fit as it would
on raw errors. Absolute rather than squared errors for the same reason, and because a
few windows with a level shift would pull a least-squares fit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from forecaster.bundle.forecasting import combined_forecast
from forecaster.data.panel import Panel
from forecaster.evaluation.scoring import PeriodForecasts, scored_period
from forecaster.model.preprocessing import Preprocessing

NETWORK = "network"  # the network's own forecast, scored beside the combination
COMBINE_PERIOD = "val"
FIT = "convex weights per step, least absolute error on MASE-scaled validation errors"


def fit_weights(
    actual: np.ndarray,
    members: dict[str, np.ndarray],
    scale: np.ndarray,
    loss: str = "absolute",
) -> dict[str, list[float]]:
    """Per horizon step, the convex weights of ``members`` (forecasts
    ``[windows, horizon, targets]``) that minimise the sum of ``|actual - combination|
    / scale`` over the windows and targets (``loss="squared"``: its squares).

    ``scale`` is ``[windows, 1, targets]``; windows whose scale is zero or not finite (a
    constant training series) are left out of the fit. A step with nothing left to fit
    on gives the first member all the weight."""
    names = list(members)
    horizon = actual.shape[1]
    stacked = np.stack([members[name] for name in names], axis=-1)  # [W, H, T, M]
    usable = np.isfinite(scale) & (scale > 0)  # [W, 1, T]
    weights = np.zeros((horizon, len(names)))
    for h in range(horizon):
        keep = usable[:, 0, :] & np.isfinite(actual[:, h, :])  # [W, T]
        keep &= np.isfinite(stacked[:, h]).all(axis=-1)
        x = (stacked[:, h][keep]) / scale[:, 0, :][keep][:, None]  # [n, M]
        y = actual[:, h][keep] / scale[:, 0, :][keep]  # [n]
        weights[h] = _convex_fit(x, y, loss) if len(y) else np.eye(len(names))[0]
    return {name: weights[:, m].tolist() for m, name in enumerate(names)}


def _convex_fit(x: np.ndarray, y: np.ndarray, loss: str) -> np.ndarray:
    """Weights ``w >= 0``, ``sum(w) = 1`` minimising ``sum |y - x w|`` (a linear
    programme) or ``sum (y - x w)^2`` (least squares on the simplex)."""
    n, m = x.shape
    if loss == "absolute":
        from scipy import sparse
        from scipy.optimize import linprog

        # variables: w (m), then the positive and negative parts of each residual (n, n);
        # sparse, as the identity blocks are n x n
        cost = np.concatenate([np.zeros(m), np.ones(2 * n)])
        identity = sparse.identity(n, format="csr")
        equal = sparse.vstack(
            [
                sparse.hstack([sparse.csr_matrix(x), identity, -identity]),
                sparse.hstack([np.ones((1, m)), sparse.csr_matrix((1, 2 * n))]),
            ],
            format="csr",
        )
        result = linprog(cost, A_eq=equal, b_eq=np.append(y, 1.0), bounds=(0, None), method="highs")
        if not result.success:  # not expected of a feasible, bounded programme
            raise ValueError(f"the combination's weights could not be fit: {result.message}")
        w = result.x[:m]
    elif loss == "squared":
        from scipy.optimize import minimize

        start = np.full(m, 1.0 / m)
        result = minimize(
            lambda w: float(np.sum(np.square(y - x @ w))),
            start,
            jac=lambda w: -2.0 * x.T @ (y - x @ w),
            bounds=[(0.0, 1.0)] * m,
            constraints=[{"type": "eq", "fun": lambda w: np.sum(w) - 1.0}],
            method="SLSQP",
        )
        w = result.x
    else:
        raise ValueError(f"unknown loss {loss!r}; choose absolute or squared")
    w = np.clip(w, 0.0, None)
    return w / w.sum()


def combined_scores(
    preprocessing: Preprocessing,
    scored: dict[str, PeriodForecasts],
    panel: Panel,
    methods: Sequence[str],
    weights: dict[str, list[float]] | None = None,
) -> tuple[Preprocessing, dict[str, PeriodForecasts]]:
    """``scored`` (the network as ``model``, and each of ``methods`` as a baseline) with
    every period rescored as the bundle forecasts: the combination of the network and
    ``methods`` as ``model``, the network alone as ``network``. ``weights`` (a bundle's)
    or, when None, fit on the validation windows. Returns the preprocessing with the
    weights, and the periods; each period's metrics hold the weights as
    ``combination``."""
    if weights is None:
        if COMBINE_PERIOD not in scored:
            raise ValueError("fitting the combination's weights needs validation windows")
        val = scored[COMBINE_PERIOD]
        assert val.window_scale is not None
        # held as arrays for the fit, one period at a time
        members = {NETWORK: np.asarray(val.forecasts["model"])}
        members |= {m: np.asarray(val.forecasts[m]) for m in methods}
        weights = fit_weights(np.asarray(val.actual), members, val.window_scale)
    prep = replace(preprocessing, combine=weights)
    result = {}
    for period, forecasts in scored.items():
        members = {NETWORK: np.asarray(forecasts.forecasts["model"])}
        members |= {m: np.asarray(forecasts.forecasts[m]) for m in prep.combined_baselines}
        combined = prep.clip(combined_forecast(weights, members))
        others = {k: v for k, v in forecasts.forecasts.items() if k != "model"}
        assert forecasts.series is not None and forecasts.window_scale is not None
        assert forecasts.target_scale is not None
        rescored = scored_period(
            forecasts.origins,
            forecasts.actual,
            {"model": combined, NETWORK: forecasts.forecasts["model"], **others},
            forecasts.series,
            forecasts.window_scale,
            forecasts.target_scale,
            forecasts.quantiles,
            panel,
            prep,
        )
        rescored.metrics["combination"] = combination_summary(weights)
        if "gate" in forecasts.metrics:  # the network's own gate
            rescored.metrics["gate"] = forecasts.metrics["gate"]
        result[period] = rescored
    return prep, result


def combination_summary(weights: dict[str, list[float]]) -> dict[str, Any]:
    """What metrics.json says of the combination: its members, weights per step and fit."""
    return {"members": list(weights), "weights": weights, "fit": FIT}
