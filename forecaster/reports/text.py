"""Every table and line forecaster prints on a terminal, built from typed results.

The CLI prints what these return; nothing here computes a score.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import pandas as pd

from forecaster.evaluation.metrics import skill
from forecaster.model.baselines import BASELINES
from forecaster.model.statistical import STATISTICAL

if TYPE_CHECKING:
    from forecaster.evaluation.backtest import BacktestResult


def baselines_in(scores: dict[str, Any]) -> list[str]:
    """What a period's model is set against: the network alone when the model is a
    combination (``evaluation.combine``), then naive, seasonal naive and the statistical
    baselines the spec asked for."""
    return [name for name in ("network", *BASELINES, *STATISTICAL) if name in scores]


def future_covariates_caveat(names: list[str]) -> str:
    return (
        f"future covariates ({', '.join(names)}) took their actual values over each horizon: "
        "an upper bound on accuracy when the real ones will be forecasts"
    )


# the terminal table's columns: header, the least width (what fits the usual values),
# and the metric each shows; a wider value widens its column
_SCORE_COLUMNS = (
    ("MAE", 10, "mae"),
    ("RMSE", 10, "rmse"),
    ("MAPE %", 9, "mape"),
    ("sMAPE %", 9, "smape"),
    ("MASE", 8, "mase"),
)


# a combination's rows: what the spec's model is, and the network it combines
_ROW_NAMES = {"model": "model (combined)", "network": "network alone"}
_SHORT = {"seasonal_naive": "seasonal", "network": "network"}


def combination_lines(combination: dict[str, Any]) -> list[str]:
    """``evaluation.combine``'s weights, one line per member: its mean weight over the
    horizon steps, and its weights at the first and last step; a backtest's (``per_fold``,
    each fold's own weights) averaged over its folds."""
    folds = combination.get("per_fold") or [combination["weights"]]
    where = f", refit on each of {len(folds)} folds; mean over folds" if len(folds) > 1 else ""
    lines = [f"combination weights ({combination['fit']}{where}):"]
    for name in folds[0]:
        per_step = [
            sum(fold[name][h] for fold in folds) / len(folds) for h in range(len(folds[0][name]))
        ]
        lines.append(
            f"  {name}: mean {sum(per_step) / len(per_step):.3f} over {len(per_step)} steps "
            f"(step 1 {per_step[0]:.3f}, step {len(per_step)} {per_step[-1]:.3f})"
        )
    return lines


def skill_metric(scores: dict[str, Any]) -> str:
    """The metric a period's skill and verdict are judged by: MAE for one series, MASE
    for many (MAE pooled over series of different scales is the largest series' MAE)."""
    return "mase" if "series" in scores else "mae"


def score_lines(scores: dict[str, Any], heading: str) -> list[str]:
    """A period's scores as a plain-text table: the model beside both baselines, with its
    skill against each (``1 - error / error of the baseline``, by MAE for one series,
    by MASE for many), and the verdict: for one series by MAE; for many by MASE and by
    the share of series where the model's MAE is lower."""
    baselines = baselines_in(scores)
    judged = skill_metric(scores)
    series = f", {scores['series']} series" if "series" in scores else ""
    by_mase = "; skill by MASE" if judged == "mase" else ""
    header = ["forecast", *(name for name, _, _ in _SCORE_COLUMNS)]
    skill_header = [f"vs {_SHORT.get(name, name)}" for name in baselines]
    header += [f"skill {skill_header[0]}", *skill_header[1:]]
    least = [16, *(width for _, width, _ in _SCORE_COLUMNS), 16]
    least += [13 if name == "seasonal_naive" else 14 for name in baselines[1:]]
    rows = [header]
    for name in ("model", *baselines):
        row = scores[name]
        rows.append(
            [
                _ROW_NAMES.get(name, name) if "network" in scores else name,
                f"{row['mae']:.4f}",
                f"{row['rmse']:.4f}",
                _number(row.get("mape"), 2),
                _number(row.get("smape"), 2),
                _number(row["mase"]),
                *(skill_text(row[judged], scores[base][judged]) for base in baselines),
            ]
        )
    lines = [
        f"{heading} ({scores['windows']} windows{series}, seasonal naive with season "
        f"{scores['season']}{by_mase}):",
        *aligned(rows, least),
    ]
    if judged == "mase":
        lines += _panel_verdict(scores, baselines)
    else:
        losses = [name for name in baselines if scores["model"]["mae"] > scores[name]["mae"]]
        if losses:
            lines.append(
                f"  the model does NOT beat {' or '.join(losses)} here: its MAE is higher "
                f"({scores['model']['mae']:.4f} against "
                + ", ".join(f"{scores[name]['mae']:.4f}" for name in losses)
                + ")"
            )
    for level, by_forecast in (scores.get("intervals") or {}).items():
        parts = [
            f"{name} {values['coverage']:.1%} (width {values['width']:.4g}, "
            f"Winkler {values['winkler']:.4g})"
            for name, values in by_forecast.items()
        ]
        lines.append(f"  {level}% intervals cover: " + "; ".join(parts))
    if scores.get("actual_future_covariates"):
        lines.append("  " + future_covariates_caveat(scores["actual_future_covariates"]))
    return lines


