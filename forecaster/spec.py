"""The YAML spec: validated once, here, into immutable typed objects.

Everything but ``data.path`` and ``data.targets`` has a default. Unknown keys are
rejected so that a typo never silently falls back to a default.
"""

from __future__ import annotations

import warnings
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

from forecaster.errors import InputError
from forecaster.spec_errors import describe

Cell = Literal["lstm", "gru"]
Scaling = Literal["standard", "minmax", "robust", "mean_abs", "none"]
Normalization = Literal["instance", "last", "none"]
Decoder = Literal["dense", "segments"]
Loss = Literal["mse", "mae", "huber"]
TrainingRange = Literal["expanding", "sliding"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FractionSplit(_Strict):
    """The last ``test`` share of rows is the test period, the ``val`` share before it
    validation."""

    val: float = Field(0.2, gt=0, lt=1)
    test: float = Field(0.2, gt=0, lt=1)

    @model_validator(mode="after")
    def _leaves_training_rows(self) -> FractionSplit:
        if self.val + self.test >= 1:
            raise ValueError(
                f"val + test must be below 1 to leave training rows, got {self.val} + {self.test}"
            )
        return self


class DateSplit(_Strict):
    """Training is everything before ``val_start``; ``end`` (exclusive) trims the series."""

    val_start: datetime
    test_start: datetime
    end: datetime | None = None

    @model_validator(mode="after")
    def _ordered(self) -> DateSplit:
        dates = [d for d in (self.val_start, self.test_start, self.end) if d is not None]
        if len({d.tzinfo is None for d in dates}) > 1:
            raise ValueError(
                "val_start, test_start and end must all carry a zone (Z, +01:00) or none"
            )
        if not self.val_start < self.test_start:
            raise ValueError("val_start must come before test_start")
        if self.end is not None and not self.test_start < self.end:
            raise ValueError("test_start must come before end")
        return self


class StepSplit(_Strict):
    """The last ``test_steps`` steps of every series are its test period, the
    ``val_steps`` before them its validation period (the usual split of many series of
    different lengths)."""

    val_steps: int = Field(ge=1, le=10_000_000)
    test_steps: int = Field(ge=1, le=10_000_000)


def _split_kind(value: Any) -> str:
    keys = set(value.keys() if isinstance(value, dict) else vars(value))
    if {"val_start", "test_start", "end"} & keys:
        return "dates"
    return "steps" if {"val_steps", "test_steps"} & keys else "fractions"


Split = Annotated[
    Annotated[FractionSplit, Tag("fractions")]
    | Annotated[DateSplit, Tag("dates")]
    | Annotated[StepSplit, Tag("steps")],
    Discriminator(_split_kind),
]


class DataSpec(_Strict):
    path: Path
    time_column: str | None = None
    targets: list[str] = Field(min_length=1)
    covariates: list[str] = []
    missing: Literal["error", "ffill", "interpolate"] = "error"
    split: Split = FractionSplit()
    frequency: str | None = None  # a pandas offset alias or "step"; None: inferred
    max_gap: int | None = Field(None, ge=1)  # most steps in a row ffill/interpolate may fill
    time_format: str | None = None  # strftime format of the time column, e.g. "%d/%m/%Y"
    dayfirst: bool | None = None  # settles 01/02/2020 when no day is above 12
    filter: dict[str, str | int | float] = {}  # keep rows whose column holds the value
    id_columns: list[str] = []  # long data: the columns that name a series
    static_covariates: list[str] = []  # constant per series: categories or numbers

    @field_validator("frequency")
    @classmethod
    def _known_frequency(cls, value: str | None) -> str | None:
        if value is None or value == "step":
            return value
        from pandas.tseries.frequencies import to_offset

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # deprecated aliases ("H") still name a step
                return to_offset(value).freqstr
        except (ValueError, TypeError):
            raise ValueError(
                f"{value!r} is not a pandas frequency; use an offset alias such as h, 15min, D, "
                "B, W-SUN, MS, QE or YS, or step for an integer time column"
            ) from None

    @field_validator("time_format")
    @classmethod
    def _strftime_format(cls, value: str | None) -> str | None:
        if value is not None and "%" not in value:
            raise ValueError(f"{value!r} has no % field; use strftime codes such as %d/%m/%Y")
        return value

    @model_validator(mode="after")
    def _distinct_columns(self) -> DataSpec:
        columns = [*self.targets, *self.covariates]
        repeated = sorted({c for c in columns if columns.count(c) > 1})
        if repeated:
            raise ValueError(f"columns listed twice in targets/covariates: {', '.join(repeated)}")
        shared = sorted(set(self.id_columns) & set(columns))
        if shared:
            raise ValueError(
                f"{', '.join(shared)} names a series (data.id_columns), so it cannot be a "
                "target or covariate too"
            )
        if self.static_covariates and not self.id_columns:
            raise ValueError(
                "data.static_covariates describe each series of long data; set data.id_columns "
                "to the columns that name a series, or remove static_covariates"
            )
        repeated = sorted({c for c in self.static_covariates if c in columns})
        if repeated:
            raise ValueError(
                f"{', '.join(repeated)} is listed in static_covariates and in targets/covariates"
            )
        filtered = sorted(set(self.filter) & set(columns))
        if filtered:
            raise ValueError(
                f"{', '.join(filtered)} selects rows (data.filter), so it cannot be an input too"
            )
        if self.frequency == "step" and isinstance(self.split, DateSplit):
            raise ValueError(
                "a step index (frequency: step) has no dates; split it by fractions, "
                "e.g. split: {val: 0.2, test: 0.2}"
            )
        return self

    @property
    def columns(self) -> list[str]:
        """Model input columns: targets first, so target ``i`` is input feature ``i``."""
        return [*self.targets, *self.covariates]


class WindowSpec(_Strict):
    lookback: int = Field(96, ge=1, le=100_000)
    horizon: int = Field(24, ge=1, le=100_000)


class ModelSpec(_Strict):
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

    @model_validator(mode="after")
    def _segment_decoder_needs_segments(self) -> ModelSpec:
        if self.decoder != "segments":
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


class TrainSpec(_Strict):
    epochs: int = Field(100, ge=1, le=100_000)
    batch_size: int = Field(64, ge=1, le=1_000_000)
    learning_rate: float = Field(1e-3, gt=0, le=10)
    loss: Loss = "mse"
    patience: int = Field(10, ge=1)
    seed: int = Field(42, ge=0, le=2**31 - 1)
    # long data: "windows" samples every window alike (long series weigh more); "equal"
    # gives every series the same total weight
    series_weights: Literal["windows", "equal"] = "windows"
    # tf.distribute: one device; MirroredStrategy over this machine's GPUs; or
    # MultiWorkerMirroredStrategy over the machines named in TF_CONFIG. batch_size is the
    # global batch, shared out among the replicas.
    distribute: Literal["none", "mirrored", "multi_worker"] = "none"
    # bit-for-bit repeatable kernels; false lets TensorFlow pick faster non-deterministic ones
    deterministic: bool = True
    # float16 compute with float32 weights, on a GPU (ignored on a CPU, where it is slower)
    mixed_precision: bool = False


def quantile_pair(level: int) -> tuple[float, float]:
    """The lower and upper quantile of a central ``level`` percent range: 80 -> (0.1, 0.9).
    Rounded, so that every place that looks a quantile up finds the same number."""
    tail = round((100 - level) / 200, 6)
    return tail, round(1 - tail, 6)


class IntervalSpec(_Strict):
    """Prediction intervals at these levels (percent): split conformal prediction on the
    validation windows, or a quantile head trained on the pinball loss (conformalised on
    validation unless ``conformalize`` is false)."""

    levels: list[int] = Field(default=[80, 95], min_length=1)
    method: Literal["conformal", "quantile"] = "conformal"
    conformalize: bool = True  # quantile: widen or narrow the head's range on validation
    # rolling: each test window is calibrated on the latest windows whose errors are known
    # by its origin (validation first, then earlier test windows); validation: on those alone
    calibration: Literal["rolling", "validation"] = "rolling"
    # rolling: how many recent windows calibrate; None: as many as validation has
    calibration_windows: int | None = Field(None, ge=10, le=10_000_000)

    @property
    def quantiles(self) -> list[float]:
        """The head's quantiles: both ends of every level's range, and the median."""
        if self.method != "quantile":
            return []
        return sorted({0.5, *(q for level in self.levels for q in quantile_pair(level))})

    @field_validator("levels")
    @classmethod
    def _percentages(cls, levels: list[int]) -> list[int]:
        if any(level < 1 or level > 99 for level in levels):
            raise ValueError(f"levels are percentages between 1 and 99, got {levels}")
        if len(set(levels)) != len(levels):
            raise ValueError(f"a level is listed twice: {levels}")
        return sorted(levels)


class EvaluationSpec(_Strict):
    """How forecasts are scored: the baselines' season and the backtest's folds."""

    season: int | None = Field(None, ge=1, le=100_000)  # None: from the data's frequency
    folds: int = Field(5, ge=1, le=1000)
    window: TrainingRange = "expanding"
    # scored beside the model besides naive and seasonal naive (statsforecast, per series)
    baselines: list[Literal["auto_ets", "theta"]] = []


class Spec(_Strict):
    name: str = Field("model", pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", max_length=100)
    data: DataSpec
    window: WindowSpec = WindowSpec()
    scaling: Scaling = "standard"
    model: ModelSpec = ModelSpec()
    train: TrainSpec = TrainSpec()
    evaluation: EvaluationSpec = EvaluationSpec()
    intervals: IntervalSpec | None = None

    @model_validator(mode="after")
    def _model_fits_the_data(self) -> Spec:
        segment = self.model.segment_length
        if segment is not None and self.window.lookback % segment:
            raise ValueError(
                f"model.segment_length {segment} does not divide window.lookback "
                f"{self.window.lookback}; pick a divisor of the lookback"
            )
        quantile = self.intervals is not None and self.intervals.method == "quantile"
        if quantile and (self.model.decoder != "dense" or self.model.channel_independent):
            raise ValueError(
                "intervals.method: quantile puts a quantile head on the dense decoder; set "
                "model.decoder: dense and channel_independent: false, or method: conformal"
            )
        if self.model.id_embedding and not self.data.id_columns:
            raise ValueError(
                "model.id_embedding learns one vector per series of long data; set "
                "data.id_columns, or id_embedding: false"
            )
        if self.model.channel_independent and (
            self.data.static_covariates or self.model.id_embedding
        ):
            raise ValueError(
                "model.channel_independent reads each column alone, so data.static_covariates "
                "would be ignored; remove them or set channel_independent: false"
            )
        if self.model.channel_independent and self.data.covariates:
            raise ValueError(
                "model.channel_independent forecasts each column from its own history only, "
                "so data.covariates would be ignored; list them as data.targets or set "
                "channel_independent: false"
            )
        return self

    def to_yaml(self) -> str:
        """The spec with every default filled in, in a form ``load_spec`` reads back."""
        return yaml.safe_dump(self.model_dump(mode="json"), sort_keys=False)

    def with_overrides(self, **changes: Any) -> Spec:
        """A copy with dotted-path fields replaced, validated like the YAML was."""
        raw = self.model_dump(mode="json")
        for dotted, value in changes.items():
            node = raw
            *parents, leaf = dotted.split(".")
            for key in parents:
                node = node[key]
            node[leaf] = value
        return parse_spec(raw, source="command line")


def load_spec(path: str | Path) -> Spec:
    """Read and validate a spec file; every problem becomes one ``InputError`` line."""
    path = Path(path)
    if not path.is_file():
        what = "is a folder" if path.is_dir() else "does not exist"
        raise InputError(
            f"{path}: spec file {what}; expected a YAML file such as models/etth1-gru.yaml"
        )
    try:
        raw = yaml.load(path.read_text(encoding="utf-8-sig"), Loader=_UniqueKeyLoader)
    except UnicodeDecodeError:
        raise InputError(f"{path}: is not a text file; expected a YAML spec") from None
    except DuplicateKeyError as error:
        raise InputError(f"{path}: {error}; fix: keep one of them") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise InputError(f"{path}: YAML syntax error{where}: {problem}; fix the YAML") from None
    return parse_spec(raw, source=str(path))


class DuplicateKeyError(yaml.YAMLError):
    """A mapping that names the same key twice: YAML would silently keep the last one."""


class _UniqueKeyLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses repeated keys instead of keeping the last."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        first_line: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            line = key_node.start_mark.line + 1
            try:
                if key in first_line:
                    raise DuplicateKeyError(
                        f"key {key!r} appears twice (lines {first_line[key]} and {line})"
                    )
                first_line[key] = line
            except TypeError:  # an unhashable key: the base class reports it
                break
        return super().construct_mapping(node, deep=deep)


def parse_spec(raw: Any, source: str = "spec") -> Spec:
    if raw is None:
        raise InputError(
            f"{source}: the spec is empty; expected at least data.path and data.targets"
        )
    if not isinstance(raw, dict):
        raise InputError(
            f"{source}: expected a mapping of keys (name, data, window, ...), "
            f"got {type(raw).__name__}"
        )
    try:
        return Spec.model_validate(raw)
    except ValidationError as error:
        splits = [*FractionSplit.model_fields, *DateSplit.model_fields, *StepSplit.model_fields]
        problem = describe(error, Spec, {("data", "split"): splits})
        raise InputError(f"{source}: {problem}") from None
