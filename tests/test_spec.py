from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from forecaster.errors import InputError
from forecaster.spec import (
    DateSplit,
    FractionSplit,
    RecurrentModelSpec,
    load_spec,
    parse_spec,
)

MINIMAL = {"data": {"path": "x.csv", "targets": ["y"]}}


def test_defaults_fill_everything_but_path_and_targets() -> None:
    spec = parse_spec(MINIMAL)
    assert spec.window.lookback == 96 and spec.window.horizon == 24
    assert spec.model.cell == "gru" and spec.model.normalization == "instance"
    assert spec.scaling == "standard"
    assert spec.data.split == FractionSplit(val=0.2, test=0.2)
    assert spec.data.columns == ["y"]


def test_date_split_is_recognised_by_its_keys() -> None:
    raw = {
        "data": {
            **MINIMAL["data"],
            "split": {"val_start": "2017-06-26", "test_start": "2017-10-24"},
        }
    }
    split = parse_spec(raw).data.split
    assert isinstance(split, DateSplit)
    assert split.val_start == datetime(2017, 6, 26) and split.end is None


def test_round_trip_through_yaml(tmp_path: Path) -> None:
    spec = parse_spec(
        {**MINIMAL, "model": {"cell": "lstm", "units": [4, 2], "bidirectional": True}}
    )
    path = tmp_path / "spec.yaml"
    path.write_text(spec.to_yaml())
    assert load_spec(path) == spec


def test_a_model_without_kind_is_recurrent() -> None:
    written_before_kinds = parse_spec({**MINIMAL, "model": {"cell": "lstm", "units": [8]}})
    named = parse_spec({**MINIMAL, "model": {"kind": "recurrent", "cell": "lstm", "units": [8]}})
    assert written_before_kinds == named
    assert isinstance(named.model, RecurrentModelSpec) and named.model.kind == "recurrent"
    assert parse_spec(MINIMAL).model == RecurrentModelSpec()


def test_a_spec_yaml_without_kind_still_loads(tmp_path: Path) -> None:
    spec = parse_spec({**MINIMAL, "model": {"cell": "lstm", "units": [4, 2]}})
    written = spec.to_yaml()
    assert "\n  kind: recurrent\n" in written  # the dump names the family
    path = tmp_path / "spec.yaml"
    path.write_text(written.replace("  kind: recurrent\n", ""))  # as bundles were written
    assert load_spec(path) == spec


@pytest.mark.parametrize("kind", ["transformer", None, 5, ["recurrent"]])
def test_an_unknown_model_kind_lists_the_kinds(kind: object) -> None:
    with pytest.raises(InputError) as caught:
        parse_spec({**MINIMAL, "model": {"kind": kind, "units": [4]}}, source="s.yaml")
    assert str(caught.value) == (
        f"s.yaml: model: kind {kind!r} is not a model kind; use recurrent; fix: change model"
    )


