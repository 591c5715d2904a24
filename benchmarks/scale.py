"""Scale: peak memory and throughput of reading, training and forecasting long data as the
series count grows, written to ``benchmarks/results/scale.md`` and ``.json``.

Datasets: ``synthetic-N``, N daily series of ``--steps`` rows each (1,000 by default, so
10,000 series are 10 M rows), generated into a temporary folder as a CSV and a Parquet
file: each series starts on its own day, a weekly sine around its own level plus noise
(lookback 28, horizon 7, 14 validation and 14 test steps). With ``--hourly`` the series
are hourly instead, each starting at its own hour, a daily sine (lookback 48, horizon 24,
48 validation and 48 test steps): ten times the scored values per row, so scoring, the
gate and the report weigh more beside reading and training.
Every measurement runs in its own child process, so its peak RSS (``VmHWM``) is its own;
a child that only imports forecaster and TensorFlow gives the baseline under them. The
memory bound is the one forecaster sets itself: training on N series may peak at most
3x the float32 values above the same step on the smallest file.

    python benchmarks/scale.py                       # 100, 1,000 and 10,000 series
    python benchmarks/scale.py --sizes 100 1000      # quicker
    python benchmarks/scale.py --sizes 200 2000 --command --hourly
    python benchmarks/scale.py --render              # rewrite the .md from the .json
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from environment import environment  # benchmarks/environment.py, beside this script

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
STEPS = ("read_csv", "read_parquet", "train", "predict")
# --command: `forecaster.train`, what `forecast train` runs, end to end (read, one whole
# epoch, scoring, report, bundle)
COMMAND = "command"
COMMAND_TRAIN = {"epochs": 1, "batch_size": 8192}  # one epoch of 10 M windows in minutes
# --variants: training again with one train option changed, for a GPU's trade-offs
VARIANTS = {
    "train_nondeterministic": {"deterministic": False},
    "train_mixed_precision": {"mixed_precision": True},
}
# the window and split of each frequency's datasets (--hourly picks "hourly")
FREQUENCIES = {
    "daily": {"lookback": 28, "horizon": 7, "val_steps": 14, "test_steps": 14},
    "hourly": {"lookback": 48, "horizon": 24, "val_steps": 48, "test_steps": 48},
}
MARK = "SCALE-BENCH-RESULT "
SEED = 0
BOUND = 3  # peak above the smallest file's, in float32 copies of the values

# The model is deliberately tiny: the benchmark is about the data path, not the network.
MODEL = {"cell": "gru", "units": [16]}
TRAIN = {"epochs": 1, "batch_size": 256}
TRAIN_BATCHES = 1500  # per measurement: an epoch of 10 M rows would take an hour on 2 cores
WARMUP_BATCHES = 50  # left out of windows/s: the first ones trace the graph


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", type=int, nargs="*", default=[100, 1000, 10000], help="series counts"
    )
    parser.add_argument("--steps", type=int, default=1000, help="rows per series")
    parser.add_argument("--out", type=Path, default=RESULTS / "scale", help="path without suffix")
    parser.add_argument(
        "--render", action="store_true", help="only rewrite the .md from the existing .json"
    )
    parser.add_argument(
        "--variants",
        action="store_true",
        help="also train with train.deterministic: false and with train.mixed_precision: true",
    )
    parser.add_argument(
        "--command",
        action="store_true",
        help="also run forecaster.train (what `forecast train` runs) end to end on the "
        "Parquet file (one whole epoch)",
    )
    parser.add_argument(
        "--hourly",
        action="store_true",
        help="hourly series (a daily sine; lookback 48, horizon 24, 48 validation and 48 "
        "test steps) instead of daily ones",
    )
    parser.add_argument(
        "--child", choices=("baseline", *STEPS, *VARIANTS, COMMAND), help=argparse.SUPPRESS
    )
    parser.add_argument("--dataset", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        result = _child(args.child, json.loads(args.dataset) if args.dataset else None)
        print(MARK + json.dumps(result), flush=True)
        return 0
    if args.render:
        report = json.loads(args.out.with_suffix(".json").read_text())
        args.out.with_suffix(".md").write_text(render_markdown(report))
        return 0

    report: dict[str, Any] = {
        "environment": environment(["forecaster", "benchmarks/scale.py"]),
        "steps_per_series": args.steps,
        "frequency": "hourly" if args.hourly else "daily",
        "window": FREQUENCIES["hourly" if args.hourly else "daily"],
        "train_batches": TRAIN_BATCHES,
        "datasets": [],
    }
    report["baseline"] = _run_child("baseline", None)
    _say(f"baseline: {report['baseline']['rss_mib']:.0f} MiB after imports")
    with tempfile.TemporaryDirectory(prefix="scale-bench-") as folder:
        for size in sorted(args.sizes):
            dataset = _dataset(size, args.steps, Path(folder), report["frequency"])
            entry: dict[str, Any] = {"name": f"synthetic-{size}", "spec": dataset["spec"]}
            entry.update(dataset["generated"])
            report["datasets"].append(entry)
            extra = (*(VARIANTS if args.variants else ()), *((COMMAND,) if args.command else ()))
            for step in (*STEPS, *extra):
                _say(f"{entry['name']}: {step} ...")
                entry[step] = _run_child(step, dataset)
                _say(f"  {_summary(step, entry[step])}")
                report["environment"]["seconds"] = round(
                    time.time() - report["environment"]["started"], 1
                )
                _write(report, args.out)
            for path in dataset["files"].values():
                Path(path).unlink()
    return 0


# ---------------------------------------------------------------- datasets


def _dataset(size: int, steps: int, folder: Path, frequency: str = "daily") -> dict[str, Any]:
    """A dataset as its child processes need it: a spec and the two files."""
    name = f"synthetic-{size}"
    csv, parquet = folder / f"{name}.csv", folder / f"{name}.parquet"
    started = time.perf_counter()
    rows = write_synthetic(csv, parquet, size, steps, hourly=frequency == "hourly")
    window = FREQUENCIES[frequency]
    generated = {
        "csv_rows": rows,
        "csv_mib": round(csv.stat().st_size / 2**20, 1),
        "parquet_mib": round(parquet.stat().st_size / 2**20, 1),
        "generate_seconds": round(time.perf_counter() - started, 1),
    }
    _say(f"{name}: wrote {rows:,} rows, CSV {generated['csv_mib']} MiB")
    spec = {
        "name": f"bench-{name}",
        "data": {
            "path": str(csv),
            "id_columns": ["id"],
            "time_column": "date",
            "targets": ["y"],
            "split": {"val_steps": window["val_steps"], "test_steps": window["test_steps"]},
        },
        "window": {"lookback": window["lookback"], "horizon": window["horizon"]},
        "model": MODEL,
        "train": TRAIN,
    }
    return {
        "spec": spec,
        "generated": generated,
        "files": {"csv": str(csv), "parquet": str(parquet)},
    }


def write_synthetic(
    csv: Path, parquet: Path, num_series: int, steps: int, seed: int = SEED, hourly: bool = False
) -> int:
    """A long table (``id, date, y``) of ``num_series`` daily series of ``steps`` rows,
    each starting on its own day of 2020, a weekly sine around its own level plus noise,
    written as CSV and as Parquet; written in blocks of series to keep this process small.
    ``hourly``: hourly series, each starting at its own hour of 2020, a daily sine."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    unit, period, text = ("h", 24, "%Y-%m-%d %H:%M:%S") if hourly else ("D", 7, "%Y-%m-%d")
    starts = pd.Timestamp("2020-01-01") + pd.to_timedelta(
        rng.integers(0, 366 * (24 if hourly else 1), size=num_series), unit=unit
    )
    levels = rng.lognormal(mean=3.0, sigma=1.0, size=num_series)
    amplitudes = levels * rng.uniform(0.05, 0.3, size=num_series)
    phases = rng.uniform(0, 2 * np.pi, size=num_series)
    width = len(str(num_series - 1))
    writer = None
    block = 500
    for first in range(0, num_series, block):
        series = np.repeat(np.arange(first, min(first + block, num_series)), steps)
        step = np.tile(np.arange(steps), len(series) // steps)
        dates = starts.to_numpy()[series] + step.astype(f"timedelta64[{unit}]")
        values = (
            levels[series]
            + amplitudes[series] * np.sin(2 * np.pi * step / period + phases[series])
            + rng.normal(0, 0.05, size=len(series)) * levels[series]
        )
        frame = pd.DataFrame(
            {
                "id": np.char.add("s", np.char.zfill(series.astype(str), width)),
                "date": pd.DatetimeIndex(dates).strftime(text),
                "y": np.round(values, 3),
            }
        )
        frame.to_csv(csv, index=False, mode="w" if first == 0 else "a", header=first == 0)
        table = pa.Table.from_pandas(frame, preserve_index=False)
        writer = writer or pq.ParquetWriter(parquet, table.schema)
        writer.write_table(table)
    assert writer is not None
    writer.close()
    return num_series * steps


# ---------------------------------------------------------------- child processes


def _run_child(step: str, dataset: dict[str, Any] | None) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).resolve()), "--child", step]
    if dataset is not None:
        command += ["--dataset", json.dumps(dataset)]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - started
    lines = [line for line in done.stdout.splitlines() if line.startswith(MARK)]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"child {step} failed ({done.returncode}):\n{done.stderr[-4000:]}")
    result = json.loads(lines[-1].removeprefix(MARK))
    result["process_seconds"] = round(wall, 1)  # start-up and imports included
    return result


