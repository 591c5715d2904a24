"""What the options of ``forecast`` and of the Python API mean: the spec fields they
override and the folders written when no output folder is named."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from forecaster.commands.options import (
    as_spec,
    backtest_inputs,
    evaluation_folder,
    train_inputs,
    tune_inputs,
)
from forecaster.errors import InputError
from tests.conftest import write_spec

TUNE = {"space": {"model.units": [[4], [8]]}}


def test_a_path_a_dict_and_a_spec_read_alike(spec_file: Path) -> None:
    from_path = as_spec(spec_file)
    assert as_spec(str(spec_file)) == from_path
    assert as_spec(yaml.safe_load(spec_file.read_text())) == from_path
    assert as_spec(from_path) is from_path


def test_options_given_override_and_the_rest_leave_the_spec_alone(
    spec_file: Path, tmp_path: Path
) -> None:
    spec, out = train_inputs(spec_file, None)
    assert spec == as_spec(spec_file) and out == Path("models") / "tiny"
    other = tmp_path / "other.csv"
    spec, out = train_inputs(
        spec_file, tmp_path / "b", data=other, epochs=3, seed=5, tensorboard=tmp_path / "tb"
    )
    assert out == tmp_path / "b" and spec.data.path == other
    assert (spec.train.epochs, spec.train.seed) == (3, 5)
    assert spec.train.tensorboard == tmp_path / "tb"

    spec, out = backtest_inputs(spec_file, None, folds=3, window="sliding")
    assert (spec.evaluation.folds, spec.evaluation.window) == (3, "sliding")
    assert out == Path("backtest") / "tiny"


def test_a_bad_option_is_reported_as_coming_from_its_source(spec_file: Path) -> None:
    with pytest.raises(InputError, match=r"^command line: train\.epochs"):
        train_inputs(spec_file, None, epochs=0)


def test_search_options_apply_only_to_a_spec_with_a_tune_section(
    tmp_path: Path, series_csv: Path
) -> None:
    tuned = write_spec(tmp_path / "tuned.yaml", series_csv, tune=TUNE)
    spec, out = tune_inputs(tuned, None, trials=3, tuner="bayesian", seeds=4, top=1, epochs=1)
    assert spec.tune is not None and out == Path("tuning") / "tiny"
    assert (spec.tune.max_trials, spec.tune.tuner, spec.tune.seeds, spec.tune.top) == (
        3,
        "bayesian",
        4,
        1,
    )
    assert spec.train.epochs == 1
    plain = write_spec(tmp_path / "plain.yaml", series_csv)
    spec, _ = tune_inputs(plain, None, trials=3)  # `tune` then says how to add a section
    assert spec.tune is None


def test_evaluation_is_written_beside_the_bundle_name(tmp_path: Path) -> None:
    assert evaluation_folder(tmp_path / "models" / "gru", None) == Path("evaluation") / "gru"
    assert evaluation_folder("anything", tmp_path / "e") == tmp_path / "e"
