"""The documentation cannot drift from the code: the published JSON Schema is what
`forecast schema` prints, every example spec follows it, every YAML spec shown in the
docs loads, and every `forecast ...` command line shown in the docs and the README
parses."""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import typer.main
import yaml
from typer.testing import CliRunner

from forecaster.cli import app
from forecaster.spec import load_spec, parse_spec

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


# --- YAML specs shown in the docs ------------------------------------------------------

FENCE = re.compile(r"^( *)```(\w*)[^\n]*\n(.*?)^\1```", flags=re.MULTILINE | re.DOTALL)
SNIPPET = re.compile(r'^--8<-- "([^"]+)"$')
PAGES = sorted(DOCS.rglob("*.md"))


def _blocks(path: Path) -> Iterator[tuple[str, str]]:
    """The fenced code blocks of a page: language and text, snippets included."""
    for match in FENCE.finditer(path.read_text()):
        lines = []
        for line in match.group(3).splitlines():
            line = line.removeprefix(match.group(1))  # the block's indentation, in a list
            included = SNIPPET.match(line.strip())
            lines += (ROOT / included.group(1)).read_text().splitlines() if included else [line]
        yield match.group(2), "\n".join(lines)


YAML_BLOCKS = [
    pytest.param(text, id=f"{_name(page)}:{number}")
    for page in PAGES
    for number, (language, text) in enumerate(_blocks(page), start=1)
    if language == "yaml" and not text.startswith("# fragment")
]


def test_the_docs_show_specs() -> None:
    assert len(YAML_BLOCKS) >= 8


@pytest.mark.parametrize("text", YAML_BLOCKS)
def test_every_yaml_block_in_the_docs_is_a_spec_that_loads(text: str, tmp_path: Path) -> None:
    spec_file = tmp_path / "spec.yaml"
    spec_file.write_text(text)
    load_spec(spec_file)


# --- forecast command lines shown in the docs and the README ---------------------------

INLINE = re.compile(r"`([^`\n]+)`")
# between two commands: ; && || |, or a wide gap (two machines' commands side by side)
SEPARATORS = re.compile(r"\s*(?:;|&&|\|\|?)\s*|\s{3,}")
REDIRECTS = {">", ">>", "2>", "2>&1", "<"}


def _command_lines(text: str) -> Iterator[str]:
    """Every `forecast ...` line: in code blocks (after a `$ ` prompt, between `;` or
    `&&`), and in inline code."""
    candidates = [span for span in INLINE.findall(FENCE.sub("", text))]
    candidates += [
        line for language, block in _fenced(text) if language != "yaml" for line in block
    ]
    for candidate in candidates:
        for piece in SEPARATORS.split(candidate.strip().removeprefix("$ ")):
            piece = piece.strip().removeprefix(".venv/bin/")
            if piece == "forecast" or piece.startswith("forecast "):
                yield piece


def _fenced(text: str) -> Iterator[tuple[str, list[str]]]:
    for match in FENCE.finditer(text):
        yield match.group(2), match.group(3).splitlines()


def _arguments(line: str) -> list[str] | None:
    """The arguments after `forecast`, with placeholders tidied (`...` dropped, brackets
    of `[--window]` removed, a value in capitals such as `--folds K` made a number); None
    for a line that stands for any command (`forecast COMMAND --help`)."""
    words = shlex.split(line, comments=True)[1:]
    for index, word in enumerate(words):
        if word in REDIRECTS:
            words = words[:index]
            break
    words = [word.strip("[]") for word in words if word not in ("...", "--help")]
    commands = [word for word in words if not word.startswith("-")]
    if commands and commands[0].isupper():
        return None
    return ["1" if word.isalpha() and word.isupper() else word for word in words]


def _parse_problem(arguments: list[str]) -> str | None:
    """What the command line's own parser says is wrong with these arguments (None:
    nothing), without running the command. A missing argument is not a problem: prose
    names commands without their arguments."""
    group = typer.main.get_command(app)
    try:
        context = group.make_context("forecast", list(arguments), resilient_parsing=False)
        rest = [*(getattr(context, "_protected_args", None) or []), *context.args]
        if not rest:
            return None
        name, command, rest = group.resolve_command(context, rest)
        command.make_context(name, rest, parent=context, resilient_parsing=False)
    except Exception as error:
        if type(error).__name__ in ("MissingParameter", "NoArgsIsHelpError"):
            return None
        format_message = getattr(error, "format_message", None)
        message = format_message() if format_message else str(error)
        return f"{type(error).__name__}: {message}"
    return None


COMMAND_LINES = sorted(
    {
        (_name(path), line)
        for path in [*PAGES, ROOT / "README.md", ROOT / "CONTRIBUTING.md"]
        for line in _command_lines(path.read_text())
    }
)


def test_the_docs_show_command_lines() -> None:
    assert len(COMMAND_LINES) >= 40
    shown = {line.split()[1] for _, line in COMMAND_LINES if len(line.split()) > 1}
    group = typer.main.get_command(app)
    commands = group.list_commands(group.make_context("forecast", [], resilient_parsing=True))
    assert set(commands) <= shown, "a command the docs never show"


@pytest.mark.parametrize(("page", "line"), COMMAND_LINES)
def test_every_forecast_command_line_shown_parses(page: str, line: str) -> None:
    arguments = _arguments(line)
    if arguments is not None:
        assert _parse_problem(arguments) is None, f"{page}: {line}"


@pytest.mark.parametrize(
    "arguments",
    [["train", "spec.yaml", "--epoch", "3"], ["trian", "spec.yaml"], ["predict", "b", "--id=x"]],
)
def test_the_check_catches_a_wrong_option_or_command(arguments: list[str]) -> None:
    assert _parse_problem(arguments) is not None


def test_every_make_target_shown_in_the_docs_has_a_rule() -> None:
    shown = set()
    for path in [*PAGES, ROOT / "CONTRIBUTING.md"]:
        text = path.read_text()
        code = INLINE.findall(FENCE.sub("", text)) + [
            line for _, block in _fenced(text) for line in block
        ]
        shown |= {m for piece in code for m in re.findall(r"^\s*make ([a-z][a-z-]*)", piece)}
    rules = set(re.findall(r"^([a-z][a-z-]*):", (ROOT / "Makefile").read_text(), re.MULTILINE))
    assert {"demo", "docs", "schema"} <= shown
    assert shown <= rules, f"the docs name make targets without a rule: {sorted(shown - rules)}"