def _child(step: str, dataset: dict[str, Any] | None) -> dict[str, Any]:
    """One measurement, in this process alone; memory in MiB, times in seconds."""
    import tensorflow as tf  # noqa: F401  (the baseline holds TensorFlow as training does)

    from forecaster.bundle import forecasting as predict  # noqa: F401
    from forecaster.model import training  # noqa: F401

    imported = _memory()
    if step == "baseline":
        import forecaster

        return {**imported, "forecaster": str(Path(forecaster.__file__).parent)}
    from forecaster.spec import parse_spec

    assert dataset is not None
    raw = dataset["spec"]
    if step in ("read_parquet", COMMAND):
        raw = {**raw, "data": {**raw["data"], "path": dataset["files"]["parquet"]}}
    if step == COMMAND:
        return {**_command(raw, dataset), **_memory(), "rss_after_imports_mib": imported["rss_mib"]}
    if step in VARIANTS:
        raw = {**raw, "train": {**raw["train"], **VARIANTS[step]}}
    spec = parse_spec(raw, source="benchmark")
    result: dict[str, Any] = {"rss_after_imports_mib": imported["rss_mib"]}
    if step.startswith("read"):
        result.update(_read(spec))
    elif step.startswith("train"):
        result.update(_train(spec))
    else:
        result.update(_predict(spec))
    result.update(_memory())
    return result


