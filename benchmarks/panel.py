"""Many series: peak memory and throughput of reading, training and forecasting a panel,
written to ``benchmarks/results/panel.md`` and ``.json``.

Datasets: ``aus_retail`` (``data/aus_retail.csv``, 152 monthly series) and
``synthetic-N``, N daily series generated into a temporary folder (lengths 150 to 300
rows, different starts, a weekly sine around each series' own level plus noise). Every
measurement runs in its own child process, so its peak RSS (``VmHWM``) is its own; a
child that only imports forecaster and TensorFlow gives the baseline under them.

    python benchmarks/panel.py                       # aus_retail, synthetic-1000, -10000
    python benchmarks/panel.py --sizes 1000          # quicker
    python benchmarks/panel.py --only aus_retail
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
STEPS = ("read", "train", "predict")
MARK = "PANEL-BENCH-RESULT "
SEED = 0

# The model is deliberately tiny: the benchmark is about the data path, not the network.
MODEL = {"cell": "gru", "units": [16]}
TRAIN = {"epochs": 1, "batch_size": 256}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", type=int, nargs="*", default=[1000, 10000], help="synthetic series counts"
    )
    parser.add_argument(
        "--only", nargs="*", default=None, help="dataset names, e.g. aus_retail synthetic-1000"
    )
    parser.add_argument("--out", type=Path, default=RESULTS / "panel", help="path without suffix")
    parser.add_argument(
        "--render", action="store_true", help="only rewrite the .md from the existing .json"
    )
    parser.add_argument("--child", choices=("baseline", *STEPS), help=argparse.SUPPRESS)
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

    names = ["aus_retail", *(f"synthetic-{n}" for n in args.sizes)]
    if args.only:
        names = [name for name in names if name in args.only]
    report: dict[str, Any] = {
        "environment": environment(["forecaster", "benchmarks/panel.py"]),
        "datasets": [],
    }
    report["baseline"] = _run_child("baseline", None)
    _say(f"baseline: {report['baseline']['rss_mib']:.0f} MiB after imports")
    with tempfile.TemporaryDirectory(prefix="panel-bench-") as folder:
        for name in names:
            dataset = _dataset(name, Path(folder))
            entry: dict[str, Any] = {"name": name, "spec": dataset["spec"]}
            entry.update(dataset.get("generated", {}))
            report["datasets"].append(entry)
            for step in STEPS:
                _say(f"{name}: {step} ...")
                entry[step] = _run_child(step, dataset)
                _say(f"  {_summary(step, entry[step])}")
                report["environment"]["seconds"] = round(
                    time.time() - report["environment"]["started"], 1
                )
                _write(report, args.out)
    return 0


# ---------------------------------------------------------------- datasets


def _dataset(name: str, folder: Path) -> dict[str, Any]:
    """A dataset as its child processes need it: a spec (as YAML would hold it)."""
    if name == "aus_retail":
        spec = {
            "name": "bench-aus-retail",
            "data": {
                "path": str(ROOT / "data" / "aus_retail.csv"),
                "id_columns": ["State", "Industry"],
                "time_column": "Month",
                "targets": ["Turnover"],
                "split": {"val_steps": 24, "test_steps": 24},
            },
            "window": {"lookback": 36, "horizon": 24},
        }
        return {"spec": spec | {"model": MODEL, "train": TRAIN}}
    size = int(name.removeprefix("synthetic-"))
    path = folder / f"{name}.csv"
    started = time.perf_counter()
    rows = write_synthetic(path, size)
    generated = {
        "csv_rows": rows,
        "csv_mib": round(path.stat().st_size / 2**20, 1),
        "generate_seconds": round(time.perf_counter() - started, 1),
    }
    _say(f"{name}: wrote {rows:,} rows, {generated['csv_mib']} MiB")
    spec = {
        "name": f"bench-{name}",
        "data": {
            "path": str(path),
            "id_columns": ["id"],
            "time_column": "date",
            "targets": ["y"],
            "split": {"val_steps": 14, "test_steps": 14},
        },
        "window": {"lookback": 28, "horizon": 7},
        "model": MODEL,
        "train": TRAIN,
    }
    return {"spec": spec, "generated": generated}


def write_synthetic(path: Path, num_series: int, seed: int = SEED) -> int:
    """A long CSV (``id, date, y``) of ``num_series`` daily series of 150 to 300 rows,
    each starting on its own day of 2020, a weekly sine around its own level plus noise."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    lengths = rng.integers(150, 301, size=num_series)
    starts = pd.Timestamp("2020-01-01") + pd.to_timedelta(
        rng.integers(0, 366, size=num_series), unit="D"
    )
    levels = rng.lognormal(mean=3.0, sigma=1.0, size=num_series)
    amplitudes = levels * rng.uniform(0.05, 0.3, size=num_series)
    phases = rng.uniform(0, 2 * np.pi, size=num_series)
    series = np.repeat(np.arange(num_series), lengths)
    step = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    dates = starts.to_numpy()[series] + step.astype("timedelta64[D]")
    values = (
        levels[series]
        + amplitudes[series] * np.sin(2 * np.pi * step / 7 + phases[series])
        + rng.normal(0, 0.05, size=len(series)) * levels[series]
    )
    width = len(str(num_series - 1))
    frame = pd.DataFrame(
        {
            "id": np.char.add("s", np.char.zfill(series.astype(str), width)),
            "date": pd.DatetimeIndex(dates).strftime("%Y-%m-%d"),
            "y": np.round(values, 3),
        }
    )
    frame.to_csv(path, index=False)
    return len(frame)


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

    from forecaster import predict, training  # noqa: F401

    imported = _memory()
    if step == "baseline":
        import forecaster

        return {**imported, "forecaster": str(Path(forecaster.__file__).parent)}
    from forecaster.spec import parse_spec

    spec = parse_spec(dataset["spec"], source="benchmark")
    result: dict[str, Any] = {"rss_after_imports_mib": imported["rss_mib"]}
    if step == "read":
        result.update(_read(spec))
    elif step == "train":
        result.update(_train(spec))
    else:
        result.update(_predict(spec))
    result.update(_memory())
    return result


