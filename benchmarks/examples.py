"""The shipped example specs trained as a user would (``forecaster.train``, what ``forecast
train`` runs), with the scores the README and the docs show: the demo on ETTh1, the global
GRU on the retail panel, and the pedestrian counts with and without the calendar.

    python benchmarks/examples.py                 # trains the four specs (~10 min on 2 cores)
    python benchmarks/examples.py --only retail   # one of them; the others kept from the file

Writes ``benchmarks/results/examples.md`` and ``.json``, with the commit, the date and the
hardware of each run. Every number is read from the bundle's ``metrics.json``: the test
period (validation beside it), the model and every baseline on the same windows.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from environment import environment  # benchmarks/environment.py, beside this script

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
SPECS = {
    "demo": "models/etth1-gru.yaml",
    "retail": "models/retail-gru.yaml",
    "pedestrian": "models/pedestrian-gru.yaml",
    "pedestrian-calendar": "models/pedestrian-calendar.yaml",
}
LABELS = {
    "model": "**the spec's model**",
    "naive": "naive (repeat the last value)",
    "seasonal_naive": "seasonal naive (one season back)",
    "auto_ets": "AutoETS (statsforecast, per series)",
    "theta": "Theta (statsforecast, per series)",
}
SCORES = ("mae", "rmse", "mase", "smape")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", choices=list(SPECS), help="train only these")
    parser.add_argument("--out", type=Path, default=RESULTS / "examples", help="no suffix")
    args = parser.parse_args(argv)

    import forecaster

    os.chdir(ROOT)  # the specs' data.path is relative to the repository root
    path = args.out.with_suffix(".json")
    report: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {"runs": {}}
    for name in args.only or list(SPECS):
        print(f"{name}: forecast train {SPECS[name]} ...", file=sys.stderr, flush=True)
        run_environment = environment(["forecaster", "models", "data"])
        with tempfile.TemporaryDirectory() as folder:
            result = forecaster.train(SPECS[name], out=Path(folder) / name, quiet=True)
            manifest = json.loads((result.bundle / "manifest.json").read_text())
        report["runs"][name] = {
            "spec": SPECS[name],
            "environment": run_environment,
            "train_seconds": manifest["training"]["train_seconds"],
            "epochs_run": manifest["training"]["epochs_run"],
            "best_epoch": manifest["training"]["best_epoch"],
            "metrics": {period: _kept(result.metrics[period]) for period in ("val", "test")},
        }
        path.write_text(json.dumps(report, indent=2) + "\n")
        args.out.with_suffix(".md").write_text(render_markdown(report))
    return 0


def _kept(metrics: dict[str, Any]) -> dict[str, Any]:
    """The pooled scores of every forecast, the share of series won, interval coverage."""
    kept: dict[str, Any] = {
        name: {score: metrics[name][score] for score in SCORES}
        for name in LABELS
        if name in metrics
    }
    kept["windows"] = metrics["windows"]
    if "series" in metrics:
        kept["series"] = metrics["series"]
        kept["share_of_series_better"] = metrics["share_of_series_better"]
    if metrics.get("intervals"):
        kept["coverage"] = {
            level: by_forecast["model"]["coverage"]
            for level, by_forecast in metrics["intervals"].items()
        }
    return kept


def render_markdown(report: dict[str, Any]) -> str:
    lines = [
        "# The example specs",
        "",
        "Written by `make bench-examples` (`benchmarks/examples.py`): each shipped example "
        "spec trained with `forecaster.train` (what `forecast train` runs), its scores read "
        "from the bundle's `metrics.json`. Pooled over every test window (and series); MASE "
        "on each series' in-sample seasonal-naive scale; sMAPE in percent (0-200). Every "
        "baseline is scored on the same windows as the model.",
    ]
    for name, run in report["runs"].items():
        test, val = run["metrics"]["test"], run["metrics"]["val"]
        env = run["environment"]
        lines += [
            "",
            f"## {name}: `{run['spec']}`",
            "",
            f"{test['windows']:,} test windows"
            + (f" of {test['series']:,} series" if "series" in test else "")
            + f"; trained in {run['train_seconds']:.0f} s ({run['epochs_run']} epochs, best "
            f"{run['best_epoch']}) at commit `{env['commit']}` on {env['date'][:10]}, "
            f"{env['cpu']} ({env['cpu_cores_available']} cores available).",
            "",
            "| forecast | test MAE | test RMSE | test MASE | test sMAPE | validation MASE"
            + (" | series where the model's MAE is lower |" if "series" in test else " |"),
            "|---|---|---|---|---|---|" + ("---|" if "series" in test else ""),
        ]
        for forecast, label in LABELS.items():
            if forecast not in test:
                continue
            scores = test[forecast]
            row = (
                f"| {label} | {scores['mae']:.4g} | {scores['rmse']:.4g} | "
                f"{scores['mase']:.3f} | {scores['smape']:.2f} | {val[forecast]['mase']:.3f} |"
            )
            if "series" in test:
                share = test["share_of_series_better"].get(forecast)
                row += f" {share:.0%} |" if share is not None else " |"
            lines.append(row)
        if "coverage" in test:
            coverage = ", ".join(
                f"{level}%: {value:.1%}" for level, value in sorted(test["coverage"].items())
            )
            lines += ["", f"Interval coverage on the test period: {coverage}."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
