"""Every bad input a user can give, through the command line: one line naming the file or
field, the exit code, no traceback, and nothing written to --out."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import tensorflow  # noqa: F401  (imported here, its log handler keeps the real stderr)
import yaml
from typer.testing import CliRunner

import forecaster
from forecaster.cli import app
from forecaster.errors import BundleError
from forecaster.storage.files import file_sha256
from tests.conftest import synthetic_frame, write_spec

runner = CliRunner()


@dataclass
class Workspace:
    """A folder with a good CSV, a good spec and a copy of a trained bundle to damage."""

    root: Path
    csv: Path
    spec: Path
    bundle: Path

    @property
    def out(self) -> Path:
        """The --out every case passes; it must never appear."""
        return self.root / "out"

    def good_frame(self) -> pd.DataFrame:
        return pd.read_csv(self.csv)

    def write_csv(self, frame: pd.DataFrame, name: str = "bad.csv") -> Path:
        frame.to_csv(self.root / name, index=False)
        return self.root / name

    def write_bytes(self, content: bytes, name: str = "bad.csv") -> Path:
        (self.root / name).write_bytes(content)
        return self.root / name

    def write_spec(self, **changes: object) -> Path:
        """The good spec with dotted keys replaced (``...`` deletes a key)."""
        raw = yaml.safe_load(self.spec.read_text())
        for dotted, value in changes.items():
            node = raw
            *parents, leaf = dotted.split(".")
            for key in parents:
                node = node.setdefault(key, {})
            if value is ...:
                node.pop(leaf)
            else:
                node[leaf] = value
        path = self.root / "bad.yaml"
        path.write_text(yaml.safe_dump(raw))
        return path

    def write_text(self, text: str, name: str = "bad.yaml") -> Path:
        (self.root / name).write_text(text)
        return self.root / name

    def reseal(self, name: str) -> None:
        """Record a changed bundle file's checksum, as if it had been written that way."""
        manifest_path = self.bundle / "manifest.json"
        manifest = json.loads(manifest_path.read_text())
        manifest["files"][name] = file_sha256(self.bundle / name)
        manifest_path.write_text(json.dumps(manifest))


def train(ws: Workspace, spec: Path | None = None, *options: str) -> list[str]:
    return ["train", str(spec or ws.spec), "--out", str(ws.out), "--quiet", *options]


def train_on(ws: Workspace, csv: Path, **changes: object) -> list[str]:
    return train(ws, ws.write_spec(**{"data.path": str(csv), **changes}))


def predict(ws: Workspace, csv: Path | None = None, bundle: Path | None = None) -> list[str]:
    args = ["predict", str(bundle or ws.bundle), "--out", str(ws.out)]
    return args + (["--data", str(csv)] if csv else [])


def with_cell(frame: pd.DataFrame, row: int, column: str, value: object) -> pd.DataFrame:
    frame[column] = frame[column].astype(object)
    frame.loc[row, column] = value
    return frame


def zoned(frame: pd.DataFrame) -> pd.DataFrame:
    """The same rows with times in UTC, written with Z."""
    times = pd.to_datetime(frame["timestamp"])
    return frame.assign(timestamp=times.dt.strftime("%Y-%m-%dT%H:%M:%SZ"))


def irregular(frame: pd.DataFrame) -> pd.DataFrame:
    """Times i * i minutes after the start: no step repeats."""
    minutes = pd.to_timedelta(np.arange(len(frame)) ** 2, unit="min")
    return frame.assign(timestamp=(pd.Timestamp("2024-01-01") + minutes).astype(str))


def day_first(frame: pd.DataFrame) -> pd.DataFrame:
    """Times written day/month/year: ambiguous while no day is above 12."""
    times = pd.to_datetime(frame["timestamp"])
    return frame.assign(timestamp=times.dt.strftime("%d/%m/%Y %H:%M"))


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:200])


def predict_without(ws: Workspace, name: str) -> list[str]:
    (ws.bundle / name).unlink()
    return predict(ws)


def predict_truncated(ws: Workspace, name: str) -> list[str]:
    truncate(ws.bundle / name)
    return predict(ws)