def _read(spec: Any) -> dict[str, Any]:
    """``read_file`` as ``load_data`` calls it: a file whose series are ready is streamed
    (``streaming.read_ready``), any other goes through ``read_rows`` and ``read_panel``."""
    # internal: the memory and speed of reading alone, a step no API call stops after
    from forecaster.data.panel import GridTimes
    from forecaster.model.preparation import load_data

    started = time.perf_counter()
    panel = load_data(spec)
    seconds = time.perf_counter() - started
    num_rows = len(panel.values)
    return {
        **_panel_size(panel),
        "file_rows": num_rows,
        "seconds": seconds,
        "rows_per_second": num_rows / seconds,
        "streamed": isinstance(panel.times, GridTimes),
    }


def _command(raw: dict[str, Any], dataset: dict[str, Any]) -> dict[str, Any]:
    """``forecaster.train(spec, out=BUNDLE, quiet=True)`` (``forecast train SPEC --out
    BUNDLE -q``) in this process, for one whole epoch."""
    import forecaster
    from forecaster.commands import train as command

    # internal: what follows training (scoring beside the baselines, the gate, intervals,
    # the report and the bundle) is timed apart, with the peak RSS reached before it
    after_fit: dict[str, float] = {}
    save_fitted = command.save_fitted

    def timed_save_fitted(*args: Any, **kwargs: Any) -> Any:
        after_fit.update({f"{key}_before": value for key, value in _memory().items()})
        started = time.perf_counter()
        try:
            return save_fitted(*args, **kwargs)
        finally:
            after_fit["seconds"] = time.perf_counter() - started

    command.save_fitted = timed_save_fitted
    bundle = Path(dataset["files"]["parquet"]).parent / f"{raw['name']}-bundle"
    spec = {**raw, "train": {**raw["train"], **COMMAND_TRAIN}}
    started = time.perf_counter()
    metrics = forecaster.train(spec, out=bundle, quiet=True).metrics
    seconds = time.perf_counter() - started
    rows = dataset["generated"]["csv_rows"]
    return {
        "series": int(raw["name"].rsplit("-", 1)[1]),
        "rows": rows,
        "columns": 1,
        "values_float32_mib": rows * 4 / 2**20,
        "seconds": seconds,
        "after_training_seconds": after_fit["seconds"],
        "peak_before_scoring_mib": after_fit["peak_mib_before"],
        "test_windows": metrics["test"]["windows"],
        "batch_size": COMMAND_TRAIN["batch_size"],
    }


