"""What every spec section is built on: a frozen model that refuses unknown keys, so that
a typo never silently falls back to a default."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
