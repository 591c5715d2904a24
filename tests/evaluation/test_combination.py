"""``evaluation.combine``'s weights: per step, convex, fit on MASE-scaled validation
errors; and the forecast they give."""

from __future__ import annotations

import numpy as np
import pytest

from forecaster.bundle.forecasting import combined_forecast
from forecaster.evaluation.combination import fit_weights


def members_and_actual(
    windows: int = 40, horizon: int = 3, seed: int = 0
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    actual = rng.normal(10, 2, (windows, horizon, 1))
    members = {
        "network": actual + rng.normal(0, 1.0, actual.shape),
        "auto_ets": actual + rng.normal(0.5, 0.6, actual.shape),
        "theta": actual + rng.normal(-0.5, 0.6, actual.shape),
    }
    return actual, members


@pytest.mark.parametrize("loss", ["absolute", "squared"])
def test_an_exact_member_gets_all_the_weight(loss: str) -> None:
    actual, members = members_and_actual()
    members["theta"] = actual.copy()
    weights = fit_weights(actual, members, np.ones((len(actual), 1, 1)), loss=loss)
    np.testing.assert_allclose(weights["theta"], [1.0, 1.0, 1.0], atol=1e-6)
    np.testing.assert_allclose(weights["network"], [0.0, 0.0, 0.0], atol=1e-6)
    combined = combined_forecast(weights, members)
    np.testing.assert_allclose(combined, actual, atol=1e-5)


def test_the_weights_are_convex_at_every_step() -> None:
    actual, members = members_and_actual(seed=1)
    weights = fit_weights(actual, members, np.ones((len(actual), 1, 1)))
    stacked = np.array(list(weights.values()))  # [members, horizon]
    assert (stacked >= 0).all()
    np.testing.assert_allclose(stacked.sum(axis=0), 1.0)
    # two members biased in opposite directions: the fit uses both
    assert min(weights["auto_ets"]) > 0.1 and min(weights["theta"]) > 0.1


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_the_combination_is_never_worse_than_its_best_member_on_validation(seed: int) -> None:
    actual, members = members_and_actual(seed=seed)
    scale = np.random.default_rng(seed).uniform(0.5, 3.0, (len(actual), 1, 1))
    weights = fit_weights(actual, members, scale)
    combined = combined_forecast(weights, members)

    def scaled_mae_per_step(forecast: np.ndarray) -> np.ndarray:
        return (np.abs(actual - forecast) / scale).mean(axis=(0, 2))

    best = np.min([scaled_mae_per_step(forecast) for forecast in members.values()], axis=0)
    assert (scaled_mae_per_step(combined) <= best + 1e-9).all()


def test_errors_are_weighed_on_each_series_scale() -> None:
    """A series 1,000 times larger would decide a fit on raw errors; on the MASE scale
    each series counts alike. Here the network is exact on the small series only and theta
    on the large one only: on raw errors theta would take every weight."""
    small = np.linspace(1, 2, 30).reshape(30, 1, 1)
    large = 1000 * np.linspace(1, 2, 10).reshape(10, 1, 1)
    actual = np.concatenate([small, large])
    network = np.concatenate([small, large * 1.1])
    theta = np.concatenate([small * 1.5, large])
    scale = np.concatenate([np.full((30, 1, 1), 0.1), np.full((10, 1, 1), 100.0)])
    members = {"network": network, "theta": theta}
    on_scale = fit_weights(actual, members, scale)
    raw = fit_weights(actual, members, np.ones_like(scale))
    assert on_scale["network"][0] == pytest.approx(1.0)  # 30 series against 10
    assert raw["theta"][0] == pytest.approx(1.0)


def test_windows_without_a_scale_are_left_out_and_an_empty_step_keeps_the_network() -> None:
    actual, members = members_and_actual(windows=4, horizon=2)
    weights = fit_weights(actual, members, np.zeros((4, 1, 1)))
    assert weights == {"network": [1.0, 1.0], "auto_ets": [0.0, 0.0], "theta": [0.0, 0.0]}


def test_the_combined_forecast_weighs_each_step_by_its_own_weights() -> None:
    members = {"network": np.full((2, 2, 1), 10.0), "auto_ets": np.full((2, 2, 1), 20.0)}
    weights = {"network": [1.0, 0.25], "auto_ets": [0.0, 0.75]}
    np.testing.assert_allclose(combined_forecast(weights, members)[:, :, 0], [[10, 17.5]] * 2)
