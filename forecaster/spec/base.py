"""What every spec section is built on: a frozen model that refuses unknown keys, so that
a typo never silently falls back to a default; and walks over the types of its fields."""

from __future__ import annotations

from typing import Any, get_args

from pydantic import BaseModel, ConfigDict, Tag


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def union_tags(annotation: Any) -> tuple[str, ...]:
    """The ``Tag`` names of a tagged union, in the order it lists its members."""
    if isinstance(annotation, Tag):
        return (annotation.tag,)
    return tuple(tag for arg in get_args(annotation) for tag in union_tags(arg))


def models_in(annotation: Any) -> list[type[BaseModel]]:
    """The models a field of this type may hold: the type itself, the members of a union
    (tagged, or with None), the items of a list or the values of a mapping."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found = [model for arg in get_args(annotation) for model in models_in(arg)]
    return list(dict.fromkeys(found))
