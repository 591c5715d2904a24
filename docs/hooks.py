"""mkdocs hooks: the reference pages generated from the code at build time.

- ``<!-- generated: spec-reference -->`` in a page becomes the tables of every spec key,
  built from the pydantic models in ``forecaster/spec/`` (type, default and constraints
  from the fields, the text from each field's ``description``).
- ``<!-- generated: cli COMMAND -->`` becomes the usage and options of ``forecast
  COMMAND``, read from the Typer app's command tree (what ``--help`` prints);
  ``<!-- generated: cli -->`` the global options. Every command must have its marker.
- ``docs/spec.schema.json`` must be what ``forecast schema`` prints: a stale copy fails
  the build (``make schema`` rewrites it).

Nothing generated is written to ``docs/``.
"""

from __future__ import annotations

import datetime
import re
import sys
import types
import typing
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # document this checkout, whichever forecaster is installed

import typer.main  # noqa: E402
import yaml  # noqa: E402
from mkdocs.exceptions import PluginError  # noqa: E402
from pydantic import BaseModel  # noqa: E402
from pydantic_core import PydanticUndefined  # noqa: E402

from forecaster.cli import app  # noqa: E402
from forecaster.spec import Spec  # noqa: E402
from forecaster.spec.base import models_in  # noqa: E402
from forecaster.spec.schema import schema_text  # noqa: E402

MARKER = re.compile(r"<!-- generated: (spec-reference|cli(?: (\w+))?) -->")
SCHEMA_FILE = ROOT / "docs" / "spec.schema.json"


# --- mkdocs events ---------------------------------------------------------------------


def on_pre_build(config: Any) -> None:
    if SCHEMA_FILE.read_text() != schema_text():
        raise PluginError(
            "docs/spec.schema.json is not what `forecast schema` prints; run `make schema`"
        )


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    def replace(match: re.Match[str]) -> str:
        if match.group(1) == "spec-reference":
            return spec_reference()
        return cli_reference(match.group(2))

    if "<!-- generated: cli " in markdown:
        missing = set(command_names()) - set(re.findall(r"<!-- generated: cli (\w+) -->", markdown))
        if missing:
            raise PluginError(f"{page.file.src_path}: no section for forecast {sorted(missing)}")
    return MARKER.sub(replace, markdown)


# --- the spec reference ----------------------------------------------------------------


def spec_reference() -> str:
    """A table of the top-level keys, then one per section (and per form of a section
    that has several, such as the split), heading ids being the dotted paths."""
    blocks = [_table("", "", Spec)]
    for path, model, several, described in _sections(Spec, ""):
        title, anchor = path, path
        if several:
            title, anchor = f"{path}: {_form_name(model)}", f"{path}.{_form_name(model)}"
        text = _doc(model) if several or not described else described
        table = _table(path, anchor, model)
        blocks.append(f"### `{title}` {{#{anchor}}}\n\n{text}\n\n{table}")
    return "\n\n".join(blocks)


def _path(prefix: str, name: str, annotation: Any) -> str:
    """A field's dotted path; the values of a mapping (``tune.space``) are under
    ``FIELD``, which stands for any key."""
    path = f"{prefix}.{name}" if prefix else name
    return f"{path}.FIELD" if _is_mapping(annotation) else path


def _is_mapping(annotation: Any) -> bool:
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated or origin in (typing.Union, types.UnionType):
        return any(_is_mapping(arg) for arg in args)
    return origin is dict


def _sections(model: type[BaseModel], prefix: str) -> list[tuple[str, type[BaseModel], bool, str]]:
    """Every section below ``model``, depth first: its dotted path, its model, whether it
    is one of several forms the section may take, and the field's description."""
    found = []
    for name, info in model.model_fields.items():
        inner = models_in(info.annotation)
        path = _path(prefix, name, info.annotation)
        for section in inner:
            found.append((path, section, len(inner) > 1, info.description or ""))
            found += _sections(section, path)
    return found


def _form_name(model: type[BaseModel]) -> str:
    """The name of one form of a section: its kind, or its class name in words
    (``DateSplit``: dates)."""
    kind = model.model_fields.get("kind")
    if kind is not None and typing.get_origin(kind.annotation) is typing.Literal:
        return str(typing.get_args(kind.annotation)[0])
    return re.sub(r"(?<!^)(?=[A-Z])", " ", model.__name__).lower().split()[0] + "s"


def _doc(model: type[BaseModel]) -> str:
    text = (model.__doc__ or "").strip()
    return " ".join(text.split()).replace("``", "`")