def test_overrides_are_validated() -> None:
    spec = parse_spec(MINIMAL).with_overrides(**{"train.epochs": 3, "data.path": "other.csv"})
    assert spec.train.epochs == 3 and str(spec.data.path) == "other.csv"
    with pytest.raises(InputError, match="train.epochs"):
        parse_spec(MINIMAL).with_overrides(**{"train.epochs": 0})


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ({**MINIMAL, "modle": {}}, ["unknown key 'modle'", "did you mean 'model'"]),
        ({**MINIMAL, "model": {"untis": [4]}}, ["model.untis", "did you mean 'units'"]),
        ({**MINIMAL, "model": {"cell": "rnn"}}, ["model.cell", "'lstm' or 'gru'"]),
        ({**MINIMAL, "model": {"units": [0]}}, ["model.units", "between 1 and 8192"]),
        ({**MINIMAL, "model": {"dropout": 1.5}}, ["model.dropout"]),
        ({**MINIMAL, "window": {"lookback": 0}}, ["window.lookback", "greater than or equal to 1"]),
        ({**MINIMAL, "train": {"batch_size": "big"}}, ["train.batch_size", "integer"]),
        ({"data": {"path": "x.csv"}}, ["data.targets is required"]),
        (
            {"data": {"path": "x.csv", "targets": ["y"], "split": {"val": 0.5, "test": 0.5}}},
            ["val + test"],
        ),
        ({"data": {"path": "x.csv", "targets": ["y"], "covariates": ["y"]}}, ["listed twice"]),
        ([1, 2], ["expected a mapping"]),
        (
            {**MINIMAL, "intervals": {"levls": [80]}},
            ["unknown key 'intervals.levls'", "did you mean 'levels'", "calibration_windows"],
        ),
        (
            {"data": {**MINIMAL["data"], "holidays": {"contry": "AU"}}},
            ["unknown key 'data.holidays.contry'", "(allowed here: country, subdiv, distances)"],
        ),
        (
            {**MINIMAL, "tune": {"space": {"train.learning_rate": {"min": 0.1, "mx": 1}}}},
            ["'tune.space.train.learning_rate.mx'", "(allowed here: min, max, log, step)"],
        ),
        ({"data": {**MINIMAL["data"], "split": 5}}, ["data.split is 5; expected a mapping"]),
        (None, ["spec is empty"]),
    ],
)
def test_bad_specs_name_the_field(raw: object, words: list[str]) -> None:
    with pytest.raises(InputError) as caught:
        parse_spec(raw, source="s.yaml")
    message = str(caught.value)
    assert message.startswith("s.yaml: ") and "\n" not in message
    for word in words:
        assert word in message


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("data:\n  path: x.csv\n  targets: [y\n")
    with pytest.raises(InputError, match=r"broken.yaml: YAML syntax error at line \d+"):
        load_spec(path)


def test_recurrent_dropout_warns_about_the_fast_path() -> None:
    with pytest.warns(UserWarning, match="cuDNN"):
        parse_spec({**MINIMAL, "model": {"recurrent_dropout": 0.2}})


@pytest.mark.parametrize(
    ("model", "data", "words"),
    [
        ({"segment_length": 5}, {}, ["model.segment_length 5", "window.lookback 96"]),
        ({"channel_independent": True}, {"covariates": ["x"]}, ["model.channel_independent"]),
        ({"decoder": "segments"}, {}, ["model.segment_length"]),
        ({"decoder": "segments", "segment_length": 8, "units": [4, 4]}, {}, ["model.units"]),
        ({"segment_length": 0}, {}, ["model.segment_length"]),
        ({"normalization": "revin"}, {}, ["model.normalization", "'last'"]),
    ],
)
def test_inconsistent_model_options_name_the_field(
    model: dict, data: dict, words: list[str]
) -> None:
    raw = {"data": {**MINIMAL["data"], **data}, "model": model}
    with pytest.raises(InputError) as caught:
        parse_spec(raw, source="s.yaml")
    for word in words:
        assert word in str(caught.value)


def test_segment_model_spec_is_accepted() -> None:
    model = {"channel_independent": True, "segment_length": 48, "decoder": "segments"}
    spec = parse_spec({**MINIMAL, "model": model})
    assert spec.model.segment_length == 48 and spec.model.decoder == "segments"


SHIPPED_SPECS = sorted(Path(__file__).parent.parent.glob("models/*.yaml")) + sorted(
    Path(__file__).parent.parent.glob("benchmarks/specs/*.yaml")
)


@pytest.mark.parametrize("path", SHIPPED_SPECS, ids=lambda path: path.name)
def test_every_shipped_spec_is_valid_and_names_the_sample_data(path: Path) -> None:
    spec = load_spec(path)
    shipped = ("ETTh1.csv", "pedestrian.csv", "aus_retail.csv")
    assert spec.data.path in tuple(Path("data") / name for name in shipped)
    assert (Path(__file__).parent.parent / spec.data.path).is_file()
    assert spec.window.lookback % (spec.model.segment_length or 1) == 0


