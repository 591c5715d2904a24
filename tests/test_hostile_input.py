"""Input written to hurt: a spec of nested YAML aliases ("billion laughs")."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from forecaster.errors import InputError
from forecaster.spec import Spec, load_spec
from tests.conftest import write_spec


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
