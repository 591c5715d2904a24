"""``model``: the network's architecture."""

from __future__ import annotations

import warnings
from typing import Literal

from pydantic import Field, field_validator, model_validator

from forecaster.spec.base import Strict

Cell = Literal["lstm", "gru"]
Normalization = Literal["instance", "last", "none"]
Decoder = Literal["dense", "segments"]


class ModelSpec(Strict):
    cell: Cell = "gru"
    units: list[int] = Field(default=[64], min_length=1)
    bidirectional: bool = False
    dropout: float = Field(0.0, ge=0, lt=1)
    recurrent_dropout: float = Field(0.0, ge=0, lt=1)
    normalization: Normalization = "instance"
    channel_independent: bool = False
    segment_length: int | None = Field(None, ge=1, le=100_000)
    decoder: Decoder = "dense"
    id_embedding: bool = False  # long data: learn an embedding of each training series
    # decoder: segments: how the position (and channel) tables start; "normal" draws them
    # from N(0, 1) as SegRNN does, "glorot" keeps them small (Keras' default)
    decoder_embedding_init: Literal["glorot", "normal"] = "glorot"

    @model_validator(mode="after")
    def _segment_decoder_needs_segments(self) -> ModelSpec:
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
