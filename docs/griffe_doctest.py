"""A griffe extension for the Python API reference: forecaster's docstrings write their
examples as doctest lines, under ``Example:`` or in the text. Griffe reads ``>>>`` lines
as code only in an ``Examples:`` section, so this renames that heading and fences the
doctest lines found outside one; the docstrings themselves stay as they are."""

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
        docstring.value = _fence_loose_doctests(text)


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
