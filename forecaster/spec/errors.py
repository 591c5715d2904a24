"""A pydantic validation error as the one line a user can act on:
``field: found; expected ...; fix: ...``, with "did you mean" for a mistyped key."""

from __future__ import annotations

import difflib
from collections.abc import Collection
from typing import Any

from pydantic import BaseModel, ValidationError

from forecaster.spec.base import models_in


def describe(error: ValidationError, root: type[BaseModel], tags: Collection[str]) -> str:
    """The first validation problem of a ``root`` model as 'field: found; expected; fix'.
    ``tags`` are the names pydantic puts in an error's location for the member of a union
    it tried (the kinds of a split, of a model ...), not keys a user writes."""
    # an unknown key explains the missing one next to it ("tset_start"), so it goes first
    problem = sorted(error.errors(), key=lambda e: e["type"] != "extra_forbidden")[0]
    location = [str(part) for part in problem["loc"] if part not in tags]
    field = ".".join(location) or "spec"
    kind = problem["type"]
    if kind == "extra_forbidden":
        parent, key = location[:-1], location[-1]
        known = _known_keys(root, parent)
        hint = difflib.get_close_matches(key, known, n=1)
        suggestion = f"; did you mean '{hint[0]}'?" if hint else ""
        return (
            f"unknown key '{field}'{suggestion} (allowed here: {', '.join(known)}); "
            "fix: rename or remove it"
        )
    if kind == "missing":
        return f"{field} is required; add it to the spec"
    message = problem["msg"].removeprefix("Value error, ")
    if kind == "value_error":
        return f"{field}: {message}; fix: change {field}"
    found = f"{field} is {problem.get('input')!r}"
    return f"{found}; expected {_expected(problem)}; fix: change {field}"


_PLAIN_EXPECTATIONS = {
    "list_type": "a list such as [a, b]",
    "dict_type": "a mapping of keys",
    "model_type": "a mapping of keys",
    "model_attributes_type": "a mapping of keys",
    "bool_parsing": "true or false",
    "bool_type": "true or false",
}


def _expected(problem: Any) -> str:
    """What pydantic wanted, phrased to follow 'expected'."""
    context = problem.get("ctx") or {}
    if problem["type"] == "too_short":
        return f"at least {context.get('min_length', 1)} item(s)"
    if problem["type"] == "string_pattern_mismatch":
        return "letters, digits, '.', '_' or '-', starting with a letter or digit"
    if problem["type"] in _PLAIN_EXPECTATIONS:
        return _PLAIN_EXPECTATIONS[problem["type"]]
    if problem["type"].startswith("datetime"):
        return "a date such as 2017-06-26 or 2017-06-26 12:00"
    wanted = problem["msg"].removeprefix("Input should be ")
    if problem["type"] == "literal_error":
        return wanted  # the allowed values, "'a', 'b' or 'c'"
    wanted = wanted.split(", ")[0]  # drop pydantic's explanation: "a valid integer, unable..."
    if wanted.startswith(("greater", "less")):
        return f"a value {wanted}"
    return wanted


def _known_keys(root: type[BaseModel], location: list[str]) -> list[str]:
    """The keys allowed at ``location``: those of every model that may sit there, such as
    each kind of split, whether the section is optional or not."""
    models = [root]
    for key in location:
        fields = [model.model_fields[key] for model in models if key in model.model_fields]
        inner = [model for field in fields for model in models_in(field.annotation)]
        models = list(dict.fromkeys(inner)) or models  # else a mapping's key: its values' models
    return list(dict.fromkeys(key for model in models for key in model.model_fields))
