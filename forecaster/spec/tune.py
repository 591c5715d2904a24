"""``tune``: the search space of ``forecast tune``, and the fields it may not search."""

from __future__ import annotations

import difflib
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, Discriminator, Field, Tag, field_validator, model_validator

from forecaster.spec.base import Strict, models_in


class SearchRange(Strict):
    """A numeric range of a tuning space: integers when ``min``, ``max`` (and ``step``)
    are all integers, else floats; ``log`` samples evenly on a log scale."""

    min: int | float = Field(description="Lowest value.")
    max: int | float = Field(description="Highest value; above `min`.")
    log: bool = Field(False, description="Sample evenly on a log scale (needs `min` > 0).")
    step: int | float | None = Field(
        None, description="Spacing of the values tried. Unset: any value in the range."
    )

    @property
    def is_int(self) -> bool:
        return all(isinstance(v, int) for v in (self.min, self.max, self.step) if v is not None)

    @model_validator(mode="after")
    def _ordered(self) -> SearchRange:
        if not self.min < self.max:
            raise ValueError(f"a range needs min < max, got min {self.min}, max {self.max}")
        if self.log and self.min <= 0:
            raise ValueError(f"a log range needs min > 0, got {self.min}")
        return self


SearchValues = Annotated[
    Annotated[list[Any], Tag("choices")] | Annotated[SearchRange, Tag("range")],
    Discriminator(lambda value: "choices" if isinstance(value, list) else "range"),
]

# set by name on a spec, never searched: each would change what the validation loss
# measures (other rows, targets, scale or loss) or is the seed noise itself
UNSEARCHABLE = {
    "name": "it names the bundle, it does not change the model",
    "data.path": "other data would make the trials' validation losses incomparable",
    "data.targets": "other targets would make the trials' validation losses incomparable",
    "data.split": "another split would score the trials on other validation rows",
    "data.id_columns": "it decides what a series is, not how the model is built",
    "data.time_column": "it decides how the data is read, not how the model is built",
    "data.filter": "other rows would make the trials' validation losses incomparable",
    "window.horizon": "another horizon would make the trials' validation losses incomparable",
    "scaling": "another scale would make the trials' validation losses incomparable",
    "transform": "another transform would make the trials' validation losses incomparable",
    "deseasonalise": "another pattern removed would make the trials' losses incomparable",
    "train.loss": "another loss would make the trials' objectives incomparable",
    "train.seed": "seeds are the noise the top trials are rerun over (tune.seeds)",
    "train.tensorboard": "it is where logs go, not how the model is built",
    "intervals": "intervals are calibrated after training; they do not change the model",
    "evaluation": "it changes how the test period is scored, not the validation loss",
    "tune": "the search does not search itself",
    "model.kind": "a search explores one family of models, whose fields the others lack",
}


class TuneSpec(Strict):
    """``forecast tune``: which spec fields to search (dotted paths), how, and how the
    best trials are checked against seed noise."""

    tuner: Literal["random", "bayesian", "hyperband"] = Field(
        "bayesian", description="KerasTuner's oracle: `random`, `bayesian` or `hyperband`."
    )
    max_trials: int = Field(
        20,
        ge=1,
        le=10_000,
        description="Trials to run (skipped ones count); `hyperband` ignores it, its "
        "brackets decide.",
    )
    space: dict[str, SearchValues] = Field(
        min_length=1,
        description="Dotted spec path -> a list of choices, or a `{min, max, log, step}` "
        "range (integers when min, max and step are). Fields that change what the "
        "validation loss measures (data.path, targets, split, window.horizon, scaling, "
        "transform, deseasonalise, train.loss, train.seed, intervals, evaluation) are "
        "refused.",
    )
    top: int = Field(3, ge=1, le=100, description="The best trials trained again on other seeds.")
    seeds: int = Field(
        3,
        ge=2,
        le=100,
        description="Seeds each of the top trials and the starting spec is trained on "
        "(`train.seed`, +1, ...); the best is the lowest mean.",
    )

    # every field path of the whole spec, which the space is checked against: set where
    # Spec is defined, since Spec holds this section and so this module cannot import it
    spec_fields: ClassVar[tuple[str, ...]] = ()

    @field_validator("space")
    @classmethod
    def _known_fields(cls, space: dict[str, SearchValues]) -> dict[str, SearchValues]:
        known = list(cls.spec_fields)
        for key, values in space.items():
            refused = next(
                (why for field, why in UNSEARCHABLE.items() if f"{key}.".startswith(f"{field}.")),
                None,
            )
            if refused:
                raise ValueError(f"tune.space.{key} cannot be searched: {refused}")
            if key not in known:
                hint = difflib.get_close_matches(key, known, n=1)
                suggestion = f"; did you mean {hint[0]}?" if hint else ""
                raise ValueError(f"tune.space.{key} is not a spec field{suggestion}")
            if isinstance(values, list) and not values:
                raise ValueError(f"tune.space.{key} lists no choices")
        return space


def field_paths(model: type[BaseModel], prefix: str = "") -> list[str]:
    """Every dotted path of a spec field, sections and the fields inside them."""
    paths = []
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        paths.append(path)
        for section in models_in(info.annotation):
            paths += field_paths(section, f"{path}.")
    return list(dict.fromkeys(paths))  # a key two members of a union share is one path