def _read(spec: Any) -> dict[str, Any]:
    """``read_long`` is ``read_rows`` (the CSV, every cell as text) then ``long_panel``
    (times, groups, each series checked on its own): timed here step by step."""
    from forecaster.data import read_rows, time_options
    from forecaster.panel import long_panel
    from forecaster.windows import split_boundaries

    data = spec.data
    options = time_options(data)
    started = time.perf_counter()
    rows, where = read_rows(data.path, options.pop("row_filter", None))
    parsed = time.perf_counter()
    after_csv = _memory()["rss_mib"]
    panel = long_panel(
        rows,
        where,
        str(data.path),
        id_columns=data.id_columns,
        static_covariates=data.static_covariates,
        time_column=data.time_column,
        columns=data.columns,
        missing=data.missing,
        boundaries=split_boundaries(data.split),
        **options,
    )
    done = time.perf_counter()
    num_rows = len(rows)
    del rows
    return {
        **_panel_size(panel),
        "csv_rows": num_rows,
        "seconds": done - started,
        "csv_seconds": parsed - started,
        "series_seconds": done - parsed,
        "rows_per_second": num_rows / (done - started),
        "rss_after_csv_mib": after_csv,
    }


def _train(spec: Any) -> dict[str, Any]:
    """``load_data`` then ``fit``: one epoch of the tiny model over every training window."""
    from forecaster.training import fit, load_data

    started = time.perf_counter()
    panel = load_data(spec)
    read = time.perf_counter()
    after_read = _memory()
    fitted = fit(spec, panel, quiet=True)
    done = time.perf_counter()
    lookback, horizon = spec.window.lookback, spec.window.horizon
    train_windows = len(fitted.series_periods.origins("train", lookback, horizon)[0])
    val_windows = len(fitted.series_periods.origins("val", lookback, horizon)[0])
    epoch = float(fitted.history["seconds"].iloc[0])
    return {
        **_panel_size(panel),
        "series_trained": fitted.panel.num_series,
        "series_left_out": len(fitted.left_out),
        "train_windows": train_windows,
        "val_windows": val_windows,
        "batches": -(-train_windows // spec.train.batch_size),
        "read_seconds": read - started,
        "fit_seconds": done - read,
        "epoch_seconds": epoch,
        # the epoch includes its validation pass; fit also prepares scalers and datasets
        "prepare_seconds": done - read - fitted.train_seconds,
        "windows_per_second": train_windows / epoch,
        "rss_after_read_mib": after_read["rss_mib"],
        "peak_after_read_mib": after_read["peak_mib"],
        "parameters": int(fitted.model.count_params()),
        "device": fitted.device,
        "loss": float(fitted.history["loss"].iloc[0]),
    }


def _predict(spec: Any) -> dict[str, Any]:
    """``Forecaster.predict_panel`` over every series as read that has ``lookback`` rows
    (a shorter one is refused). The weights are the freshly
    built model's (one epoch more of training would change their values, not the time a
    forecast takes); ``model.predict`` alone on the same windows is timed beside it."""
    import numpy as np

    from forecaster.predict import Forecaster
    from forecaster.training import compiled_model, load_data, prepare_panel

    panel = load_data(spec)
    prepared = prepare_panel(spec, panel)
    # every series with a whole lookback of history (predict refuses shorter ones)
    lengths = np.diff(panel.starts)
    panel = panel.subset(np.flatnonzero(lengths >= spec.window.lookback).tolist())
    preprocessing = prepared.preprocessing
    model = compiled_model(spec, prepared.scaled.shape[1], preprocessing.statics.vocabulary_sizes)
    columns = prepared.scaled.shape[1]
    del prepared
    after_setup = _memory()
    forecaster = Forecaster(model, spec, preprocessing)
    timings = []
    for _ in range(2):  # the first call traces the predict function
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
        "rss_before_predict_mib": after_setup["rss_mib"],
    }