def predict_changed(ws: Workspace, name: str, content: bytes, reseal: bool = False) -> list[str]:
    (ws.bundle / name).write_bytes(content)
    if reseal:
        ws.reseal(name)
    return predict(ws)


@dataclass(frozen=True)
class Case:
    name: str
    command: Callable[[Workspace], list[str]]
    exit_code: int
    words: tuple[str, ...]


CASES = [
    # --- the CSV ------------------------------------------------------------------------
    Case(
        "empty file",
        lambda ws: train_on(ws, ws.write_bytes(b"")),
        2,
        ("bad.csv", "is empty", "fix:"),
    ),
    Case(
        "header only",
        lambda ws: train_on(ws, ws.write_bytes(b"timestamp,y,x\n")),
        2,
        ("bad.csv", "header but no data rows"),
    ),
    Case(
        "no time column",
        lambda ws: train_on(ws, ws.write_csv(ws.good_frame().drop(columns="timestamp"))),
        2,
        ("no time column found", "found columns: y, x", "data.time_column"),
    ),
    Case(
        "misnamed time column",
        lambda ws: train_on(ws, ws.csv, **{"data.time_column": "time_stamp"}),
        2,
        ("time column 'time_stamp' is missing", "did you mean 'timestamp'?"),
    ),
    Case(
        "unparseable date",
        lambda ws: train_on(
            ws, ws.write_csv(with_cell(ws.good_frame(), 50, "timestamp", "2024-13-45 99:00"))
        ),
        2,
        ("'2024-13-45 99:00' at line 52", "expected a date like"),
    ),
    Case(
        "duplicate timestamps",
        lambda ws: train_on(
            ws, ws.write_csv(with_cell(ws.good_frame(), 51, "timestamp", "2024-01-03 02:00:00"))
        ),
        2,
        ("2024-01-03 02:00:00 appears more than once", "line 52 and line 53"),
    ),
    Case(
        "empty cell under the error policy",
        lambda ws: train_on(ws, ws.write_csv(with_cell(ws.good_frame(), 60, "y", np.nan))),
        2,
        ("column 'y' has 1 missing or infinite value(s)", "line 62", "data.missing"),
    ),
    Case(
        "infinity under the error policy",
        lambda ws: train_on(ws, ws.write_csv(with_cell(ws.good_frame(), 60, "x", "-inf"))),
        2,
        ("column 'x' has 1 missing or infinite value(s)", "line 62"),
    ),
    Case(
        "text in a numeric column",
        lambda ws: train_on(ws, ws.write_csv(with_cell(ws.good_frame(), 70, "x", "n/a?"))),
        2,
        ("column 'x' has 'n/a?' at line 72, not a number",),
    ),
    Case(
        "unrecognised delimiter",
        lambda ws: train_on(
            ws, ws.write_text(ws.good_frame().to_csv(index=False).replace(",", " "), "bad.csv")
        ),
        2,
        ("has a single column", "separated by"),
    ),
    Case(
        "decimal commas",
        lambda ws: train_on(
            ws,
            ws.write_text(
                ws.good_frame().to_csv(index=False).replace(",", ";").replace(".", ","), "bad.csv"
            ),
        ),
        2,
        ("column 'y' has", "decimal commas"),
    ),
    Case(
        "binary junk",
        lambda ws: train_on(ws, ws.write_bytes(bytes(range(256)) * 8)),
        2,
        ("not a text CSV file",),
    ),
    Case(
        "a folder instead of a file",
        lambda ws: train_on(ws, ws.root),
        2,
        ("is a folder; expected a CSV file",),
    ),
    Case(
        "missing file",
        lambda ws: train_on(ws, ws.root / "nowhere.csv"),
        2,
        ("nowhere.csv: file not found", "data.path"),
    ),
    Case(
        "too few rows for lookback + horizon",
        lambda ws: train_on(ws, ws.write_csv(ws.good_frame().head(40))),
        2,
        ("too few rows for one train window", "lookback + horizon = 24 + 6"),
    ),
    Case(
        "missing target",
        lambda ws: train_on(ws, ws.csv, **{"data.targets": ["why"]}),
        2,
        ("column 'why' is missing", "found columns: y, x", "data.targets"),
    ),
    Case(
        "missing covariate",
        lambda ws: train_on(ws, ws.csv, **{"data.covariates": ["xx"]}),
        2,
        ("column 'xx' is missing", "did you mean 'x'?"),
    ),
    Case(
        "--data lacks the spec's columns",
        lambda ws: train(
            ws, None, "--data", str(ws.write_csv(ws.good_frame().rename(columns={"x": "w"})))
        ),
        2,
        ("bad.csv: column 'x' is missing", "found columns: y, w"),
    ),
    # --- the split ----------------------------------------------------------------------
    Case(
        "date split leaves no validation rows",
        lambda ws: train_on(
            ws, ws.csv, **{"data.split": {"val_start": "2030-01-01", "test_start": "2031-01-01"}}
        ),
        2,
        ("data.split.val_start 2030-01-01", "not before the last row", "data covers"),
    ),
    Case(
        "date split leaves no training rows",
        lambda ws: train_on(
            ws, ws.csv, **{"data.split": {"val_start": "2020-01-01", "test_start": "2024-01-10"}}
        ),
        2,
        ("data.split.val_start 2020-01-01", "not after the first row"),
    ),
    Case(
        "test period shorter than the horizon",
        lambda ws: train_on(
            ws,
            ws.csv,
            **{"data.split": {"val_start": "2024-01-08", "test_start": "2024-01-13 09:00"}},
        ),
        2,
        ("too few rows for one test window", "has 3 rows, needs at least 6"),
    ),
    Case(
        "seasonal baseline needs more history",
        lambda ws: train_on(
            ws,
            ws.csv,
            **{
                "window.lookback": 4,
                "data.split": {"val_start": "2024-01-01 12:00", "test_start": "2024-01-08"},
            },
        ),
        2,
        ("seasonal-naive baseline", "season (24 rows)", "window.lookback of at least 24"),
    ),
    Case(
        "values too large to train on",
        lambda ws: train_on(
            ws,
            ws.write_csv(ws.good_frame().assign(y=lambda f: f["y"] * 1e30)),
            **{"scaling": "none", "model.normalization": "none", "train.epochs": 1},
        ),
        1,
        ("training diverged", "train.learning_rate"),
    ),
    # --- the spec -----------------------------------------------------------------------
    Case(
        "YAML syntax error",
        lambda ws: train(ws, ws.write_text("data:\n  path: x.csv\n  targets: [y\n")),
        2,
        ("bad.yaml: YAML syntax error at line 4",),
    ),
    Case(
        "repeated key",
        lambda ws: train(ws, ws.write_text(ws.spec.read_text() + "name: again\n")),
        2,
        ("key 'name' appears twice",),
    ),
    Case(
        "empty spec",
        lambda ws: train(ws, ws.write_text("# nothing yet\n")),
        2,
        ("bad.yaml: the spec is empty", "data.targets"),
    ),
    Case(
        "spec that is not a mapping",
        lambda ws: train(ws, ws.write_text("- data\n- model\n")),
        2,
        ("expected a mapping of keys", "got list"),
    ),
    Case(
        "spec file missing",
        lambda ws: train(ws, ws.root / "nospec.yaml"),
        2,
        ("nospec.yaml: spec file does not exist",),
    ),
    Case(
        "spec is a folder",
        lambda ws: train(ws, ws.root),
        2,
        ("spec file is a folder",),
    ),
    Case(
        "unknown top-level key",
        lambda ws: train(ws, ws.write_spec(modle={})),
        2,
        ("unknown key 'modle'", "did you mean 'model'?", "allowed here"),
    ),
    Case(
        "unknown nested key",
        lambda ws: train(ws, ws.write_spec(**{"model.untis": [4]})),
        2,
        ("unknown key 'model.untis'", "did you mean 'units'?"),
    ),
    Case(
        "unknown split key",
        lambda ws: train(
            ws,
            ws.write_spec(
                **{"data.split": {"val_start": "2024-01-05", "tset_start": "2024-01-08"}}
            ),
        ),
        2,
        ("unknown key 'data.split.tset_start'", "did you mean 'test_start'?"),
    ),
    Case(
        "wrong type",
        lambda ws: train(ws, ws.write_spec(**{"train.batch_size": "big"})),
        2,
        ("train.batch_size is 'big'", "expected a valid integer"),
    ),
    Case(
        "list expected",
        lambda ws: train(ws, ws.write_spec(**{"data.targets": "y"})),
        2,
        ("data.targets is 'y'", "expected a list"),
    ),
    Case(
        "units out of range",
        lambda ws: train(ws, ws.write_spec(**{"model.units": [0]})),
        2,
        ("model.units", "between 1 and 8192"),
    ),
    Case(
        "lookback out of range",
        lambda ws: train(ws, ws.write_spec(**{"window.lookback": 0})),
        2,
        ("window.lookback is 0", "greater than or equal to 1", "fix: change window.lookback"),
    ),
    Case(
        "horizon out of range",
        lambda ws: train(ws, ws.write_spec(**{"window.horizon": 10**9})),
        2,
        ("window.horizon is 1000000000", "less than or equal to 100000"),
    ),
    Case(
        "epochs out of range",
        lambda ws: train(ws, ws.write_spec(**{"train.epochs": 0})),
        2,
        ("train.epochs is 0",),
    ),
    Case(
        "batch size out of range",
        lambda ws: train(ws, ws.write_spec(**{"train.batch_size": -8})),
        2,
        ("train.batch_size is -8",),
    ),
    Case(
        "dropout out of range",
        lambda ws: train(ws, ws.write_spec(**{"model.dropout": 1.5})),
        2,
        ("model.dropout is 1.5", "less than 1"),
    ),
    Case(
        "split fraction out of range",
        lambda ws: train(ws, ws.write_spec(**{"data.split": {"val": 1.2, "test": 0.1}})),
        2,
        ("data.split.val is 1.2",),
    ),
    Case(
        "split fractions leave no training rows",
        lambda ws: train(ws, ws.write_spec(**{"data.split": {"val": 0.5, "test": 0.5}})),
        2,
        ("val + test must be below 1",),
    ),
    Case(
        "split dates out of order",
        lambda ws: train(
            ws,
            ws.write_spec(
                **{"data.split": {"val_start": "2024-01-08", "test_start": "2024-01-05"}}
            ),
        ),
        2,
        ("val_start must come before test_start",),
    ),
    Case(
        "invalid cell",
        lambda ws: train(ws, ws.write_spec(**{"model.cell": "rnn"})),
        2,
        ("model.cell is 'rnn'", "expected 'lstm' or 'gru'"),
    ),
    Case(
        "invalid scaling",
        lambda ws: train(ws, ws.write_spec(scaling="zscore")),
        2,
        ("scaling is 'zscore'", "'standard', 'minmax', 'robust', 'mean_abs' or 'none'"),
    ),
    Case(
        "invalid missing-value policy",
        lambda ws: train(ws, ws.write_spec(**{"data.missing": "drop"})),
        2,
        ("data.missing is 'drop'",),
    ),
    Case(
        "targets missing from the spec",
        lambda ws: train(ws, ws.write_spec(**{"data.targets": ...})),
        2,
        ("data.targets is required",),
    ),
    Case(
        "out of range on the command line",
        lambda ws: train(ws, None, "--epochs", "0"),
        2,
        ("command line: train.epochs is 0",),
    ),
    Case(
        "--out holds something else",
        lambda ws: ["train", str(ws.spec), "--out", str(ws.csv), "--quiet"],
        2,
        ("series.csv: is a file, not a forecaster bundle", "choose another --out"),
    ),
    # --- predict ------------------------------------------------------------------------
    Case(
        "missing bundle",
        lambda ws: predict(ws, bundle=ws.root / "no-bundle"),
        2,
        ("no-bundle: bundle folder does not exist",),
    ),
    Case(
        "a file instead of a bundle",
        lambda ws: predict(ws, bundle=ws.csv),
        2,
        ("bundle folder is a file",),
    ),
    Case(
        "bundle missing its model",
        lambda ws: predict_without(ws, "model.keras"),
        2,
        ("not a complete bundle, missing model.keras",),
    ),
    Case(
        "truncated model",
        lambda ws: predict_truncated(ws, "model.keras"),
        2,
        ("model.keras does not match its checksum", "train the bundle again"),
    ),
    Case(
        "tampered preprocessing",
        lambda ws: predict_changed(ws, "preprocessing.json", b"{}"),
        2,
        ("preprocessing.json does not match its checksum",),
    ),
    Case(
        "damaged model with a matching checksum",
        lambda ws: predict_changed(ws, "model.keras", b"not a zip archive", reseal=True),
        2,
        ("model.keras: is not a Keras model file",),
    ),
    Case(
        "bundle spec from another forecaster version",
        lambda ws: predict_changed(
            ws, "spec.yaml", (ws.bundle / "spec.yaml").read_bytes() + b"extra: 1\n", reseal=True
        ),
        2,
        ("spec.yaml: the bundle's spec is not valid for this forecaster version", "'extra'"),
    ),
    Case(
        "preprocessing without its scaler",
        lambda ws: predict_changed(ws, "preprocessing.json", b'{"lookback": 24}', reseal=True),
        2,
        ("preprocessing.json: cannot be read as preprocessing settings",),
    ),
    Case(
        "unreadable manifest",
        lambda ws: predict_changed(ws, "manifest.json", b"{broken"),
        2,
        ("manifest.json: cannot be read as JSON",),
    ),
    Case(
        "history lacks a column",
        lambda ws: predict(ws, ws.write_csv(ws.good_frame().drop(columns="x"))),
        2,
        ("bad.csv: column 'x' is missing", "trained on", "y, x"),
    ),
    Case(
        "history has another time column",
        lambda ws: predict(ws, ws.write_csv(ws.good_frame().rename(columns={"timestamp": "t"}))),
        2,
        ("time column 'timestamp' is missing", "trained on"),
    ),
    Case(
        "too little history",
        lambda ws: predict(ws, ws.write_csv(ws.good_frame().head(10))),
        2,
        ("has 10 rows, the model needs the last 24",),
    ),
    Case(
        "gap in the history",
        lambda ws: predict(ws, ws.write_csv(with_cell(ws.good_frame(), 290, "y", ""))),
        2,
        ("column 'y' has 1 missing or infinite value(s)",),
    ),
    Case(
        "hours missing right before the origin in the history",
        lambda ws: predict(ws, ws.write_csv(ws.good_frame().drop(index=range(285, 295)))),
        2,
        ("10 step(s) of 'h' missing from 2024-01-12 21:00:00", "the only gap"),
    ),
    Case(
        "history with a zone for a model trained without one",
        lambda ws: predict(ws, ws.write_csv(zoned(ws.good_frame()))),
        2,
        ("has times with a zone (UTC); expected times without a zone",),
    ),
    # --- the time axis ------------------------------------------------------------------
    Case(
        "hours missing under the error policy",
        lambda ws: train_on(ws, ws.write_csv(ws.good_frame().drop(index=range(100, 130)))),
        2,
        (
            "30 step(s) of 'h' missing from 2024-01-05 04:00:00 to 2024-01-06 09:00:00",
            "the only gap",
            "data.missing: interpolate",
        ),
    ),
    Case(
        "gap longer than data.max_gap",
        lambda ws: train_on(
            ws,
            ws.write_csv(ws.good_frame().drop(index=range(100, 130))),
            **{"data.missing": "interpolate", "data.max_gap": 5},
        ),
        2,
        ("column 'y' has 30 missing steps in a row", "more than data.max_gap (5)"),
    ),
    Case(
        "no clear frequency",
        lambda ws: train_on(ws, ws.write_csv(irregular(ws.good_frame()))),
        2,
        ("has no clear frequency", "fix: set data.frequency"),
    ),
    Case(
        "unknown data.frequency",
        lambda ws: train_on(ws, ws.csv, **{"data.frequency": "fortnightly"}),
        2,
        ("data.frequency", "'fortnightly' is not a pandas frequency"),
    ),
    Case(
        "day and month cannot be told apart",
        lambda ws: train_on(ws, ws.write_csv(day_first(ws.good_frame().head(280)))),
        2,
        ("fits two date formats", "data.time_format", "data.dayfirst"),
    ),
    Case(
        "data.time_format that fits no row",
        lambda ws: train_on(ws, ws.csv, **{"data.time_format": "%d/%m/%Y %H:%M"}),
        2,
        ("'2024-01-01 00:00:00' at line 2", "expected dates written as '%d/%m/%Y %H:%M'"),
    ),
    Case(
        "times with and without a zone",
        lambda ws: train_on(
            ws,
            ws.write_csv(with_cell(zoned(ws.good_frame()), 5, "timestamp", "2024-01-01 05:00:00")),
        ),
        2,
        ("mixes times with and without a zone", "line 7"),
    ),
    Case(
        "split dates with and without a zone",
        lambda ws: train_on(
            ws,
            ws.csv,
            **{"data.split": {"val_start": "2024-01-08T00:00:00Z", "test_start": "2024-01-10"}},
        ),
        2,
        ("data.split", "must all carry a zone"),
    ),
    Case(
        "date split on a step index",
        lambda ws: train_on(
            ws,
            ws.write_csv(ws.good_frame().assign(timestamp=range(300))),
            **{"data.split": {"val_start": "2024-01-08", "test_start": "2024-01-10"}},
        ),
        2,
        ("data.split: dates", "on a step index", "expected fractions"),
    ),
    Case(
        "data.frequency step on a column of dates",
        lambda ws: train_on(ws, ws.csv, **{"data.frequency": "step"}),
        2,
        ("data.frequency is 'step'", "integers"),
    ),
    Case(
        "data.filter value found in no row",
        lambda ws: train_on(
            ws, ws.write_csv(ws.good_frame().assign(site="a")), **{"data.filter": {"site": "b"}}
        ),
        2,
        ("no row has site = 'b' (data.filter)", "found values: a"),
    ),
    Case(
        "data.filter on an input column",
        lambda ws: train_on(ws, ws.csv, **{"data.filter": {"x": 1}}),
        2,
        ("data", "x selects rows (data.filter), so it cannot be an input too"),
    ),
    Case(
        "forecast --out is a folder",
        lambda ws: ["predict", str(ws.bundle), "--out", str(ws.root)],
        2,
        ("is a folder; expected a file name",),
    ),
]