def _table(prefix: str, anchor_prefix: str, model: type[BaseModel]) -> str:
    """The keys of one section; ``anchor_prefix`` tells apart the forms of a section that
    has several (``train.lr_schedule.plateau.factor``)."""
    rows = ["| key | type | default | description |", "|---|---|---|---|"]
    for name, info in model.model_fields.items():
        path = f"{prefix}.{name}" if prefix else name
        anchor = f"{anchor_prefix}.{name}" if anchor_prefix else name
        inner = models_in(info.annotation)
        if inner:
            below = _path(prefix, name, info.annotation)
            key = f"`{path}`"
            if len(inner) > 1:
                links = [f"[{_form_name(m)}](#{below}.{_form_name(m)})" for m in inner]
                kind = "section, one of: " + ", ".join(links)
            else:
                kind = f"[section](#{below})"
            if _is_mapping(info.annotation):
                kind = f"mapping of string to a list of choices, or a {kind}"
            if _is_optional(info.annotation):
                kind += ", or null"
        else:
            key = f'<a id="{anchor}"></a>`{path}`'
            kind = _type(info.annotation) + _constraints(info.metadata)
        default = _default(info, len(inner) == 1)
        rows.append(f"| {key} | {kind} | {default} | {_cell(info.description)} |")
    return "\n".join(rows)


def _is_optional(annotation: Any) -> bool:
    return type(None) in typing.get_args(annotation)


def _cell(text: str | None) -> str:
    """Text for a table cell: one line, `|` escaped, and `<` `>` outside code spans
    written as entities (help texts say `models/<spec name>`)."""
    parts = (text or "").replace("|", "\\|").replace("\n", " ").split("`")
    for index in range(0, len(parts), 2):
        parts[index] = parts[index].replace("<", "&lt;").replace(">", "&gt;")
    return "`".join(parts)


_NAMES = {
    int: "integer",
    float: "number",
    str: "string",
    bool: "boolean",
    Path: "path",
    datetime.datetime: "date",
    type(None): "null",
}


def _type(annotation: Any) -> str:
    """A field's type in words: 'list of string', '`lstm` or `gru`', 'integer, or null'."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        return _type(args[0])
    if origin is typing.Literal:
        return _either([f"`{value}`" for value in args])
    if origin in (typing.Union, types.UnionType):
        parts = [_type(arg) for arg in args if arg is not type(None)]
        text = _either(list(dict.fromkeys(parts)))
        return f"{text}, or null" if type(None) in args else text
    if origin is list:
        return f"list of {_type(args[0])}" if args and args[0] is not Any else "list"
    if origin is dict:
        return f"mapping of {_type(args[0])} to {_type(args[1])}"
    if annotation is Any:
        return "any"
    return _NAMES.get(annotation, getattr(annotation, "__name__", str(annotation)))


def _either(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} or {parts[-1]}"


_BOUNDS = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<"}


def _constraints(metadata: list[Any]) -> str:
    found = []
    for item in metadata:
        for attribute, sign in _BOUNDS.items():
            value = getattr(item, attribute, None)
            if value is not None:
                found.append(f"{sign} {value:,}" if isinstance(value, int) else f"{sign} {value}")
        if getattr(item, "min_length", None):
            found.append(f"at least {item.min_length}")
        if getattr(item, "max_length", None):
            found.append(f"at most {item.max_length} long")
        if getattr(item, "pattern", None):
            found.append(f"matching `{item.pattern}`")
    return f" ({', '.join(found)})" if found else ""


def _default(info: Any, section: bool) -> str:
    if info.default is PydanticUndefined and info.default_factory is None:
        return "required"
    value = info.get_default(call_default_factory=True)
    if section and value is not None:
        return "its keys' defaults"
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    text = yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=1000).strip()
    text = text.removesuffix("\n...").removesuffix("...").strip()
    return f"`{text}`"


# --- the command-line reference --------------------------------------------------------


def _group() -> tuple[Any, Any]:
    group = typer.main.get_command(app)
    return group, group.make_context("forecast", [], resilient_parsing=True)


def command_names() -> list[str]:
    group, context = _group()
    return list(group.list_commands(context))


def cli_reference(name: str | None) -> str:
    """``forecast NAME``'s usage, help and options as ``--help`` shows them; without a
    name, the options before the command."""
    group, context = _group()
    if name is None:
        return _options_table(group, context, "forecast [OPTIONS] COMMAND [ARGS]...", "")
    command = group.get_command(context, name)
    if command is None:
        raise PluginError(f"forecast has no command {name!r}")
    sub = command.make_context(name, [], parent=context, resilient_parsing=True)
    arguments = [
        (param.metavar or param.name.upper())
        for param in command.get_params(sub)
        if param.param_type_name == "argument"
    ]
    usage = " ".join(["forecast", name, "[OPTIONS]", *arguments])
    help_text = (command.help or "").strip()
    return _options_table(command, sub, usage, help_text)


def _options_table(command: Any, context: Any, usage: str, help_text: str) -> str:
    rows = ["| argument or option | description | default, range |", "|---|---|---|"]
    for param in command.get_params(context):
        record = param.get_help_record(context)
        if record is None:
            continue
        names, text = record
        match = re.search(r"\s*\[([^\]]*)\]\s*$", text)
        extra = ""
        if match:
            text, extra = text[: match.start()], match.group(1)
        rows.append(f"| `{names}` | {_cell(text)} | {_cell(extra)} |")
    paragraphs = [" ".join(part.split()) for part in help_text.split("\n\n") if part.strip()]
    return "\n\n".join([f"```\n{usage}\n```", *paragraphs, "\n".join(rows)])
