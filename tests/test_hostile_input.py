"""Input written to hurt: a spec of nested YAML aliases ("billion laughs"), and ids or
column names that a spreadsheet opening forecaster's CSVs would run as formulas."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from forecaster.cli import app
from forecaster.errors import InputError
from forecaster.spec import Spec, load_spec
from tests.conftest import synthetic_panel, write_panel_spec, write_spec

runner = CliRunner()
PACKAGE = Path(__file__).resolve().parent.parent / "forecaster"
FORMULA_STARTS = ("=", "+", "-", "@")


def _laughs(levels: int = 9) -> str:
    """About 1 KB of YAML that expands to 9 ** levels strings, in a place a spec accepts."""
    lines = ['- &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"- &a{k} [" + ", ".join([f"*a{k - 1}"] * 9) + "]" for k in range(1, levels)]
    indented = "\n".join(f"      {line}" for line in lines)
    head = "data: {path: series.csv, targets: [y]}\ntune:\n  space:\n    model.units:\n"
    return f"{head}{indented}\n"


def test_a_spec_with_an_alias_is_refused_in_one_line(tmp_path: Path, series_csv: Path) -> None:
    spec = tmp_path / "aliased.yaml"
    spec.write_text(
        f"data: {{path: {series_csv}, targets: [y]}}\n"
        "window: {lookback: &steps 24, horizon: 6}\n"
        "train: {epochs: 1, batch_size: *steps}\n"
    )
    with pytest.raises(InputError) as caught:
        load_spec(spec)
    message = str(caught.value)
    assert message.count("\n") == 0
    for words in (str(spec), "anchor &steps at line 2", "not supported", "fix: write"):
        assert words in message, message


@pytest.mark.parametrize("command", ["train", "tune"])
def test_a_billion_laughs_spec_is_refused_in_seconds(
    tmp_path: Path, series_csv: Path, command: str
) -> None:
    spec = tmp_path / "laughs.yaml"
    spec.write_text(_laughs())  # its data.path: series.csv, beside it
    assert len(spec.read_bytes()) <= 1024
    # the earlier loader expanded it: minutes of CPU and gigabytes, a stalled command
    done = subprocess.run(
        [sys.executable, "-m", "forecaster.cli", command, str(spec), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    assert done.returncode == 2, done.stderr
    line = done.stderr.strip()
    assert line.count("\n") == 0, line
    assert line.startswith(f"error: {spec}: anchor &a0 at line 5: YAML anchors and aliases")
    assert not (tmp_path / "o").exists()


def test_specs_written_by_forecaster_have_no_anchors(
    tmp_path: Path, series_csv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = load_spec(
        write_spec(tmp_path / "tiny.yaml", series_csv, tune={"space": {"model.units": [[8], [16]]}})
    )
    dump = Spec.model_dump

    def sharing(self: Spec, **options: object) -> dict:
        raw = dump(self, **options)  # type: ignore[arg-type]
        raw["model"]["units"] = raw["tune"]["space"]["model.units"][0]  # one list, twice
        return raw

    monkeypatch.setattr(Spec, "model_dump", sharing)
    text = spec.to_yaml()
    assert "&" not in text and "*" not in text, text
    written = tmp_path / "written.yaml"
    written.write_text(text)
    assert load_spec(written).model.units == [8]


def test_csv_text_cells_and_headers_that_start_a_formula_are_neutralised() -> None:
    from forecaster.data.time_axis import write_table

    table = pd.DataFrame(
        {
            "store": ['=HYPERLINK("http://x","s0")', "@SUM(A1:A9)", "-s1", "+s2", "-3.5"],
            "@sales": [-3.5, 1.0, -2.0, 0.5, 4.0],
            "region": pd.Categorical(["=1+1", "north", "north", "north", "south"]),
        }
    )
    out = StringIO()
    write_table(table, out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "store,'@sales,region"
    assert lines[1] == '"\'=HYPERLINK(""http://x"",""s0"")",-3.5,\'=1+1'
    assert lines[2:5] == ["'@SUM(A1:A9),1.0,north", "'-s1,-2.0,north", "'+s2,0.5,north"]
    assert lines[5] == "-3.5,4.0,south"  # a number written as text is no formula
    assert table["store"][0].startswith("=")  # the caller's table is left as it was


def test_forecast_and_per_series_csv_neutralise_hostile_ids_and_columns(tmp_path: Path) -> None:
    frame = synthetic_panel(lengths=(120, 90, 150))
    hostile = {"s0": '=HYPERLINK("http://x","s0")', "s1": "-s1", "s2": "@s2"}
    frame["store"] = frame["store"].map(hostile)
    frame = frame.rename(columns={"sales": "+sales"})
    csv = tmp_path / "panel.csv"
    frame.to_csv(csv, index=False)
    spec = write_panel_spec(tmp_path / "panel.yaml", csv, data={"targets": ["+sales"]})
    bundle = tmp_path / "bundle"
    trained = runner.invoke(
        app, ["train", str(spec), "--out", str(bundle), "--quiet", "--epochs", "1"]
    )
    assert trained.exit_code == 0, trained.output
    forecast = tmp_path / "forecast.csv"
    result = runner.invoke(app, ["predict", str(bundle), "--out", str(forecast)])
    assert result.exit_code == 0, result.output

    for path in (forecast, bundle / "per_series.csv"):
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        cells = [*table.columns, *table.to_numpy().ravel()]
        formulas = [cell for cell in cells if cell.startswith(FORMULA_STARTS)]
        numbers = [cell for cell in formulas if _is_number(cell)]
        assert formulas == numbers, f"{path.name}: {formulas}"
        assert any(cell.startswith("'=HYPERLINK") for cell in cells), path.name
    table = pd.read_csv(forecast)
    assert "'+sales" in table.columns and set(table["store"]) == {"'" + v for v in hostile.values()}


def test_every_csv_is_written_by_one_function() -> None:
    """``storage.files.write_csv`` neutralises formulas: no other module calls ``to_csv``
    (but the bundle's history.csv: numbers under fixed column names)."""
    callers = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr == "to_csv":
                callers.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    bundle_history = [c for c in callers if c.startswith("bundle/layout.py:")]
    assert [
        c for c in callers if c not in bundle_history and not c.startswith("storage/files.py:")
    ] == []
    assert len(bundle_history) <= 1


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