def _panel_size(panel: Any) -> dict[str, Any]:
    rows, columns = panel.frame.shape
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
    if step == "read":
        return f"{r['seconds']:.1f} s, {r['rows_per_second']:,.0f} rows/s, peak {r['peak_mib']:.0f}"
    if step == "train":
        return (
            f"{r['train_windows']:,} windows, epoch {r['epoch_seconds']:.1f} s, "
            f"{r['windows_per_second']:,.0f} windows/s, peak {r['peak_mib']:.0f} MiB"
        )
    return f"{r['seconds']:.1f} s, {r['series_per_second']:,.0f} series/s, peak {r['peak_mib']:.0f}"


def render_markdown(report: dict[str, Any]) -> str:
    env, base = report["environment"], report["baseline"]
    base_mib = base["rss_mib"]
    lines = [
        "# Many series: memory and throughput",
        "",
        "Written by `make bench-panel` (`benchmarks/panel.py`). Each measurement runs in a "
        "child process of its own; *peak* is that process' peak resident set (`VmHWM`), "
        "*above baseline* subtracts the resident set of a child that only imports "
        f"forecaster and TensorFlow ({base_mib:.0f} MiB, peak {base['peak_mib']:.0f} MiB). "
        "The model is a tiny GRU (16 units, one epoch, batch 256): the benchmark measures "
        "the data path, not the network.",
        "",
        f"- commit `{env['commit']}`, {env['date']}",
        f"- hardware: {env['cpu']}, {env['cpu_cores_available']} CPU cores available, "
        f"{env.get('memory_gib')} GiB memory; load average {env.get('load_average_at_start')} "
        "at the start (the cores were shared with other work, so times are upper bounds)",
        f"- TensorFlow {env['versions'].get('tensorflow')}, Keras {env['versions'].get('keras')},"
        f" pandas {env['versions'].get('pandas')}, NumPy {env['versions'].get('numpy')},"
        f" Python {env['python']}; whole run {env.get('seconds', 0) / 60:.0f} min",
        "",
        "Steps: **read** is `read_long` (`read_rows`, the CSV as text, then `long_panel`, "
        "each series' time axis checked on its own); **train** is `load_data` then `fit`, "
        "windows/s = training windows / seconds of the epoch (its validation pass "
        "included); **predict** is `Forecaster.predict_panel` over every series with a "
        "whole lookback of history, timed on "
        "its second call (the first traces the model), with `model.predict` alone on the "
        "same number of windows beside it.",
        "",
    ]
    datasets = report["datasets"]
    for d in datasets:
        lines += _dataset_table(d, base_mib)
    lines += _scaling_table(datasets, base_mib)
    shown = observations(report)
    if shown:
        lines += ["## What the numbers show", "", shown, ""]
    return "\n".join(lines)


