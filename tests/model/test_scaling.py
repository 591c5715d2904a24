from __future__ import annotations

import numpy as np
import pytest

from forecaster.model.scaling import Scaler, fit_scaler

TRAIN = np.array([[1.0, 10.0], [2.0, 10.0], [3.0, 10.0], [6.0, 10.0]])


def test_standard_uses_training_mean_and_population_std() -> None:
    scaler = fit_scaler("standard", TRAIN)
    np.testing.assert_allclose(scaler.center, [3.0, 10.0])
    # std of 1, 2, 3, 6 = sqrt(14 / 4); the constant column keeps scale 1
    np.testing.assert_allclose(scaler.scale, [np.sqrt(3.5), 1.0])


def test_minmax_maps_training_range_to_unit_interval() -> None:
    scaler = fit_scaler("minmax", TRAIN)
    scaled = scaler.transform(TRAIN)
    np.testing.assert_allclose(scaled[:, 0], [0.0, 0.2, 0.4, 1.0])


def test_robust_uses_median_and_iqr() -> None:
    scaler = fit_scaler("robust", TRAIN)
    np.testing.assert_allclose(scaler.center[0], 2.5)
    np.testing.assert_allclose(scaler.scale[0], 3.75 - 1.75)


@pytest.mark.parametrize("kind", ["standard", "minmax", "robust", "none"])
def test_inverse_and_serialisation_round_trip(kind: str) -> None:
    scaler = fit_scaler(kind, TRAIN)
    restored = Scaler.from_dict(scaler.to_dict())
    values = np.array([[7.5, -3.0]])
    np.testing.assert_allclose(restored.inverse(restored.transform(values)), values)
    # only the first column (a target) can be inverted on its own
    np.testing.assert_allclose(
        restored.inverse(scaler.transform(values)[:, :1], slice(0, 1)), [[7.5]]
    )
