"""train.loss: mase and smape, the M-competitions' scale-free scores as training losses:
by hand, what each window carries beside its targets, the validation loss being the
scored validation MASE or sMAPE, and bundles that load with plain Keras."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecaster.data.panel import Panel
from forecaster.data.reading import prepare_frame
from forecaster.evaluation.metrics import mase_scale
from forecaster.evaluation.scoring import score_periods
from forecaster.model.network import mase_loss, smape_loss
from forecaster.model.preparation import prepare
from forecaster.model.training import fit
from forecaster.spec import parse_spec
from tests.bundle_helpers import long_spec
from tests.conftest import synthetic_frame, synthetic_panel


def _wide_spec(loss: str, **train: object) -> object:
    return parse_spec(
        {
            "data": {"path": "series.csv", "targets": ["y"], "covariates": ["x"]},
            "window": {"lookback": 24, "horizon": 6},
            "model": {"units": [4]},
            "train": {"epochs": 2, "batch_size": 32, "seed": 3, "loss": loss, **train},
        }
    )


def _wide_panel(rows: int = 300) -> Panel:
    frame = synthetic_frame(rows)
    frame["y"] = frame["y"] + 3.0  # away from zero, where sMAPE is well behaved
    return Panel.single(prepare_frame(frame, time_column="timestamp", columns=["y", "x"]))


def _long_spec(loss: str) -> object:
    return long_spec(train={"epochs": 2, "batch_size": 16, "seed": 3, "loss": loss})


def _long_panel() -> Panel:
    from forecaster.data.rows import read_panel

    frame = synthetic_panel((70, 60, 80))
    # series of very different sizes: 1, 100 and 10,000 times the synthetic levels
    frame["sales"] = frame["sales"] * frame["store"].map({"s0": 1.0, "s1": 100.0, "s2": 1e4})
    return read_panel(
        frame,
        lambda i: f"row {i}",
        "stores.csv",
        id_columns=["store"],
        time_column="date",
        columns=["sales"],
    )


def test_mase_loss_by_hand() -> None:
    from keras import ops

    # two targets; one window of two steps; inverse scales 0.5 and 2
    actual = np.array([[[1.0, 0.0], [3.0, 1.0]]], np.float32)
    forecast = np.array([[[2.0, 0.5], [1.0, 1.0]]], np.float32)
    inverse = np.broadcast_to(np.array([0.5, 2.0], np.float32), actual.shape)
    loss = ops.convert_to_numpy(mase_loss(2)(np.concatenate([actual, inverse], -1), forecast))
    # step 1: (1 x 0.5 + 0.5 x 2) / 2 = 0.75; step 2: (2 x 0.5 + 0) / 2 = 0.5
    assert loss[0].tolist() == pytest.approx([0.75, 0.5])


def test_smape_loss_by_hand_on_the_original_scale() -> None:
    from keras import ops

    # original values 10 and 30 (scale 10, center 20): scaled -1 and 1, offset 2
    actual = np.array([[[-1.0], [1.0]]], np.float32)
    forecast = np.array([[[0.0], [1.0]]], np.float32)  # 20 and 30
    offset = np.full_like(actual, 2.0)
    loss = ops.convert_to_numpy(smape_loss(1)(np.concatenate([actual, offset], -1), forecast))
    # 200 x |10 - 20| / (10 + 20) = 66.67; a perfect step is 0
    assert loss[0].tolist() == pytest.approx([200 / 3, 0.0], rel=1e-5)
    zeros = np.zeros((1, 1, 2), np.float32)  # actual and forecast both 0: perfect
    assert ops.convert_to_numpy(smape_loss(1)(zeros, zeros[..., :1])).tolist() == [[0.0]]


def test_each_series_carries_its_scaled_in_sample_mase_scale_or_its_offset() -> None:
    panel = _long_panel()
    prepared = prepare(_long_spec("mase"), panel)
    assert prepared.target_extras is not None and prepared.target_extras.shape == (3, 1)
    periods = prepared.series_periods
    for k, scaler in enumerate(prepared.preprocessing.series_scalers.values()):
        start, end = int(panel.starts[k]), int(panel.starts[k]) + int(periods.train_ends[k])
        original = mase_scale(panel.values[start:end, :1].astype(np.float64), 7)
        # the same scale as scoring's, on the model's scale: the original one over spread
        expected = scaler.scale[0] / original[0]
        assert prepared.target_extras[k, 0] == pytest.approx(expected, rel=1e-5)
    smape = prepare(_long_spec("smape"), panel).target_extras
    assert smape is not None
    centers = [s.center[0] / s.scale[0] for s in prepared.preprocessing.series_scalers.values()]
    assert smape[:, 0].tolist() == pytest.approx(centers, rel=1e-5)
    assert prepare(_long_spec("mae"), panel).target_extras is None


@pytest.mark.parametrize("loss", ["mase", "smape"])
def test_the_best_validation_loss_is_the_scored_validation_score(loss: str) -> None:
    for spec, panel in ((_wide_spec(loss), _wide_panel()), (_long_spec(loss), _long_panel())):
        fitted = fit(spec, panel, quiet=True)
        val = score_periods(
            fitted.model, fitted.preprocessing, fitted.panel, fitted.series_periods, ("val",)
        )["val"].metrics
        # early stopping restored the best epoch's weights: its val_loss is their score
        assert fitted.history["val_loss"].min() == pytest.approx(val["model"][loss], rel=1e-4)


def test_bundles_trained_on_them_load_with_plain_keras(tmp_path: Path) -> None:
    import keras
    from typer.testing import CliRunner

    import forecaster
    from forecaster.cli import app
    from tests.conftest import write_panel_spec

    csv = tmp_path / "stores.csv"
    synthetic_panel((60, 50)).to_csv(csv, index=False)
    for loss in ("mase", "smape"):
        spec = write_panel_spec(tmp_path / f"{loss}.yaml", csv, train={"epochs": 1, "loss": loss})
        bundle = tmp_path / loss
        result = CliRunner().invoke(app, ["train", str(spec), "--out", str(bundle), "--quiet"])
        assert result.exit_code == 0, result.output
        model = keras.models.load_model(bundle / "model.keras")  # compile=True, no custom code
        loaded = forecaster.load(bundle)
        rows = pd.read_csv(csv)
        table = loaded.predict(rows)
        history = loaded.model.predict(np.zeros((1, 14, 1), np.float32), verbose=0)
        assert model.predict(np.zeros((1, 14, 1), np.float32), verbose=0) == pytest.approx(history)
        assert len(table) == 2 * 7 and np.isfinite(table["sales"]).all()