def aligned(rows: list[list[str]], least: list[int]) -> list[str]:
    """Rows of cells as lines: the first column left-aligned, the others right-aligned,
    each column as wide as its ``least`` width or its longest cell and one space, so
    neighbouring cells never run together however large the values."""
    widths = [max(least[k], *(len(row[k]) + 1 for row in rows)) for k in range(len(rows[0]))]
    return [
        "  "
        + "".join(
            cell.ljust(width) if k == 0 else cell.rjust(width)
            for k, (cell, width) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]


def _panel_verdict(scores: dict[str, Any], baselines: list[str]) -> list[str]:
    """Many series: against each baseline, the model's MASE (every window's error on its
    own series' scale) and the share of series where its MAE is lower; a note when the
    MAE pooled over all series says otherwise."""
    shares = scores.get("share_of_series_better") or {}
    model = scores["model"]
    lines, misled = [], []
    for name in baselines:
        mase, base = model["mase"], scores[name]["mase"]
        share = shares.get(name)
        in_series = "" if share is None else f"its MAE is lower in {share:.0%} of series"
        if not (_finite(mase) and _finite(base)):
            verdict = f"  against {name} MASE is undefined (a series never changes in training)"
            lines.append(verdict + (f"; {in_series}" if in_series else ""))
            continue
        lower = mase < base
        most = share is None or share > 0.5
        against = f"({mase:.3f} against {base:.3f})"
        if lower and most:
            text = f"  the model beats {name}: its MASE is lower {against}"
            text += f" and {in_series}" if in_series else ""
        elif not lower and not most:
            text = f"  the model does NOT beat {name} here: its MASE is higher {against}"
            text += f" and {in_series.replace('lower in', 'lower in only')}"
        elif lower:
            text = (
                f"  the model beats {name} by MASE {against} but not in most series: "
                f"{in_series.replace('lower in', 'lower in only')}"
            )
        else:
            text = f"  the model does NOT beat {name} by MASE {against}"
            text += f", though {in_series}" if in_series else ""
        lines.append(text)
        if lower != (model["mae"] < scores[name]["mae"]):
            misled.append(name)
    if misled:
        lines.append(
            f"  (the MAE pooled over all series says otherwise against {', '.join(misled)}: "
            "it adds up errors of series of different scales, so the largest series "
            "decide it)"
        )
    return lines


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def gate_lines(gate: dict[str, Any]) -> list[str]:
    """The validation gate in plain words: the steps where naive or seasonal naive beat
    the model on validation, and what the bundle forecasts there."""
    metric = gate["metric"].upper()
    horizon = len(gate["choice"])
    lines = [f"validation gate ({metric} per horizon step, {gate['windows']} validation windows):"]
    if not gate["spans"]:
        lines.append(f"  the model beats naive and seasonal naive at every step (1-{horizon})")
    for span in gate["spans"]:
        lines.append(
            f"  {span['baseline'].replace('_', ' ')} BEATS the model at {steps_text(span)} "
            f"({metric} {span['baseline_error']:.3f} against the model's "
            f"{span['model_error']:.3f})"
        )
    handed = gate.get("fallback_spans") or []
    if handed:
        where = ", ".join(
            f"{steps_text(span)} with {span['baseline'].replace('_', ' ')}" for span in handed
        )
        lines.append(
            f"  the bundle forecasts {where} (evaluation.fallback: baseline); "
            "the test scores are of that forecast"
        )
    elif gate["spans"]:
        lines.append(
            "  the bundle still forecasts those steps with the model; "
            "evaluation.fallback: baseline would forecast them with the baseline"
        )
    return lines


def steps_text(span: dict[str, Any]) -> str:
    """``step 3`` or ``steps 37-48`` (1-based)."""
    if span["first"] == span["last"]:
        return f"step {span['first']}"
    return f"steps {span['first']}-{span['last']}"


def skill_text(mae_value: float | None, baseline_mae: float | None) -> str:
    """``1 - MAE / MAE of the baseline`` as a signed percentage; "n/a" when undefined."""
    value = skill(mae_value, baseline_mae)
    return "n/a" if not math.isfinite(value) else f"{value:+.1%}"


def _number(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None or not math.isfinite(value) else f"{value:.{digits}f}"


def fold_lines(backtest: BacktestResult) -> list[str]:
    """One line per fold: its test range, MAEs and the model's skill."""
    lines = []
    for result in backtest.folds:
        fold, metrics = result.fold, result.scored.metrics
        index = backtest.panel.row_times()
        if backtest.panel.num_series > 1:
            where = f"block {fold.number} of each of {metrics['series']} series"
        else:
            where = f"{index[fold.test_start]} to {index[fold.test_end - 1]}"
        maes = [metrics[name]["mae"] for name in ("model", *BASELINES)]
        skills = [skill_text(maes[0], baseline) for baseline in maes[1:]]
        lines.append(
            f"fold {fold.number} ({where}): MAE model {maes[0]:.4f}, naive "
            f"{maes[1]:.4f}, seasonal naive {maes[2]:.4f}; skill {skills[0]} vs naive, "
            f"{skills[1]} vs seasonal naive"
        )
    return lines


def summary_lines(results: dict[str, Any]) -> list[str]:
    """The side-by-side table as plain text, for the terminal."""
    first, last = results["long_horizon_steps"]
    coverage = [key for key in next(iter(results["variants"].values()))["test"]]
    coverage = [key for key in coverage if key.startswith("coverage_")]
    header = ["", "params", "s/epoch", "epochs", "test MAE", f"MAE {first}-{last}", "latency ms"]
    rows = [header + [f"cover {key.split('_')[1]}%" for key in coverage]]
    for name, variant in results["variants"].items():
        test = variant["test"]
        rows.append(
            [
                name,
                f"{variant['params']:,}",
                plus_minus(variant["seconds_per_epoch"], 2),
                f"{variant['epochs']['mean']:.1f}",
                plus_minus(test["mae"], 4),
                plus_minus(test["long_horizon_mae"], 4),
                f"{variant['latency_ms']['mean']:.1f}",
                *(plus_minus(test[key], 3) for key in coverage),
            ]
        )
    for name, baseline in results["baselines"].items():
        mae, long_mae = f"{baseline['mae']:.4f}", f"{baseline['long_horizon_mae']:.4f}"
        rows.append([name, "", "", "", mae, long_mae, ""] + [""] * len(coverage))
    widths = [max(len(row[k]) for row in rows) for k in range(len(rows[0]))]
    return [
        "  ".join(
            cell.ljust(width) if k == 0 else cell.rjust(width)
            for k, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]


def describe_threads(environment: dict[str, Any]) -> str:
    """One line: where the runs trained and with how many threads."""

    def threads(count: int) -> str:
        return "TensorFlow's default (one per core)" if count == 0 else str(count)

    determinism = environment["determinism"]
    line = (
        f"{environment['device']}, {environment['cpu_cores']} CPU cores available; "
        f"intra-op threads: {threads(determinism['intra_op_threads'])}, "
        f"inter-op threads: {threads(determinism['inter_op_threads'])}; "
        f"op determinism {'on' if determinism['op_determinism'] else 'off'}"
    )
    variables = environment.get("thread_variables") or {}
    if variables:
        line += "; " + ", ".join(f"{name}={value}" for name, value in variables.items())
    return line


def plus_minus(stats: dict[str, float | None], digits: int) -> str:
    """``mean ± std`` over seeds; just the mean when one seed gives no spread."""
    if stats["mean"] is None:
        return "n/a"
    if stats["std"] is None or math.isnan(stats["std"]):
        return f"{stats['mean']:.{digits}f}"
    return f"{stats['mean']:.{digits}f} ± {stats['std']:.{digits}f}"


_UNITS = (("day", 86_400), ("hour", 3_600), ("minute", 60), ("second", 1))
_CALENDAR = {"W": "week", "M": "month", "Q": "quarter", "Y": "year", "B": "business day"}


def step_name(frequency: str) -> str:
    """'h' -> '1 hour', '15min' -> '15 minutes', 'MS' -> '1 month'."""
    from pandas.tseries.frequencies import to_offset

    if frequency == "step":  # an integer index
        return "1 step"
    offset = to_offset(frequency)
    try:
        seconds = pd.Timedelta(offset).total_seconds()
    except (ValueError, TypeError):
        code = offset.rule_code.split("-")[0]
        unit = _CALENDAR.get(code[:1] if code not in _CALENDAR else code, frequency)
        return f"{offset.n} {unit}{'s' if offset.n > 1 else ''}"
    for unit, size in _UNITS:
        if seconds >= size and seconds % size == 0:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if count > 1 else ''}"
    return frequency