def _train(spec: Any) -> dict[str, Any]:
    """``load_data`` then ``fit`` for ``TRAIN_BATCHES`` batches (then the validation pass);
    windows/s over the batches after the first ``WARMUP_BATCHES``."""
    # internal: memory after reading, and a batch callback inside fit, sit within one API call
    import keras

    from forecaster.model import training
    from forecaster.model.preparation import load_data

    ends: list[float] = []  # when each batch ended

    class Throughput(keras.callbacks.Callback):
        def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
            ends.append(time.perf_counter())
            if len(ends) == TRAIN_BATCHES:
                self.model.stop_training = True

    callbacks = training.training_callbacks
    training.training_callbacks = lambda *a, **k: [Throughput(), *callbacks(*a, **k)]
    started = time.perf_counter()
    panel = load_data(spec)
    read = time.perf_counter()
    after_read = _memory()
    fitted = training.fit(spec, panel, quiet=True)
    done = time.perf_counter()
    lookback, horizon = spec.window.lookback, spec.window.horizon
    train_windows = len(fitted.series_periods.ranges("train", lookback, horizon))
    warmup = min(WARMUP_BATCHES, len(ends) // 2)
    timed = len(ends) - 1 - warmup  # batches between the warm-up's end and the last's
    return {
        **_panel_size(panel),
        "series_trained": fitted.panel.num_series,
        "train_windows": train_windows,
        "batches_run": len(ends),
        "read_seconds": read - started,
        "fit_seconds": done - read,
        "prepare_seconds": done - read - fitted.train_seconds,
        "windows_per_second": timed * spec.train.batch_size / (ends[-1] - ends[warmup]),
        "rss_after_read_mib": after_read["rss_mib"],
        "peak_after_read_mib": after_read["peak_mib"],
        "device": fitted.device,
        "execution": fitted.execution,
        "op_determinism": fitted.determinism["op_determinism"],
    }


def _predict(spec: Any) -> dict[str, Any]:
    """``Forecaster.predict_panel`` over every series (one batched ``model.predict``),
    timed on its second call (the first traces the model); ``model.predict`` alone on the
    same windows beside it."""
    # internal: forecasting throughput of an untrained model, without training a bundle first
    import numpy as np

    from forecaster.bundle.forecasting import Forecaster
    from forecaster.model.preparation import load_data, prepare
    from forecaster.model.training import compiled_model

    panel = load_data(spec)
    prepared = prepare(spec, panel)
    preprocessing = prepared.preprocessing
    columns = prepared.rows.num_columns
    model = compiled_model(spec, columns, preprocessing.statics.vocabulary_sizes)
    del prepared
    forecaster = Forecaster(model, spec, preprocessing)
    timings = []
    for _ in range(2):
        started = time.perf_counter()
        table = forecaster.predict_panel(panel, "benchmark")
        timings.append(time.perf_counter() - started)
    windows = np.zeros((panel.num_series, spec.window.lookback, columns), dtype=np.float32)
    started = time.perf_counter()
    model.predict(windows, batch_size=256, verbose=0)
    model_seconds = time.perf_counter() - started
    return {
        **_panel_size(panel),
        "forecast_rows": len(table),
        "first_seconds": timings[0],
        "seconds": timings[1],
        "series_per_second": panel.num_series / timings[1],
        "model_predict_seconds": model_seconds,
    }


def _panel_size(panel: Any) -> dict[str, Any]:
    rows, columns = panel.values.shape
    return {
        "series": panel.num_series,
        "rows": rows,
        "columns": columns,
        "values_float32_mib": rows * columns * 4 / 2**20,
    }


def _memory() -> dict[str, float]:
    """This process' resident set now and at its peak (VmHWM), MiB."""
    found = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0]) / 1024  # kB
    if not found:  # not Linux: the peak alone (kilobytes on Linux, bytes on macOS)
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        peak /= 2**20 if sys.platform == "darwin" else 1024
        return {"rss_mib": float("nan"), "peak_mib": peak}
    return {"rss_mib": found["VmRSS"], "peak_mib": found["VmHWM"]}


