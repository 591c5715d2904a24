"""The page of one model scored on one series: ``forecast train`` writes it into the
bundle, ``forecast evaluate`` into its output folder."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecaster.evaluation.scoring import ModelEvaluation, PeriodForecasts
from forecaster.model.periods import PERIODS
from forecaster.model.preprocessing import Preprocessing
from forecaster.reports.html import document, preformatted, table
from forecaster.reports.interval_plots import coverage_figure, fan_figure
from forecaster.reports.plots import (
    PERIOD_LABELS,
    forecast_labels,
    loss_figure,
    member_loss_figure,
    periods_figure,
)
from forecaster.reports.sections import (
    MAX_TARGETS_PLOTTED,
    Plots,
    describe_task,
    forecast_sections,
    headline,
    manifest_table,
    method,
    paragraph,
    time_text,
    write_page,
)
from forecaster.reports.series import series_section
from forecaster.reports.text import gate_lines, steps_text


def write_model_report(folder: Path, evaluation: ModelEvaluation, title: str) -> Path:
    """The report of one model scored on one series or many; returns the HTML file."""
    plots = Plots(folder)
    spec, prep = evaluation.spec, evaluation.preprocessing
    index = evaluation.row_times
    targets = evaluation.target_values
    test = evaluation.scored["test"]
    labels = forecast_labels(prep.season)

    sections = [
        ("Test period", headline(index, test, "test period", labels)),
        *forecast_sections(plots, index, targets, test, prep, labels),
    ]
    gate = evaluation.scored["val"].metrics.get("gate") if "val" in evaluation.scored else None
    if gate is not None:
        sections.insert(1, ("Validation gate, step by step", _gate(gate)))
    if "combination" in test.metrics:
        sections.insert(1, ("Combination weights, step by step", _combination(test.metrics)))
    if test.intervals is not None:
        sections.insert(1, ("Prediction intervals", _intervals(plots, test, index, targets, prep)))
    ensemble = evaluation.manifest.get("ensemble")
    if ensemble:
        sections.insert(1, ("Ensemble members", _ensemble(ensemble, evaluation.scored)))
    if evaluation.history is not None and len(evaluation.history):
        sections.append(("Training", _training(plots, evaluation.history, spec.train.loss)))
    if "val" in evaluation.scored:
        val = evaluation.scored["val"]
        sections.append(("Validation period", headline(index, val, "validation period", labels)))
    if evaluation.panel.num_series > 1:
        section = series_section(
            plots, test, targets, index, prep.lookback, labels, evaluation.left_out or {}
        )
        sections.insert(1, ("Series by series (test period)", section))
    else:
        sections.append(("Data and periods", _data_and_periods(plots, evaluation, targets)))
    if evaluation.notes:
        notes = "".join(paragraph(note, note=True) for note in evaluation.notes)
        sections.insert(0, ("About these scores", notes))
    sections += [
        ("How the scores are measured", method(prep)),
        ("Spec", preformatted(spec.to_yaml())),
        ("Manifest", manifest_table(evaluation.manifest)),
    ]
    subtitle = (
        f"{describe_task(spec, prep)}. Data: {evaluation.data_source}. "
        f"Written {datetime.now().isoformat(timespec='seconds')}."
    )
    return write_page(folder, document(title, sections, subtitle))


def _gate(gate: dict[str, Any]) -> str:
    """Where naive or seasonal naive beat the model on validation, and what the bundle
    forecasts at those steps (its switch points)."""
    heading, *lines = gate_lines(gate)
    html = paragraph(heading) + "".join(paragraph(line.strip()) for line in lines)
    if gate["spans"]:
        metric = gate["metric"].upper()
        rows = [
            [
                span["baseline"].replace("_", " "),
                steps_text(span),
                span["baseline_error"],
                span["model_error"],
                gate["fallback"][span["first"] - 1].replace("_", " "),
            ]
            for span in gate["spans"]
        ]
        header = ["baseline", "steps", f"its {metric}", f"model {metric}", "bundle forecasts"]
        html += table(header, rows)
    return html


def _combination(metrics: dict[str, Any]) -> str:
    """``evaluation.combine``: each member's weight at each horizon step, and what the
    network alone scored beside the combination."""
    combination = metrics["combination"]
    weights = combination["weights"]
    network, model = metrics["network"]["mase"], metrics["model"]["mase"]
    scores = (
        f" On this period its MASE is {model:.4g}; the network alone scores {network:.4g}."
        if model is not None and network is not None
        else ""
    )
    html = paragraph(
        "The model is a combination: at each horizon step the network's forecast and the "
        f"statistical baselines' forecasts, weighted ({combination['fit']}).{scores}"
    )
    names = list(weights)
    rows = [
        [step + 1, *(f"{weights[name][step]:.3f}" for name in names)]
        for step in range(len(weights[names[0]]))
    ]
    return html + table(["step", *names], rows)


def _ensemble(ensemble: dict[str, Any], scored: dict[str, PeriodForecasts]) -> str:
    """Each member's own scores beside the ensemble's: how far apart the members are,
    and what combining them bought."""

    def number(value: Any) -> str:
        return "" if value is None else f"{value:.4g}"

    periods = [period for period in ("val", "test") if period in scored]
    header = ["member", "seed", "lookback", "loss", "epochs (best)"]
    for period in periods:
        header += [f"{PERIOD_LABELS[period]} MASE", f"{PERIOD_LABELS[period]} sMAPE"]
    rows = []
    for member in ensemble["members"]:
        row = [
            str(member["member"]),
            str(member["seed"]),
            str(member["lookback"]),
            member["loss"],
            f"{member['epochs_run']} ({member['best_epoch']})",
        ]
        for period in periods:
            row += [number(member[period]["mase"]), number(member[period]["smape"])]
        rows.append(row)
    combined = [f"ensemble ({ensemble['combine']})", "", "", "", ""]
    for period in periods:
        metrics = scored[period].metrics
        # with evaluation.combine, the ensemble is the combination's network
        model = metrics.get("network", metrics["model"])
        combined += [number(model["mase"]), number(model["smape"])]
    rows.append(combined)
    note = paragraph(
        f"{ensemble['size']} members trained one after another and combined point by point "
        f"by the {ensemble['combine']} of their forecasts. A member's scores are its own "
        "forecasts on the ensemble's windows; the ensemble's are what the bundle forecasts.",
        note=True,
    )
    return table(header, rows) + note


def _training(plots: Plots, history: pd.DataFrame, loss: str) -> str:
    if "member" in history.columns:  # an ensemble: one curve per member
        figure = member_loss_figure(history)
        note = paragraph(
            f"{history['member'].nunique()} members, {len(history)} epochs in all; training "
            f"took {history['seconds'].sum():.1f} s. Each member keeps the weights of its "
            "lowest validation loss.",
            note=True,
        )
        return plots.html(figure, "loss", "validation loss of each member by epoch") + note
    best = history.loc[history["val_loss"].idxmin()]
    figure = loss_figure(history, loss)
    note = paragraph(
        f"{len(history)} epochs; the weights kept are those of epoch {int(best['epoch'])} "
        f"(lowest validation loss, {best['val_loss']:.4g}). Training took "
        f"{history['seconds'].sum():.1f} s.",
        note=True,
    )
    return plots.html(figure, "loss", "training and validation loss by epoch") + note


def _data_and_periods(plots: Plots, evaluation: ModelEvaluation, targets: np.ndarray) -> str:
    index, periods, prep = evaluation.row_times, evaluation.periods, evaluation.preprocessing
    spans = {period: periods.bounds(period) for period in PERIODS}
    names = prep.targets[:MAX_TARGETS_PLOTTED]
    figure = periods_figure(index, targets, names, spans)
    rows = [
        [
            PERIOD_LABELS[period],
            f"{start:,} to {stop - 1:,}",
            f"{stop - start:,}",
            time_text(index[start]),
            time_text(index[stop - 1]),
            f"{evaluation.scored[period].metrics['windows']:,}"
            if period in evaluation.scored
            else "",
        ]
        for period, (start, stop) in spans.items()
        if stop > start
    ]
    header = ["period", "rows", "row count", "first", "last", "scored windows"]
    return plots.html(figure, "periods", "the series and its periods") + table(header, rows)


def _intervals(
    plots: Plots, test: PeriodForecasts, index: pd.Index, targets: np.ndarray, prep: Preprocessing
) -> str:
    html = ""
    for k, name in enumerate(prep.targets[:MAX_TARGETS_PLOTTED]):
        figure = fan_figure(index, targets, test, k, name, prep.lookback)
        html += plots.html(figure, f"intervals_{name}", f"{name}: forecasts with intervals")
    labels = forecast_labels(prep.season)
    figure = coverage_figure(test.metrics["intervals"], labels)
    return html + plots.html(figure, "coverage_by_step", "coverage by forecast step")
