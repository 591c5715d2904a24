"""The documentation cannot drift from the code: the published JSON Schema is what
`forecast schema` prints, every example spec follows it, every YAML spec shown in the
docs loads, and every `forecast ...` command line shown in the docs and the README
parses."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from forecaster.cli import app
from forecaster.spec import parse_spec

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
SCHEMA_FILE = DOCS / "spec.schema.json"
SPEC_FILES = sorted([*ROOT.glob("models/*.yaml"), *ROOT.glob("benchmarks/specs/**/*.yaml")])


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT))


class _EditorLoader(yaml.SafeLoader):
    """YAML as an editor's language server reads it (YAML 1.2): an unquoted 2017-06-26 is
    a string, not a date, so the schema's date pattern applies to it."""


_EditorLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _validator() -> jsonschema.protocols.Validator:
    schema = yaml.safe_load(SCHEMA_FILE.read_text())
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _problems(raw: Any) -> list[str]:
    return [error.message for error in _validator().iter_errors(raw)]


# --- the JSON Schema -------------------------------------------------------------------


def test_committed_schema_is_what_forecast_schema_prints() -> None:
    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0, result.output
    assert SCHEMA_FILE.read_text() == result.stdout, (
        "docs/spec.schema.json is stale; run `make schema` (forecast schema > "
        "docs/spec.schema.json) and commit it"
    )


@pytest.mark.parametrize("path", SPEC_FILES, ids=_name)
def test_example_spec_names_the_schema_and_follows_it(path: Path) -> None:
    first_line = path.read_text().splitlines()[0]
    relative = os.path.relpath(SCHEMA_FILE, path.parent)
    assert first_line == f"# yaml-language-server: $schema={relative}"
    raw = yaml.load(path.read_text(), Loader=_EditorLoader)
    assert _problems(raw) == []


def test_there_are_example_specs_in_both_folders() -> None:
    folders = {path.relative_to(ROOT).parts[0] for path in SPEC_FILES}
    assert folders == {"models", "benchmarks"}


MINIMAL = {"data": {"path": "data/ETTh1.csv", "targets": ["OT"]}}


@pytest.mark.parametrize(
    "raw",
    [
        {**MINIMAL, "modle": {}},
        {**MINIMAL, "model": {"untis": [64]}},
        {"data": {**MINIMAL["data"], "split": {"val_start": "2017-06-26", "tset_start": "x"}}},
        {**MINIMAL, "train": {"lr_schedule": {"kind": "plateau", "hold_epochs": 4}}},
        {**MINIMAL, "tune": {"space": {"model.units": {"min": 1, "max": 3, "lgo": True}}}},
    ],
)
def test_the_schema_flags_unknown_keys(raw: dict[str, Any]) -> None:
    assert _problems(raw), "the schema accepts an unknown key"
    with pytest.raises(Exception, match="unknown key"):
        parse_spec(raw)


@pytest.mark.parametrize(
    "section",
    [
        {"data": {**MINIMAL["data"], "split": {"val_start": start, "test_start": day}}}
        for start, day in (
            ("2017-06-26", "2017-10-24"),
            ("2017-06-26", "2017-10-24 12:00"),
            ("2017-06-26T00:00Z", "2017-10-24T12:00:30.5+02:00"),
        )
    ]
    + [
        {**MINIMAL, "train": {"lr_schedule": schedule}}
        for schedule in (
            {},
            {"factor": 0.3},
            {"hold_epochs": 2},
            {"kind": "exponential"},
            {"kind": "plateau", "factor": 0.3},
        )
    ],
)
def test_the_schema_accepts_what_the_loader_reads(section: dict[str, Any]) -> None:
    parse_spec(section)
    assert _problems(section) == []
