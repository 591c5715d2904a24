"""A griffe extension for the Python API reference, which reads forecaster's docstrings
as they are written:

- examples are doctest lines, under ``Example:`` or in the text; griffe reads ``>>>``
  lines as code only in an ``Examples:`` section, so that heading is renamed and doctest
  lines outside a section are fenced;
- ``Args:`` may document two options in one entry (``data, epochs: as for train``);
  each gets the entry of its own, so the table shows its type and default."""

from __future__ import annotations

import re
from typing import Any

import griffe

_EXAMPLE_HEADING = re.compile(r"^(\s*)Example:\s*$", flags=re.MULTILINE)


class DoctestExamples(griffe.Extension):
    def on_instance(self, *, obj: Any, **kwargs: Any) -> None:
        docstring = getattr(obj, "docstring", None)
        if docstring is None:
            return
        text = _EXAMPLE_HEADING.sub(r"\1Examples:", docstring.value)
        docstring.value = _split_shared_entries(_fence_loose_doctests(text))


_SHARED_ENTRY = re.compile(r"^(\s+)(\w+(?:, \w+)+): (.*)$")


def _split_shared_entries(text: str) -> str:
    """``    a, b: text`` (and its deeper-indented continuation lines) once per name."""
    lines, out, index = text.splitlines(), [], 0
    while index < len(lines):
        match = _SHARED_ENTRY.match(lines[index])
        index += 1
        if not match:
            out.append(lines[index - 1])
            continue
        indent, names, first = match.groups()
        rest = []
        while index < len(lines) and lines[index].startswith(indent + " "):
            rest.append(lines[index])
            index += 1
        for name in names.split(", "):
            out += [f"{indent}{name}: {first}", *rest]
    return "\n".join(out)


def _fence_loose_doctests(text: str) -> str:
    """Wrap runs of unindented ``>>>`` lines (not in a section) in a pycon code block."""
    lines, out, index = text.splitlines(), [], 0
    while index < len(lines):
        if lines[index].startswith(">>>"):
            block = []
            while index < len(lines) and lines[index].strip() and not lines[index][:1].isspace():
                block.append(lines[index])
                index += 1
            out += ["```pycon", *block, "```"]
        else:
            out.append(lines[index])
            index += 1
    return "\n".join(out)
