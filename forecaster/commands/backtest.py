"""``forecast backtest``: refit per fold, score each test block, write the results."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from forecaster.bundle.manifest import run_record
from forecaster.evaluation.backtest import BacktestResult, fold_boundaries, run_backtest
from forecaster.model.preparation import load_data
from forecaster.reports.backtest import write_backtest_report
from forecaster.reports.series import PER_SERIES_FILE
from forecaster.spec import Spec
from forecaster.storage.files import write_csv, write_json
from forecaster.storage.folders import BACKTEST, check_replaceable
from forecaster.storage.staging import staged_folder

BACKTEST_FILE = "backtest.json"


@dataclass(frozen=True)
class BacktestRun:
    folder: Path
    result: BacktestResult
    environment: dict[str, Any]  # versions, device, seed, data checksum (last fold's fit)


def backtest(
    spec: Spec,
    out_dir: Path,
    *,
    quiet: bool = False,
    force_cpu: bool = False,
    progress: Callable[[str], None] | None = None,
) -> BacktestRun:
    """Run the backtest on the spec's CSV and write ``backtest.json``, ``report.html`` and
    ``plots/`` into ``out_dir``, whole or not at all."""
    check_replaceable(out_dir, BACKTEST)
    panel = load_data(spec, boundaries=lambda index: fold_boundaries(spec, index))
    result = run_backtest(spec, panel, quiet=quiet, force_cpu=force_cpu, progress=progress)
    environment = run_record(spec, result.folds[-1].fitted)
    with staged_folder(out_dir, BACKTEST) as staging:
        write_json(staging / BACKTEST_FILE, {**result.to_dict(), "environment": environment})
        write_backtest_report(staging, result, environment)
        if result.panel.id_columns and result.pooled.per_series is not None:
            write_csv(result.pooled.per_series, staging / PER_SERIES_FILE)
    return BacktestRun(out_dir, result, environment)
