"""The comparison page from a made-up results.json: verdict first, baselines beside the
variants, every figure also a PNG file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from forecaster.reports.comparison import write_comparison_report


def _spread(mean: float) -> dict[str, float]:
    return {"mean": mean, "std": 0.01, "min": mean - 0.01, "max": mean + 0.01}


def _variant(label: str, params: int, mae: float) -> dict[str, Any]:
    metrics = {name: _spread(mae) for name in ("mae", "rmse", "mape", "smape", "mase")}
    per_step = {"mean": [mae - 0.1, mae, mae + 0.1], "min": [0.0] * 3, "max": [2.0] * 3}
    return {
        "label": label,
        "units": [8],
        "params": params,
        "seconds_per_epoch": _spread(1.5),
        "epochs": _spread(3.0),
        "train_seconds": _spread(4.5),
        "latency_ms": _spread(5.0),
        "test": {**metrics, "long_horizon_mae": _spread(mae + 0.1), "per_step_mae": per_step},
        "runs": [
            {
                "seed": 1,
                "bundle": f"{label}/seed-1",
                "epochs": 3,
                "best_epoch": 2,
                "val_loss": [1.0, 0.8, 0.9],
                "seconds_per_epoch": 1.5,
            },
        ],
    }


def test_the_page_puts_the_verdict_first_and_shows_the_baselines(tmp_path: Path) -> None:
    baseline = {"mae": 1.3, "rmse": 1.6, "mape": 9.0, "smape": 8.0, "mase": 0.6}
    results = {
        "created": "2026-01-01T00:00:00+00:00",
        "spec": {
            "name": "tiny",
            "data": {"targets": ["y"], "path": "series.csv"},
            "window": {"horizon": 3, "lookback": 12},
        },
        "seeds": [1],
        "order": [["lstm", 1], ["gru", 1]],
        "environment": {
            "device": "CPU",
            "cpu_cores": 2,
            "determinism": {"intra_op_threads": 0, "inter_op_threads": 0, "op_determinism": True},
        },
        "test_windows": 10,
        "long_horizon_steps": [3, 3],
        "variants": {"lstm": _variant("LSTM", 200, 1.2), "gru": _variant("GRU", 150, 1.1)},
        "baselines": {
            "naive": {**baseline, "per_step_mae": [1.0, 1.3, 1.6], "long_horizon_mae": 1.6},
            "seasonal_naive": {**baseline, "per_step_mae": [1.5] * 3, "long_horizon_mae": 1.5},
        },
        "rule": "A gap is called measurable when ...",
        "comparisons": [{"sentences": "GRU is more accurate on the test period."}],
    }
    page = write_comparison_report(results, tmp_path).read_text()
    assert page.index("GRU is more accurate") < page.index("Side by side")
    assert "<td>naive</td>" in page and "<td>seasonal_naive</td>" in page
    assert "<td>200</td>" in page and "<td>150</td>" in page
    assert "1.200 ± 0.010" not in page and "1.2000 ± 0.0100" in page
    pngs = sorted(path.name for path in tmp_path.glob("*.png"))
    assert pngs == [
        "error_by_step.png",
        "parameters.png",
        "seconds_per_epoch.png",
        "training_curves.png",
    ]
    assert page.count('src="data:image/png;base64,') == 4
