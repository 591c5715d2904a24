"""The page of ``forecast tune``: the verdict first, then the objective by trial, each
searched field against the objective, the seed check and every trial.

Built from ``tuning.json`` alone with the blocks of ``reports.html``; each figure is also a
PNG file in ``plots/``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from forecaster.reports.html import document, paragraph, preformatted, table
from forecaster.reports.plots import new_figure
from forecaster.reports.sections import Plots, write_page
from forecaster.reports.text import plus_minus

START_LABEL = "starting spec"


def write_tuning_report(results: dict[str, Any], out_dir: Path) -> Path:
    """Write ``report.html`` and its figures into ``out_dir``."""
    plots = Plots(out_dir)
    rows = results["trials"]
    check = results["seed_check"]
    objective = results["objective"]
    completed = [row for row in rows if row["status"] == "completed"]
    skipped = len(rows) - len(completed)
    sections = [
        (
            "Verdict",
            paragraph(check["verdict"])
            + paragraph(
                f"{len(rows)} trials ({len(completed)} trained, {skipped} skipped), "
                f"{results['tuner']} search. Objective: {objective}, on the validation "
                "period only; the test period is never read while tuning.",
                note=True,
            )
            + paragraph(check["rule"], note=True),
        ),
        (
            "Objective by trial",
            plots.html(_objective_figure(rows, check), "objective_by_trial", "val_loss by trial"),
        ),
        (
            "Each searched field against the objective",
            "".join(
                plots.html(_field_figure(rows, key), f"field_{key}", f"val_loss against {key}")
                for key in results["space"]
            ),
        ),
        ("Seed check", _seed_table(check, results["tuner"])),
        ("Best spec", preformatted(_yaml(results["best_spec"]))),
        ("Every trial", _trials_table(rows, list(results["space"]))),
    ]
    start = results["start_spec"]
    subtitle = (
        f"{start['name']}: {', '.join(start['data']['targets'])} from {start['data']['path']}, "
        f"{start['window']['horizon']} steps ahead; created {results['created']}"
    )
    return write_page(out_dir, document("Tuning", sections, subtitle=subtitle))


def _label(name: str) -> str:
    return START_LABEL if name == "start" else f"trial {name}"


def _objective_figure(rows: list[dict[str, Any]], check: dict[str, Any]) -> Any:
    figure, axes = new_figure(
        "Validation loss by trial (line: best so far; x: skipped)", "trial", "validation loss"
    )
    done = [(int(row["trial"]), row["val_loss"]) for row in rows if row["status"] == "completed"]
    if done:
        trials, losses = zip(*done, strict=True)
        axes.plot(trials, losses, "o", color="C0", label="trial")
        best_so_far = [min(losses[: k + 1]) for k in range(len(losses))]
        axes.step(trials, best_so_far, where="post", color="C3", label="best so far")
    skipped = [int(row["trial"]) for row in rows if row["status"] != "completed"]
    if skipped and done:
        axes.plot(skipped, [max(losses)] * len(skipped), "x", color="0.4", label="skipped")
    axes.xaxis.get_major_locator().set_params(integer=True)  # trials are numbered
    start = check["candidates"]["start"]
    axes.axhline(start["mean"], color="0.3", linestyle="--", label="starting spec (seed mean)")
    axes.legend(loc="best", fontsize="small")
    return figure


def _field_figure(rows: list[dict[str, Any]], key: str) -> Any:
    figure, axes = new_figure(
        f"Validation loss against {key}", key, "validation loss", width=6, height=3.2
    )
    done = [row for row in rows if row["status"] == "completed"]
    values = [row["values"][key] for row in done]
    losses = [row["val_loss"] for row in done]
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
    if numeric and values:
        axes.plot(values, losses, "o", color="C0")
        positive = all(v > 0 for v in values)
        if positive and max(values) / min(values) > 20:
            axes.set_xscale("log")
    elif values:
        labels = sorted({json.dumps(v) for v in values})
        positions = [labels.index(json.dumps(v)) for v in values]
        axes.plot(positions, losses, "o", color="C0")
        axes.set_xticks(range(len(labels)), labels)
        axes.margins(x=0.2)
    return figure


def _seed_table(check: dict[str, Any], tuner: str) -> str:
    seeds = check["seeds"]
    header = ["candidate", "mean ± std", *(f"seed {seed}" for seed in seeds)]
    rows = []
    for name, stats in sorted(check["candidates"].items(), key=lambda item: item[1]["mean"]):
        label = _label(name) + (" (best)" if name == check["best"] else "")
        rows.append([label, plus_minus(stats, 5), *stats["losses"]])
    return table(header, rows, digits=5) + paragraph(
        "Validation loss of each candidate trained on the same seeds; the best is the "
        "lowest mean."
        # hyperband's search runs are short rounds: the seed check retrains at full epochs
        + (" The top trials' first seed is their search run." if tuner != "hyperband" else ""),
        note=True,
    )


def _trials_table(rows: list[dict[str, Any]], keys: list[str]) -> str:
    header = ["trial", *keys, "val_loss", "epochs", "seconds", "skipped because"]
    body = []
    for row in rows:
        loss = row.get("val_loss")
        body.append(
            [
                row["trial"],
                *(json.dumps(row["values"].get(key)) for key in keys),
                loss if loss is not None and math.isfinite(loss) else None,
                row.get("epochs", ""),
                f"{row['seconds']:.0f}" if row.get("seconds") is not None else "",
                row.get("reason", ""),
            ]
        )
    return table(header, body, digits=5)


def _yaml(data: dict[str, Any]) -> str:
    from forecaster.spec import dump_yaml

    return dump_yaml(data)  # as a spec file reads it: no anchors
