"""The spec as a JSON Schema, for editors that check a YAML spec as it is typed
(``# yaml-language-server: $schema=...``) and for the documentation's reference.

It is pydantic's schema of ``Spec`` (every section refuses unknown keys, so the schema says
``additionalProperties: false``), with two corrections where pydantic's output would
refuse a spec that ``load_spec`` reads: dates may be written without a time or seconds,
and a learning-rate schedule may leave out ``kind``. ``forecast schema`` prints it;
``docs/spec.schema.json`` is that output, checked by the tests.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from forecaster.spec.loading import Spec

DRAFT = "https://json-schema.org/draft/2020-12/schema"

# what pydantic reads as a datetime in a spec: a date, optionally a time (to minutes,
# seconds or fractions) and a zone; "date-time" would demand seconds and a zone
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}(:?\d{2})?)?$"


class _SpecSchema(GenerateJsonSchema):
    def datetime_schema(self, schema: core_schema.DatetimeSchema) -> JsonSchemaValue:
        return {"type": "string", "pattern": DATE_PATTERN}


def spec_schema() -> dict[str, Any]:
    """The JSON Schema of a spec file."""
    schema = Spec.model_json_schema(schema_generator=_SpecSchema)
    definitions = schema["$defs"]
    # a schedule without kind is exponential when it names hold_epochs, else plateau (see
    # TrainSpec._known_schedule): kind is not the discriminator the schema would claim
    definitions["TrainSpec"]["properties"]["lr_schedule"].pop("discriminator", None)
    exponential = definitions["ExponentialSchedule"]
    exponential["required"].remove("kind")
    exponential["anyOf"] = [{"required": ["kind"]}, {"required": ["hold_epochs"]}]
    return {
        "$schema": DRAFT,
        "title": "forecaster spec",
        "description": "A YAML spec of forecaster: the data, the window, the model, its "
        "training and evaluation. Every section refuses unknown keys.",
        **{key: value for key, value in schema.items() if key not in ("title", "description")},
    }


def schema_text() -> str:
    """The schema as ``forecast schema`` prints it, and ``docs/spec.schema.json`` holds it."""
    return json.dumps(spec_schema(), indent=2, ensure_ascii=False) + "\n"