@pytest.fixture(scope="module")
def trained_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("trained")
    csv = folder / "series.csv"
    synthetic_frame(300).to_csv(csv, index=False)
    spec = write_spec(folder / "tiny.yaml", csv, train={"epochs": 1, "seed": 1})
    result = runner.invoke(app, ["train", str(spec), "--out", str(folder / "bundle"), "-q"])
    assert result.exit_code == 0, result.output
    return folder / "bundle"


@pytest.fixture
def workspace(tmp_path: Path, trained_bundle: Path) -> Workspace:
    csv = tmp_path / "series.csv"
    synthetic_frame(300).to_csv(csv, index=False)
    spec = write_spec(tmp_path / "tiny.yaml", csv, model={"units": [4]}, train={"epochs": 1})
    bundle = tmp_path / "bundle"
    shutil.copytree(trained_bundle, bundle)
    return Workspace(tmp_path, csv, spec, bundle)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_bad_input_is_one_clear_line(case: Case, workspace: Workspace) -> None:
    result = runner.invoke(app, case.command(workspace))
    output = result.output.strip()
    assert result.exit_code == case.exit_code, output
    assert len(output.splitlines()) == 1, output
    assert output.startswith("error: ") and "Traceback" not in output
    for word in case.words:
        assert word in output, f"{word!r} not in {output!r}"
    assert not workspace.out.exists()


def test_the_table_covers_enough_cases() -> None:
    assert len(CASES) >= 30
    assert len({case.name for case in CASES}) == len(CASES)


def test_debug_shows_the_traceback(workspace: Workspace) -> None:
    result = runner.invoke(app, ["--debug", *train(workspace, workspace.root / "nospec.yaml")])
    assert result.exit_code != 0
    assert "spec file does not exist" in str(result.exception)


@pytest.mark.parametrize("damage", ["tamper", "truncate"])
def test_load_refuses_a_tampered_or_truncated_bundle(workspace: Workspace, damage: str) -> None:
    forecaster.load(str(workspace.bundle))
    if damage == "tamper":
        metrics = workspace.bundle / "metrics.json"
        metrics.write_text(metrics.read_text().replace("0", "1", 1))
    else:
        truncate(workspace.bundle / "model.keras")
    with pytest.raises(BundleError, match="does not match its checksum"):
        forecaster.load(str(workspace.bundle))
