"""``model``: the network's architecture, one class per family of models, told apart by
the section's ``kind``.

Today's one family is ``kind: recurrent``, the LSTM/GRU network. Specs and bundles written
before there were kinds name none, and they still read as ``recurrent``: the union's
discriminator gives that kind to a section without one. Another family is a new class
with its own ``kind`` literal, added as one more tagged member of ``ModelSection``.
"""

from __future__ import annotations

import warnings
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Discriminator, Field, Tag, field_validator, model_validator

from forecaster.spec.base import Strict, union_tags

Cell = Literal["lstm", "gru"]
Normalization = Literal["instance", "last", "none"]
Decoder = Literal["dense", "segments"]


class RecurrentModelSpec(Strict):
    """A stack of LSTM or GRU layers, with options around it (normalisation, segments,
    channel independence) and a dense or segment-wise decoder."""

    kind: Literal["recurrent"] = Field(
        "recurrent",
        description="The family of model, whose keys follow: `recurrent` (stacked LSTM or "
        "GRU layers) is the one there is. A section without `kind` is `recurrent`.",
    )
    cell: Cell = Field("gru", description="The recurrent cell: `lstm` or `gru`.")
    units: list[int] = Field(
        default=[64],
        min_length=1,
        description="Units of each stacked recurrent layer, one entry per layer (1 to 8192 each).",
    )
    bidirectional: bool = Field(False, description="Read each window in both directions.")
    dropout: float = Field(0.0, ge=0, lt=1, description="Dropout after each recurrent layer.")
    recurrent_dropout: float = Field(
        0.0,
        ge=0,
        lt=1,
        description="Dropout inside the recurrence. Above 0 it leaves the cuDNN fast path "
        "(several times slower on a GPU; a warning says so).",
    )
    normalization: Normalization = Field(
        "instance",
        description="Per-window normalisation inside the model: `instance` standardises each "
        "window by its own mean and spread, `last` subtracts its last value, `none` leaves it.",
    )
    channel_independent: bool = Field(
        False,
        description="Every column runs through the shared recurrent weights as its own "
        "sequence; forecasts each column from its own history, so no covariates, static "
        "covariates or known-future inputs.",
    )
    segment_length: int | None = Field(
        None,
        ge=1,
        le=100_000,
        description="Cut the lookback into segments of this many rows, each embedded by a "
        "dense layer: the RNN runs `lookback / segment_length` steps. Must divide "
        "`window.lookback`. Unset: one RNN step per row.",
    )
    decoder: Decoder = Field(
        "dense",
        description="`dense`: one dense layer maps the final state to every horizon step; "
        "`segments`: segment-wise parallel decoding (needs `segment_length` and one "
        "unidirectional layer).",
    )
    id_embedding: bool = Field(
        False,
        description="Long data: learn one embedding per training series (a series never "
        "seen in training gets the unknown one).",
    )
    decoder_embedding_init: Literal["glorot", "normal"] = Field(
        "glorot",
        description="`decoder: segments`: how the decoder's position and column tables "
        "start: `glorot` (Keras' default, entries near 0) or `normal` (N(0, 1), as SegRNN "
        "draws them).",
    )

    @model_validator(mode="after")
    def _segment_decoder_needs_segments(self) -> RecurrentModelSpec:
        if self.decoder != "segments":
            if self.decoder_embedding_init != "glorot":
                raise ValueError(
                    "model.decoder_embedding_init sets the segment decoder's embeddings; "
                    "set decoder: segments or remove it"
                )
            return self
        if self.segment_length is None:
            raise ValueError(
                "decoder: segments needs model.segment_length (the output segment length); "
                "set it or use decoder: dense"
            )
        if len(self.units) != 1 or self.bidirectional:
            raise ValueError(
                "decoder: segments runs one unidirectional recurrent layer from its own state; "
                f"got units {self.units}, bidirectional {self.bidirectional}; "
                "use a single entry in model.units and bidirectional: false"
            )
        return self

    @field_validator("units")
    @classmethod
    def _positive_units(cls, units: list[int]) -> list[int]:
        if any(u < 1 or u > 8192 for u in units):
            raise ValueError(f"every entry must be between 1 and 8192, got {units}")
        return units

    @field_validator("recurrent_dropout")
    @classmethod
    def _warn_slow_path(cls, value: float) -> float:
        if value > 0:
            warnings.warn(
                "model.recurrent_dropout > 0 leaves the cuDNN fast path: GPU training will be "
                "several times slower; use model.dropout (between layers) to keep it",
                stacklevel=2,
            )
        return value


# the recurrent model under the name the model builder, the comparison and the tests know
ModelSpec = RecurrentModelSpec

# the family of a model section that names no kind: every spec written before kinds
DEFAULT_MODEL_KIND = "recurrent"


def _model_kind(value: Any) -> Any:
    """The kind a model section names (a mapping read from YAML, or a model object), or
    ``DEFAULT_MODEL_KIND`` when it names none."""
    if isinstance(value, dict):
        return value.get("kind", DEFAULT_MODEL_KIND)
    return getattr(value, "kind", DEFAULT_MODEL_KIND)


def _known_kind(value: Any) -> Any:
    """Refuse a kind no family has, in one line that lists those there are (the union
    itself would only say that no tag matched)."""
    kind = _model_kind(value)
    if not isinstance(kind, str) or kind not in MODEL_KINDS:
        raise ValueError(f"kind {kind!r} is not a model kind; use {' or '.join(MODEL_KINDS)}")
    return value


ModelSection = Annotated[
    Annotated[RecurrentModelSpec, Tag("recurrent")],  # | Annotated[<its class>, Tag(<kind>)]
    Discriminator(_model_kind),
    BeforeValidator(_known_kind),
]
MODEL_KINDS = union_tags(ModelSection)