def observations(report: dict[str, Any]) -> str:
    """One paragraph read off the numbers: how memory grows with rows, where time goes."""
    base = report["baseline"]["rss_mib"]
    done = [
        d
        for d in report["datasets"]
        if d["name"].startswith("synthetic-") and all(d.get(step) for step in STEPS)
    ]
    done.sort(key=lambda d: d["read"]["rows"])
    if not done:
        return ""
    small, large = done[0], done[-1]
    rows = large["read"]["rows"]
    series = large["read"]["series"]

    def above(d: dict[str, Any], step: str) -> float:
        return d[step]["peak_mib"] - base

    def per_row(d: dict[str, Any], step: str) -> float:
        return above(d, step) * 2**20 / d["read"]["rows"]

    peak = max(above(large, step) for step in STEPS)
    text = []
    if small is not large:
        growth = above(large, "read") / above(small, "read")
        more = rows / small["read"]["rows"]
        linear = per_row(large, "read") <= 1.5 * per_row(small, "read")
        text.append(
            f"Memory: from {small['name']} to {large['name']} the rows grow {more:.1f}x and "
            f"the read's peak above baseline {growth:.1f}x ({per_row(small, 'read'):,.0f} "
            f"then {per_row(large, 'read'):,.0f} bytes per row), "
            + (
                "so memory grows linearly with the data, plus a fixed part that weighs "
                "most in small files."
                if linear
                else "faster than the rows: memory does not grow linearly here."
            )
        )
    extra = above(large, "train") - above(large, "read")
    text.append(
        f"At {series:,} series reading sets the peak of every step ({peak:.0f} MiB above "
        f"baseline, about {peak * 2**20 / rows:,.0f} bytes per row against "
        f"{4 * large['read']['columns']} for the float32 values): `read_rows` holds every "
        "cell as text and `long_panel` builds a frame per series. Training adds "
        f"{max(extra, 0):.0f} MiB above the read's peak: its windows are gathered batch by "
        "batch from one array, never copied per window."
    )
    read, train, pred = large["read"], large["train"], large["predict"]
    speeds = ", ".join(f"{d['train']['windows_per_second']:,.0f}" for d in done)
    text.append(
        f"Time: {100 * read['series_seconds'] / read['seconds']:.0f}% of reading is the "
        f"per-series checks (`long_panel` calls `data.prepare_rows` once per series, "
        f"{1000 * read['series_seconds'] / series:.1f} ms a series), the CSV itself "
        f"{read['csv_seconds']:.1f} s. Training runs at {speeds} windows/s from the smallest "
        "to the largest synthetic file, so an epoch costs time in proportion to its windows; "
        f"`fit`'s preparation (per-series scalers and periods) took {train['prepare_seconds']:.1f} "
        f"s. `model.predict` is {100 * pred['model_predict_seconds'] / pred['seconds']:.0f}% "
        "of `predict_panel`; the rest "
        f"({1000 * (pred['seconds'] - pred['model_predict_seconds']) / series:.1f} ms a "
        "series) builds the forecast table series by series."
    )
    return " ".join(text)