def test_the_shipped_specs_are_all_found() -> None:
    names = {path.name for path in SHIPPED_SPECS}
    assert {"etth1-gru.yaml", "etth1-lstm.yaml", "etth1-bigru.yaml", "retail-gru.yaml"} <= names
    # lookback 96 and 336, four horizons each
    assert len([n for n in names if n.startswith("etth1-multivariate-")]) == 8


def test_long_data_options_are_checked_together() -> None:
    long = {**MINIMAL, "data": {**MINIMAL["data"], "id_columns": ["store"]}}
    spec = parse_spec(
        {**long, "data": {**long["data"], "split": {"val_steps": 3, "test_steps": 2}}}
    )
    assert spec.data.split.val_steps == 3 and spec.data.split.test_steps == 2
    with pytest.raises(InputError, match="data.static_covariates describe each series"):
        parse_spec({**MINIMAL, "data": {**MINIMAL["data"], "static_covariates": ["region"]}})
    with pytest.raises(InputError, match="model.id_embedding learns one vector per series"):
        parse_spec({**MINIMAL, "model": {"id_embedding": True}})
    with pytest.raises(InputError, match="names a series"):
        parse_spec({**long, "data": {**long["data"], "covariates": ["store"]}})


def test_a_quantile_head_has_both_ends_of_every_level_and_the_median() -> None:
    spec = parse_spec({**MINIMAL, "intervals": {"levels": [95, 80, 99], "method": "quantile"}})
    assert spec.intervals.levels == [80, 95, 99]
    assert spec.intervals.quantiles == [0.005, 0.025, 0.1, 0.5, 0.9, 0.975, 0.995]
    conformal = parse_spec({**MINIMAL, "intervals": {"levels": [80]}})
    assert conformal.intervals.quantiles == []
    with pytest.raises(InputError, match="intervals.levels: levels are percentages"):
        parse_spec({**MINIMAL, "intervals": {"levels": [100]}})


def test_fallback_is_opt_in_and_refused_beside_a_quantile_head() -> None:
    assert parse_spec(MINIMAL).evaluation.fallback == "none"
    spec = parse_spec({**MINIMAL, "evaluation": {"fallback": "baseline"}})
    assert spec.evaluation.fallback == "baseline"
    raw = {
        **MINIMAL,
        "evaluation": {"fallback": "baseline"},
        "intervals": {"method": "quantile"},
    }
    with pytest.raises(InputError, match="evaluation.fallback: baseline"):
        parse_spec(raw, source="s.yaml")


def test_the_learning_rate_schedule_is_plateau_unless_told_and_names_its_problems() -> None:
    assert parse_spec(MINIMAL).train.lr_schedule.kind == "plateau"
    raw = {**MINIMAL, "train": {"lr_schedule": {"hold_epochs": 2}}}
    schedule = parse_spec(raw).train.lr_schedule
    assert (schedule.kind, schedule.hold_epochs, schedule.factor) == ("exponential", 2, 0.8)
    for bad, words in [
        ({"kind": "cosine"}, "kind 'cosine' is not a schedule"),
        ({"kind": "exponential", "factor": 2}, "train.lr_schedule.factor is 2"),
        ({"kind": "exponential", "hold": 2}, "unknown key 'train.lr_schedule.hold'"),
    ]:
        with pytest.raises(InputError, match=words):
            parse_spec({**MINIMAL, "train": {"lr_schedule": bad}}, source="s.yaml")


def test_overrides_reach_into_a_section_the_spec_left_out() -> None:
    spec = parse_spec({"data": {"path": "x.csv", "targets": ["y"]}})
    assert spec.data.holidays is None
    changed = spec.with_overrides(**{"data.holidays.country": "US"})
    assert changed.data.holidays is not None and changed.data.holidays.country == "US"
    with pytest.raises(InputError, match="data.holidays.country"):
        spec.with_overrides(**{"data.holidays.subdiv": "CA"})  # the country is required
