"""The page of ``forecast compare``: the verdict first, then the evidence.

Built from ``results.json`` alone (so it can be rebuilt from a finished comparison) with
the page blocks of ``reports.html``; each figure is also written as a PNG file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from forecaster.evaluation.metrics import METRICS
from forecaster.evaluation.verdict import baseline_sentence
from forecaster.reports.html import document, image, paragraph, preformatted, table
from forecaster.reports.plots import STYLES, VARIANT_COLORS, figure_png, new_figure
from forecaster.reports.sections import REPORT_FILE
from forecaster.reports.text import describe_threads, plus_minus


def write_comparison_report(results: dict[str, Any], out_dir: Path) -> Path:
    """Write ``report.html`` and its figures as PNG files into ``out_dir``."""
    figures = {
        "error_by_step": _error_by_step(results, out_dir / "error_by_step.png"),
        "training_curves": _training_curves(results, out_dir / "training_curves.png"),
        "seconds_per_epoch": _seconds_per_epoch(results, out_dir / "seconds_per_epoch.png"),
        "parameters": _parameters(results, out_dir / "parameters.png"),
    }
    seeds = results["seeds"]
    verdicts = [paragraph(comparison["sentences"]) for comparison in results["comparisons"]]
    beaten = baseline_sentence(
        results.get("baseline_steps") or [], len(results["baselines"]["naive"]["per_step_mae"])
    )
    if beaten:
        verdicts.insert(0, paragraph(beaten))
    environment = describe_threads(results["environment"])
    sections = [
        ("Verdict", "".join(verdicts) + paragraph(results["rule"], note=True)),
        (
            "Side by side",
            _side_by_side(results)
            + paragraph(
                f"Mean ± standard deviation over {len(seeds)} seeds "
                f"({', '.join(map(str, seeds))}), test period of {results['test_windows']} "
                f"windows. Long horizon: steps {results['long_horizon_steps'][0]}-"
                f"{results['long_horizon_steps'][1]}. Seconds per epoch: median over the "
                "epochs after the first. Latency: one forecast from the reloaded bundle, "
                "median of repeated warm calls. Device: " + environment + ".",
                note=True,
            ),
        ),
        (
            "Error by horizon step",
            image(figures["error_by_step"], "test MAE by horizon step for each variant"),
        ),
        (
            "Training curves",
            image(figures["training_curves"], "validation loss per epoch, every seed"),
        ),
        (
            "Time per epoch and parameters",
            image(figures["seconds_per_epoch"], "seconds per epoch by variant")
            + image(figures["parameters"], "parameters by variant"),
        ),
        ("Setup", _setup(results, environment)),
    ]
    spec = results["spec"]
    subtitle = (
        f"{spec['name']}: {', '.join(spec['data']['targets'])} from {spec['data']['path']}, "
        f"{spec['window']['horizon']} steps ahead from {spec['window']['lookback']}; "
        f"{', '.join(results['variants'])}; created {results['created']}"
    )
    path = out_dir / REPORT_FILE
    page = document("LSTM or GRU: comparison", sections, subtitle=subtitle)
    path.write_text(page, encoding="utf-8")
    return path


def _side_by_side(results: dict[str, Any]) -> str:
    first, last = results["long_horizon_steps"]
    header = [
        "variant",
        "units",
        "params",
        "s / epoch",
        "epochs",
        "train s",
        "latency ms",
        *(name.upper() for name in METRICS),
        f"MAE steps {first}-{last}",
    ]
    rows = []
    for name, variant in results["variants"].items():
        test = variant["test"]
        rows.append(
            [
                name,
                ", ".join(map(str, variant["units"])),
                f"{variant['params']:,}",
                plus_minus(variant["seconds_per_epoch"], 3),
                plus_minus(variant["epochs"], 1),
                plus_minus(variant["train_seconds"], 1),
                plus_minus(variant["latency_ms"], 2),
                *(plus_minus(test[metric], 4) for metric in METRICS),
                plus_minus(test["long_horizon_mae"], 4),
            ]
        )
    for name, baseline in results["baselines"].items():
        scores = [baseline[metric] for metric in METRICS]
        rows.append([name, "", "", "", "", "", "", *scores, baseline["long_horizon_mae"]])
    return table(header, rows)


def _colors(results: dict[str, Any]) -> dict[str, str]:
    colors = VARIANT_COLORS
    return {name: colors[k % len(colors)] for k, name in enumerate(results["variants"])}


def _error_by_step(results: dict[str, Any], path: Path) -> bytes:
    figure, axes = new_figure(
        "Test MAE by horizon step (line: mean over seeds, band: min to max)",
        "horizon step",
        "MAE",
    )
    colors = _colors(results)
    for name, variant in results["variants"].items():
        per_step = variant["test"]["per_step_mae"]
        steps = range(1, len(per_step["mean"]) + 1)
        axes.plot(steps, per_step["mean"], color=colors[name], label=name, linewidth=1.8)
        axes.fill_between(steps, per_step["min"], per_step["max"], color=colors[name], alpha=0.2)
    for name, baseline in results["baselines"].items():
        steps = range(1, len(baseline["per_step_mae"]) + 1)
        axes.plot(steps, baseline["per_step_mae"], **STYLES[name], label=name)
    first, last = results["long_horizon_steps"]
    axes.axvspan(first - 0.5, last + 0.5, color="#eeeeee", zorder=0, label="long horizon")
    axes.legend(loc="upper left", fontsize="small")
    return figure_png(figure, path)


def _training_curves(results: dict[str, Any], path: Path) -> bytes:
    figure, axes = new_figure(
        "Validation loss per epoch (one line per seed)", "epoch", "validation loss"
    )
    colors = _colors(results)
    for name, variant in results["variants"].items():
        for k, run in enumerate(variant["runs"]):
            epochs = range(1, len(run["val_loss"]) + 1)
            axes.plot(
                epochs,
                run["val_loss"],
                color=colors[name],
                alpha=0.75,
                marker="o",
                markersize=3,
                label=name if k == 0 else None,
            )
    axes.legend(loc="upper right", fontsize="small")
    return figure_png(figure, path)


def _seconds_per_epoch(results: dict[str, Any], path: Path) -> bytes:
    figure, axes = new_figure(
        "Seconds per epoch (bar: mean over seeds, dots: each seed)",
        "variant",
        "seconds per epoch",
        height=3.5,
    )
    colors = _colors(results)
    for position, (name, variant) in enumerate(results["variants"].items()):
        axes.bar(position, variant["seconds_per_epoch"]["mean"], color=colors[name], alpha=0.6)
        seconds = [run["seconds_per_epoch"] for run in variant["runs"]]
        axes.plot([position] * len(seconds), seconds, "o", color="black", markersize=4)
    axes.set_xticks(range(len(results["variants"])), list(results["variants"]))
    return figure_png(figure, path)


def _parameters(results: dict[str, Any], path: Path) -> bytes:
    figure, axes = new_figure("Parameters", "variant", "parameters", height=3.5)
    colors = _colors(results)
    for position, (name, variant) in enumerate(results["variants"].items()):
        axes.bar(position, variant["params"], color=colors[name], alpha=0.8)
        axes.annotate(
            f"{variant['params']:,}",
            (position, variant["params"]),
            ha="center",
            va="bottom",
            fontsize="small",
        )
    axes.set_xticks(range(len(results["variants"])), list(results["variants"]))
    axes.margins(y=0.15)
    return figure_png(figure, path)


def _setup(results: dict[str, Any], environment: str) -> str:
    order = ", ".join(f"{name} ({seed})" for name, seed in results["order"])
    bundles = [
        [name, run["seed"], run["bundle"], run["epochs"], run["best_epoch"]]
        for name, variant in results["variants"].items()
        for run in variant["runs"]
    ]
    return (
        paragraph(f"Device and threads: {environment}.")
        + paragraph(
            "Training order (variant and seed); the variants rotate from one seed to the "
            f"next so none always runs first: {order}."
        )
        + paragraph(
            "Every variant trains with the spec below and sets only model.cell, "
            "model.bidirectional and (params-matched) model.units; each run is a bundle "
            "that `forecast predict` loads."
        )
        + table(["variant", "seed", "bundle", "epochs run", "best epoch"], bundles)
        + preformatted(_yaml(results["spec"]))
    )


def _yaml(data: dict[str, Any]) -> str:
    from forecaster.spec import dump_yaml

    return dump_yaml(data)  # as a spec file reads it: no anchors
