"""``forecast evaluate``: score a bundle on a CSV cut by the bundle's own split."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecaster.bundle.forecasting import Forecaster
from forecaster.bundle.layout import HISTORY_FILE, METRICS_FILE, load_bundle
from forecaster.data.frequency import infer_frequency
from forecaster.data.panel import Panel
from forecaster.data.time_axis import as_index_time
from forecaster.errors import InputError
from forecaster.evaluation.calibration import add_intervals
from forecaster.evaluation.combination import combined_scores
from forecaster.evaluation.gate import gated_scores
from forecaster.evaluation.scoring import ModelEvaluation, PeriodForecasts, score_periods
from forecaster.log import logger
from forecaster.model.periods import Period, SeriesPeriods, scorable_series
from forecaster.model.preparation import load_data
from forecaster.model.preprocessing import Preprocessing
from forecaster.reports.model import write_model_report
from forecaster.reports.series import write_per_series
from forecaster.spec import windows_needed
from forecaster.storage.files import write_json
from forecaster.storage.folders import EVALUATION, check_replaceable
from forecaster.storage.staging import staged_folder


@dataclass(frozen=True)
class EvaluateResult:
    folder: Path
    metrics: dict[str, Any]  # what metrics.json holds: "val" (or None) and "test"


def evaluate(bundle: Path, data: Path | None, out_dir: Path) -> EvaluateResult:
    """Score ``bundle`` on ``data`` (default: its spec's CSV) and write ``metrics.json``,
    ``report.html`` and ``plots/`` into ``out_dir``, whole or not at all.

    The validation period is scored too when the CSV has one; else it is ``null``.
    """
    check_replaceable(out_dir, EVALUATION)
    forecaster = load_bundle(bundle)
    spec, prep = forecaster.spec, forecaster.preprocessing
    path = data or spec.data.path
    history_file = Path(bundle) / HISTORY_FILE
    history = pd.read_csv(history_file) if history_file.is_file() else None
    evaluation, refit = _evaluate(forecaster, Path(path), history)
    if prep.calibration:
        levels = sorted(prep.calibration)
        _, scored = add_intervals(
            _calibration_periods(evaluation.scored, levels, str(path)),
            levels,
            model_widths=prep.calibration,
            quantile_levels=prep.quantiles,
            nonnegative=prep.nonnegative,
        )
        evaluation = replace(evaluation, scored={**evaluation.scored, "test": scored["test"]})
    metrics = {"val": None, **evaluation.metrics}
    if refit is not None:
        metrics["refit"] = refit
    with staged_folder(out_dir, EVALUATION) as staging:
        write_json(staging / METRICS_FILE, metrics)
        title = f"{spec.name} evaluated on {Path(path).name}"
        write_model_report(staging, evaluation, title)
        write_per_series(staging, evaluation)
    return EvaluateResult(out_dir, metrics)


def _refit_overlap(
    manifest: dict[str, Any], panel: Panel, series_periods: SeriesPeriods, first: Period
) -> dict[str, Any] | None:
    """A bundle trained with ``train.refit`` learnt every row of its training data,
    validation and test too: its last row's time, and whether any series' scored periods
    (from ``first`` on) start at or before it (then its scores are partly in-sample);
    None for a bundle without a refit."""
    refit = manifest.get("training", {}).get("refit")
    if not refit:
        return None
    through, overlaps = refit["through"], False
    for k, periods in enumerate(series_periods.periods):
        index = panel.series_index(k)
        start = index[periods.bounds(first)[0]]
        try:
            dated = isinstance(index, pd.DatetimeIndex)
            last = as_index_time(through, index) if dated else int(through)
            overlaps = overlaps or bool(start <= last)
        except (TypeError, ValueError):  # dates against steps: cannot tell, so say so
            overlaps = True
    return {"through": through, "overlaps_scored_periods": overlaps}


def _calibration_periods(
    scored: dict[str, PeriodForecasts], levels: list[int], source: str
) -> dict[str, PeriodForecasts]:
    """The periods the intervals are calibrated on: the model keeps the bundle's widths,
    the baselines are calibrated on the data's validation windows, unless there are too
    few of them for a level (then only the model's intervals are scored, with a note)."""
    val = scored.get("val")
    if val is None:
        return scored
    short = [level for level in levels if windows_needed(level) > len(val.actual)]
    if not short:
        return scored
    named = " and ".join(map(str, short))
    logger.warning(
        f"{source}: the validation period has {len(val.actual)} windows, too few to "
        f"calibrate the baselines' {named}% intervals (at least "
        f"{windows_needed(short[-1])} needed); only the model's intervals, with the "
        "bundle's calibration, are scored; fix: evaluate on data with a longer validation "
        "period"
    )
    return {name: period for name, period in scored.items() if name != "val"}


def _evaluate(
    forecaster: Forecaster, path: Path, history: pd.DataFrame | None
) -> tuple[ModelEvaluation, dict[str, Any] | None]:
    """Every series of the CSV cut by the bundle's split, each on its own; series the
    model never saw are scored too, on scalers fit on their own training rows. With it,
    for a bundle trained with ``train.refit``, ``_refit_overlap``'s finding."""
    spec, prep = forecaster.spec, forecaster.preprocessing
    panel = load_data(spec, path=path)
    longest = int(np.argmax(np.diff(panel.starts)))
    frequency = spec.data.frequency or infer_frequency(panel.series_index(longest), str(path))
    if frequency != prep.frequency:
        raise InputError(
            f"{path}: has a step of {frequency!r}, the bundle was trained on {prep.frequency!r} "
            "data; fix: evaluate on data with the training frequency"
        )
    panel, series_periods, left_out = scorable_series(
        panel,
        spec.data.split,
        prep.lookback,
        prep.horizon,
        prep.season,
        str(path),
        ("test",),
        pad=prep.pad,
    )
    has_val = series_periods.ranges("val", prep.lookback, prep.horizon, pad=prep.pad).counts.all()
    names: tuple[Period, ...] = ("val", "test") if has_val else ("test",)
    combined = prep.combined_baselines  # evaluation.combine: scored, then combined

    def score(preprocessing: Preprocessing) -> dict[str, PeriodForecasts]:
        return score_periods(
            forecaster.model,
            preprocessing,
            panel,
            series_periods,
            names,
            statistical=list(dict.fromkeys([*spec.evaluation.baselines, *combined])),
        )

    # the gate of the network itself; the scores of what the bundle forecasts
    _, scored = gated_scores(spec, replace(prep, combine={}), score, fallback=prep.fallback)
    if combined:  # the bundle's weights, as it forecasts
        _, scored = combined_scores(prep, scored, panel, combined, prep.combine)
    notes: tuple[str, ...] = ()
    refit = _refit_overlap(forecaster.manifest, panel, series_periods, names[0])
    if refit is not None and refit["overlaps_scored_periods"]:
        notes = (
            f"train.refit: this bundle's model was trained again on every row of its "
            f"training data, through {refit['through']}, which reaches into the periods "
            "scored here: these scores are partly in-sample, not a forecast's accuracy "
            "(the validated model's scores are in the bundle's metrics.json)",
        )
        logger.warning(f"{path}: {notes[0]}")
    return ModelEvaluation(
        spec=spec,
        preprocessing=prep,
        periods=series_periods.periods[0],
        scored=scored,
        history=history,
        # an ensemble's member scores in the manifest are on the training data, not this
        # file: the report leaves them out rather than show them beside these
        manifest={key: value for key, value in forecaster.manifest.items() if key != "ensemble"},
        data_source=str(path),
        panel=panel,
        left_out=left_out,
        notes=notes,
    ), refit