# ---------------------------------------------------------------- results


def _write(report: dict[str, Any], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
    out.with_suffix(".md").write_text(render_markdown(report))


def _summary(step: str, r: dict[str, Any]) -> str:
    if step == COMMAND:
        return (
            f"{r['seconds']:.0f} s ({r['after_training_seconds']:.0f} s after training), "
            f"peak {r['peak_mib']:.0f} MiB ({r['peak_before_scoring_mib']:.0f} MiB before "
            "scoring)"
        )
    if step.startswith("read"):
        return f"{r['seconds']:.1f} s, {r['rows_per_second']:,.0f} rows/s, peak {r['peak_mib']:.0f}"
    if step.startswith("train"):
        return (
            f"{r['windows_per_second']:,.0f} windows/s, fit {r['fit_seconds']:.1f} s, "
            f"peak {r['peak_mib']:.0f} MiB"
        )
    return f"{r['seconds']:.1f} s, {r['series_per_second']:,.0f} series/s, peak {r['peak_mib']:.0f}"


def render_markdown(report: dict[str, Any]) -> str:
    env, base = report["environment"], report["baseline"]
    frequency = report.get("frequency", "daily")  # earlier results: daily alone
    window = report.get("window", FREQUENCIES[frequency])
    lines = [
        "# Scale: memory and throughput against the number of series",
        "",
        "Written by `make bench-scale` (`benchmarks/scale.py`). Each measurement runs in a "
        "child process of its own; *peak* is that process' peak resident set (`VmHWM`); the "
        f"baseline, a child that only imports forecaster and TensorFlow, holds "
        f"{base['rss_mib']:.0f} MiB. The model is a tiny GRU (16 units, batch 256): the "
        "benchmark measures the data path, not the network.",
        "",
        f"- commit `{env['commit']}`, {env['date']}",
        f"- hardware: {env['cpu']}, {env['cpu_cores_available']} CPU cores available, "
        f"{env.get('memory_gib')} GiB memory, no GPU; load average "
        f"{env.get('load_average_at_start')} at the start (the cores were shared with other "
        "work, so times are upper bounds)",
        f"- TensorFlow {env['versions'].get('tensorflow')}, Keras {env['versions'].get('keras')},"
        f" pandas {env['versions'].get('pandas')}, NumPy {env['versions'].get('numpy')},"
        f" Python {env['python']}; whole run {env.get('seconds', 0) / 60:.0f} min",
        "",
        f"Every series has {report['steps_per_series']:,} {frequency} rows (lookback "
        f"{window['lookback']}, horizon {window['horizon']}, {window['val_steps']} validation "
        f"and {window['test_steps']} test steps). **read** is `read_file` as `forecast train` "
        "calls it (these files are ready, so it streams them); **train** is `load_data` then "
        "`fit` for "
        f"{report['train_batches']:,} batches and the validation pass, windows/s timed after "
        f"the first {WARMUP_BATCHES} batches (tracing); **predict** is "
        "`Forecaster.predict_panel` over every series in one batched `model.predict`, timed "
        "on its second call; **command** (with `--command`) is `forecaster.train` (what "
        "`forecast train` runs) end to end "
        "on the Parquet file: reading, one whole epoch at batch "
        f"{COMMAND_TRAIN['batch_size']:,}, scoring validation and test beside the baselines, "
        "the report and the bundle; *after training* is the time from the fitted model to "
        "the bundle written, and *before scoring* the peak until then.",
        "",
    ]
    lines += _throughput_table(report["datasets"])
    lines += _command_table(report["datasets"])
    lines += _variants_table(report["datasets"])
    lines += _memory_table(report["datasets"], base["rss_mib"])
    return "\n".join(lines)


def _throughput_table(datasets: list[dict[str, Any]]) -> list[str]:
    lines = [
        "## Throughput",
        "",
        "| series | rows | read CSV | read Parquet | train | predict |",
        "|---|---|---|---|---|---|",
    ]
    for d in datasets:
        csv, parquet = d.get("read_csv"), d.get("read_parquet")
        train, pred = d.get("train"), d.get("predict")
        cells = [
            f"{d['csv_rows'] // report_steps(d):,}",
            f"{d['csv_rows']:,}",
            f"{csv['seconds']:.1f} s, {csv['rows_per_second']:,.0f} rows/s" if csv else "",
            f"{parquet['seconds']:.1f} s, {parquet['rows_per_second']:,.0f} rows/s"
            if parquet
            else "",
            f"{train['windows_per_second']:,.0f} windows/s (preparation "
            f"{train['prepare_seconds']:.1f} s)"
            if train
            else "",
            f"{pred['seconds']:.2f} s, {pred['series_per_second']:,.0f} series/s "
            f"(`model.predict` {pred['model_predict_seconds']:.2f} s)"
            if pred
            else "",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return [*lines, ""]


def _variants_table(datasets: list[dict[str, Any]]) -> list[str]:
    """Training with one option changed (``--variants``), beside the default."""
    rows = [d for d in datasets if any(d.get(step) for step in VARIANTS)]
    if not rows:
        return []
    lines = [
        "## Training options",
        "",
        "| series | variant | device | windows/s | against the default | precision | "
        "recurrent kernel |",
        "|---|---|---|---|---|---|---|",
    ]
    for d in rows:
        default = d["train"]["windows_per_second"]
        for step in ("train", *VARIANTS):
            r = d.get(step)
            if not r:
                continue
            run = r["execution"]
            lines.append(
                f"| {r['series']:,} | {step} | {r['device']} | {r['windows_per_second']:,.0f} | "
                f"{r['windows_per_second'] / default:.2f}x | {run['precision']} | "
                f"{run['recurrent_kernel']['kernel']} |"
            )
    return [*lines, ""]


def _command_table(datasets: list[dict[str, Any]]) -> list[str]:
    """``--command``: the whole command's time and peak, and the part after training."""
    rows = [d[COMMAND] for d in datasets if d.get(COMMAND)]
    if not rows or "after_training_seconds" not in rows[0]:  # earlier results: no split
        return []
    lines = [
        "## forecast train",
        "",
        "| series | test windows | whole command | after training | peak before scoring | peak |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['series']:,} | {r['test_windows']:,} | {r['seconds']:.0f} s | "
            f"{r['after_training_seconds']:.0f} s | {r['peak_before_scoring_mib']:.0f} MiB | "
            f"{r['peak_mib']:.0f} MiB |"
        )
    return [*lines, ""]


def report_steps(d: dict[str, Any]) -> int:
    return int(d["csv_rows"] // int(d["name"].removeprefix("synthetic-")))


def _memory_table(datasets: list[dict[str, Any]], base: float) -> list[str]:
    if not datasets:
        return []
    smallest = datasets[0]
    lines = [
        "## Memory",
        "",
        f"Peak RSS of each step, and above the same step on {smallest['name']} (the "
        f"bound: {BOUND}x the float32 values above {smallest['name']}'s, 4 bytes per extra "
        "row and value column). The bound is set for the largest file; on the small ones a "
        "few MiB of values sit beside fixed costs of their own size (TensorFlow's and "
        "pyarrow's pools), so it says little there.",
        "",
        "| series | float32 values | bound | step | peak | above baseline | above "
        f"{smallest['name']} | within bound |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for d in datasets:
        for step in (*STEPS, COMMAND):
            r, first = d.get(step), smallest.get(step)
            if not r or not first:
                continue
            values = r["values_float32_mib"]
            extra = values - first["values_float32_mib"]  # the values the bound is about
            above = r["peak_mib"] - first["peak_mib"]
            bound = BOUND * extra
            lines.append(
                f"| {r['series']:,} | {values:.1f} MiB | {bound:.0f} MiB | {step} | "
                f"{r['peak_mib']:.0f} MiB | {r['peak_mib'] - base:.0f} MiB | {above:.0f} MiB | "
                + ("yes" if d is smallest or above <= bound else f"no ({above / extra:.1f}x)")
                + " |"
            )
    return [*lines, ""]


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