def _dataset_table(d: dict[str, Any], base: float) -> list[str]:
    read, train, pred = d.get("read"), d.get("train"), d.get("predict")
    first = read or train or pred
    if first is None:
        return []
    spec = d["spec"]
    lines = [
        f"## {d['name']}",
        "",
        f"{first['series']:,} series, {first['rows']:,} rows x {first['columns']} value "
        f"column(s): {first['values_float32_mib']:.2f} MiB as float32. Lookback "
        f"{spec['window']['lookback']}, horizon {spec['window']['horizon']}, split "
        f"{spec['data']['split']}.",
        "",
        "| step | time | throughput | peak RSS | peak above baseline | notes |",
        "|---|---|---|---|---|---|",
    ]
    if read:
        lines.append(
            f"| read | {read['seconds']:.2f} s | {read['rows_per_second']:,.0f} rows/s | "
            f"{read['peak_mib']:.0f} MiB | {read['peak_mib'] - base:.0f} MiB | CSV "
            f"{read['csv_seconds']:.2f} s, per-series checks {read['series_seconds']:.2f} s |"
        )
    if train:
        lines.append(
            f"| train (1 epoch) | {train['epoch_seconds']:.2f} s | "
            f"{train['windows_per_second']:,.0f} windows/s | {train['peak_mib']:.0f} MiB | "
            f"{train['peak_mib'] - base:.0f} MiB | {train['train_windows']:,} training "
            f"windows in {train['batches']:,} batches, {train['val_windows']:,} validation; "
            f"{train['series_trained']:,} series trained, {train['series_left_out']} left out; "
            f"read {train['read_seconds']:.1f} s, fit {train['fit_seconds']:.1f} s "
            f"(preparation {train['prepare_seconds']:.1f} s) |"
        )
    if pred:
        lines.append(
            f"| predict | {pred['seconds']:.2f} s | {pred['series_per_second']:,.0f} series/s | "
            f"{pred['peak_mib']:.0f} MiB | {pred['peak_mib'] - base:.0f} MiB | first call "
            f"{pred['first_seconds']:.2f} s; `model.predict` alone "
            f"{pred['model_predict_seconds']:.2f} s; {pred['forecast_rows']:,} forecast rows |"
        )
    return [*lines, ""]


def _scaling_table(datasets: list[dict[str, Any]], base: float) -> list[str]:
    rows = [d for d in datasets if d.get("read") and d.get("train")]
    if not rows:
        return []
    lines = [
        "## Memory against data size",
        "",
        "Bytes per data row of the peak above baseline; the float32 values array is "
        "4 bytes per row and column.",
        "",
        "| dataset | rows | float32 values | read: peak above baseline | bytes/row "
        "| train: peak above baseline | bytes/row | predict: peak above baseline | bytes/row |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for d in rows:
        read, train, pred = d["read"], d["train"], d.get("predict")
        n = read["rows"]

        def per_row(peak: float, n: int = n) -> str:
            return f"{(peak - base) * 2**20 / n:,.0f}"

        cells = [
            d["name"],
            f"{n:,}",
            f"{read['values_float32_mib']:.1f} MiB",
            f"{read['peak_mib'] - base:.0f} MiB",
            per_row(read["peak_mib"]),
            f"{train['peak_mib'] - base:.0f} MiB",
            per_row(train["peak_mib"]),
            f"{pred['peak_mib'] - base:.0f} MiB" if pred else "",
            per_row(pred["peak_mib"]) if pred else "",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return [*lines, ""]


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
