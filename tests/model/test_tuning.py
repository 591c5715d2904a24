"""The search space: spec paths checked at load, KerasTuner hyperparameters, values back."""

from __future__ import annotations

from pathlib import Path

import pytest

from forecaster.errors import InputError
from forecaster.model.tuning import decoded_values, encoded_choices, hyperparameters, trial_spec
from forecaster.spec import load_spec
from tests.conftest import write_spec

SPACE = {
    "model.units": [[4], [8, 4]],
    "model.dropout": {"min": 0.0, "max": 0.5},
    "train.learning_rate": {"min": 1.0e-4, "max": 3.0e-3, "log": True},
    "window.lookback": [12, 24],
    "train.batch_size": {"min": 16, "max": 64, "step": 16},
}


def test_space_becomes_hyperparameters_and_values_come_back(tmp_path: Path) -> None:
    spec = load_spec(write_spec(tmp_path / "s.yaml", tmp_path / "d.csv", tune={"space": SPACE}))
    hp = hyperparameters(spec.tune.space)
    kinds = {p.name: type(p).__name__ for p in hp.space}
    assert kinds == {
        "model.units": "Choice",
        "model.dropout": "Float",
        "train.learning_rate": "Float",
        "window.lookback": "Choice",
        "train.batch_size": "Int",
    }
    by_name = {p.name: p for p in hp.space}
    assert by_name["train.learning_rate"].sampling == "log"
    assert by_name["train.batch_size"].step == 16
    # lists are not a KerasTuner choice type: offered as JSON text, decoded per trial
    assert by_name["model.units"].values == ["[4]", "[8, 4]"]
    assert by_name["window.lookback"].values == [12, 24]
    values = {**hp.values, "model.units": "[8, 4]", "tuner/epochs": 3}
    decoded = decoded_values(spec.tune.space, values)
    assert decoded["model.units"] == [8, 4] and "tuner/epochs" not in decoded
    trial = trial_spec(spec, decoded, "trial 0")
    assert trial.model.units == [8, 4] and trial.tune is None
    assert trial.window.lookback == decoded["window.lookback"]


def test_choices_of_one_plain_type_are_kept_and_others_encoded() -> None:
    assert encoded_choices([0.1, 0.2]) == [0.1, 0.2]
    assert encoded_choices(["lstm", "gru"]) == ["lstm", "gru"]
    assert encoded_choices([None, 6]) == ["null", "6"]
    assert encoded_choices([1, 0.5]) == ["1", "0.5"]


@pytest.mark.parametrize(
    ("space", "words"),
    [
        (
            {"model.untis": [[4]]},
            "tune.space.model.untis is not a spec field; did you mean model.units?",
        ),
        ({"train.seed": [1, 2]}, "tune.space.train.seed cannot be searched: seeds are the noise"),
        ({"data.split.val": [0.1, 0.2]}, "tune.space.data.split.val cannot be searched"),
        ({"model.kind": ["recurrent"]}, "tune.space.model.kind cannot be searched"),
        ({"model.units": []}, "tune.space.model.units lists no choices"),
        ({"model.dropout": {"min": 0.5, "max": 0.1}}, "needs min < max"),
        ({"train.learning_rate": {"min": 0, "max": 1, "log": True}}, "log range needs min > 0"),
    ],
)
def test_bad_space_is_one_line_naming_the_key(tmp_path: Path, space: dict, words: str) -> None:
    path = write_spec(tmp_path / "s.yaml", tmp_path / "d.csv", tune={"space": space})
    with pytest.raises(InputError) as raised:
        load_spec(path)
    message = str(raised.value)
    assert words in message and "\n" not in message and message.startswith(str(path))


def test_a_spec_without_tune_reads_back_as_before(tmp_path: Path) -> None:
    spec = load_spec(write_spec(tmp_path / "s.yaml", tmp_path / "d.csv"))
    assert spec.tune is None and "\ntune:" not in spec.to_yaml()
