"""The YAML spec: validated once, here, into immutable typed objects.

Everything but ``data.path`` and ``data.targets`` has a default. Unknown keys are
rejected so that a typo never silently falls back to a default.
"""

from __future__ import annotations

import difflib
import warnings
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

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

if TYPE_CHECKING:  # calendar_features needs pandas: spec validation does not
    from forecaster.calendar_features import Calendar

Cell = Literal["lstm", "gru"]
Scaling = Literal["standard", "minmax", "robust", "mean_abs", "none"]
Normalization = Literal["instance", "last", "none"]
Decoder = Literal["dense", "segments"]
Loss = Literal["mse", "mae", "huber"]
TrainingRange = Literal["expanding", "sliding"]
CalendarFeature = Literal[
    "minute", "hour", "weekday", "day_of_month", "day_of_year", "week_of_year", "month"
]


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


def _check_holiday_country(country: str, subdiv: str | None) -> None:
    """Raise ``ValueError`` (for the spec's one-line message) unless ``holidays`` knows the
    country and subdivision."""
    import holidays

    try:
        holidays.country_holidays(country, subdiv=subdiv, years=2000)
    except NotImplementedError as error:
        raise ValueError(
            f"{error}; use an ISO 3166 country code (AU, US, DE, ...) and one of its "
            "subdivisions as listed by the holidays package"
        ) from None


class HolidaySpec(_Strict):
    """``data.holidays``: a flag for each public holiday of a country (and subdivision)."""

    country: str = Field(min_length=2, max_length=3)  # ISO 3166, e.g. AU
    subdiv: str | None = None  # e.g. VIC
    distances: bool = False  # also days to the next and since the last holiday

    @model_validator(mode="after")
    def _known_country(self) -> HolidaySpec:
        _check_holiday_country(self.country, self.subdiv)
        return self


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
    future_covariates: list[str] = []  # known through the horizon (weather forecasts, prices)
    calendar: list[CalendarFeature] = []  # generated from the timestamps, in local time
    holidays: HolidaySpec | None = None  # public holidays from the holidays package
    calendar_timezone: str | None = None  # local zone of calendar and holidays; None: the data's

    @field_validator("calendar_timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is None:
            return value
        from zoneinfo import ZoneInfo

        try:
            ZoneInfo(value)
        except (ValueError, KeyError, OSError):
            raise ValueError(
                f"{value!r} is not a time zone; use an IANA name such as Australia/Melbourne"
            ) from None
        return value

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
        columns = self.columns
        repeated = sorted({c for c in columns if columns.count(c) > 1})
        if repeated:
            raise ValueError(
                "columns listed twice in targets/covariates/future_covariates: "
                + ", ".join(repeated)
            )
        repeated_features = sorted({c for c in self.calendar if self.calendar.count(c) > 1})
        if repeated_features:
            raise ValueError(f"data.calendar lists {', '.join(repeated_features)} twice")
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
        """Model input columns read from the data: targets first, so target ``i`` is input
        feature ``i``, then past covariates, then future covariates."""
        return [*self.targets, *self.covariates, *self.future_covariates]

    @property
    def known_calendar(self) -> Calendar:
        """The calendar and holiday inputs to generate from the timestamps."""
        from forecaster.calendar_features import Calendar

        holidays = self.holidays
        return Calendar(
            features=list(self.calendar),
            holiday_country=holidays.country if holidays else None,
            holiday_subdiv=holidays.subdiv if holidays else None,
            holiday_distances=holidays.distances if holidays else False,
            timezone=self.calendar_timezone,
        )

    @property
    def has_known_inputs(self) -> bool:
        """Whether the model gets inputs over the horizon (future covariates, calendar)."""
        return bool(self.future_covariates) or bool(self.known_calendar)


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


class PlateauSchedule(_Strict):
    """The learning rate times ``factor`` whenever the validation loss has not improved
    for half of ``train.patience`` epochs (down to a hundredth of the initial rate)."""

    kind: Literal["plateau"] = "plateau"
    factor: float = Field(0.5, gt=0, lt=1)


class ExponentialSchedule(_Strict):
    """The initial rate for the first ``hold_epochs`` epochs, then times ``factor`` every
    epoch: epoch ``n`` (1-based) trains at ``rate * factor ** max(0, n - hold_epochs)``.
    SegRNN's ETTh1 schedule is ``hold_epochs: 4, factor: 0.8`` (its rate changes after an
    epoch, from the one after epoch 3 on)."""

    kind: Literal["exponential"]
    hold_epochs: int = Field(4, ge=0, le=100_000)
    factor: float = Field(0.8, gt=0, le=1)


LearningRateSchedule = Annotated[PlateauSchedule | ExponentialSchedule, Field(discriminator="kind")]


class TrainSpec(_Strict):
    epochs: int = Field(100, ge=1, le=100_000)
    batch_size: int = Field(64, ge=1, le=1_000_000)
    learning_rate: float = Field(1e-3, gt=0, le=10)
    lr_schedule: LearningRateSchedule = PlateauSchedule()
    loss: Loss = "mse"
    patience: int = Field(10, ge=1)
    seed: int = Field(42, ge=0, le=2**31 - 1)
    # long data: "windows" samples every window alike (long series weigh more); "equal"
    # gives every series the same total weight
    series_weights: Literal["windows", "equal"] = "windows"
    # TensorBoard: per-epoch scalars and the model under <tensorboard>/<run>/; None: off
    tensorboard: Path | None = None
    # tf.distribute: one device; MirroredStrategy over this machine's GPUs; or
    # MultiWorkerMirroredStrategy over the machines named in TF_CONFIG. batch_size is the
    # global batch, shared out among the replicas.
    distribute: Literal["none", "mirrored", "multi_worker"] = "none"
    # bit-for-bit repeatable kernels; false lets TensorFlow pick faster non-deterministic ones
    deterministic: bool = True
    # float16 compute with float32 weights, on a GPU (ignored on a CPU, where it is slower)
    mixed_precision: bool = False

    @field_validator("lr_schedule", mode="before")
    @classmethod
    def _known_schedule(cls, value: Any) -> Any:
        kinds = ("plateau", "exponential")
        if isinstance(value, dict) and value.get("kind", "plateau") not in kinds:
            raise ValueError(
                f"kind {value.get('kind')!r} is not a schedule; use plateau, or exponential "
                "with hold_epochs and factor"
            )
        if isinstance(value, dict) and "kind" not in value:  # hold_epochs says exponential
            return {**value, "kind": "exponential" if "hold_epochs" in value else "plateau"}
        return value


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
    # baseline: forecast each horizon step where naive or seasonal naive beat the model on
    # the validation windows with that baseline instead (the validation gate decides)
    fallback: Literal["none", "baseline"] = "none"


class SearchRange(_Strict):
    """A numeric range of a tuning space: integers when ``min``, ``max`` (and ``step``)
    are all integers, else floats; ``log`` samples evenly on a log scale."""

    min: int | float
    max: int | float
    log: bool = False
    step: int | float | None = None

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
    "train.loss": "another loss would make the trials' objectives incomparable",
    "train.seed": "seeds are the noise the top trials are rerun over (tune.seeds)",
    "train.tensorboard": "it is where logs go, not how the model is built",
    "intervals": "intervals are calibrated after training; they do not change the model",
    "evaluation": "it changes how the test period is scored, not the validation loss",
    "tune": "the search does not search itself",
}


class TuneSpec(_Strict):
    """``forecast tune``: which spec fields to search (dotted paths), how, and how the
    best trials are checked against seed noise."""

    tuner: Literal["random", "bayesian", "hyperband"] = "bayesian"
    max_trials: int = Field(20, ge=1, le=10_000)  # hyperband: its brackets decide instead
    # dotted spec path -> a list of choices, or a {min, max, log, step} range
    space: dict[str, SearchValues] = Field(min_length=1)
    top: int = Field(3, ge=1, le=100)  # the best trials rerun on other seeds
    seeds: int = Field(3, ge=2, le=100)  # seeds each of those (and the starting spec) runs on

    @field_validator("space")
    @classmethod
    def _known_fields(cls, space: dict[str, SearchValues]) -> dict[str, SearchValues]:
        known = _field_paths(Spec)
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


def _field_paths(model: type[BaseModel], prefix: str = "") -> list[str]:
    """Every dotted path of a spec field, sections and the fields inside them."""
    paths = []
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        paths.append(path)
        annotation = info.annotation
        candidates = [annotation, *getattr(annotation, "__args__", ())]
        for candidate in candidates:
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                paths += _field_paths(candidate, f"{path}.")
    return paths


class Spec(_Strict):
    name: str = Field("model", pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", max_length=100)
    data: DataSpec
    window: WindowSpec = WindowSpec()
    scaling: Scaling = "standard"
    model: ModelSpec = ModelSpec()
    train: TrainSpec = TrainSpec()
    evaluation: EvaluationSpec = EvaluationSpec()
    intervals: IntervalSpec | None = None
    tune: TuneSpec | None = None  # forecast tune: the search space

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
        if quantile and self.evaluation.fallback == "baseline":
            raise ValueError(
                "evaluation.fallback: baseline replaces point forecasts, which a quantile "
                "head's intervals would no longer surround; use intervals.method: conformal "
                "or fallback: none"
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
        if self.model.channel_independent and self.data.has_known_inputs:
            raise ValueError(
                "model.channel_independent forecasts each column from its own history only, "
                "so data.future_covariates, calendar and holidays would be ignored; remove "
                "them or set channel_independent: false"
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
        raw = self.model_dump(mode="json")
        if raw.get("tune") is None:
            raw.pop("tune", None)  # a spec that is not tuned reads as it did before tuning
        return yaml.safe_dump(raw, sort_keys=False)

    def with_overrides(self, source: str = "command line", **changes: Any) -> Spec:
        """A copy with dotted-path fields replaced, validated like the YAML was (problems
        are reported as coming from ``source``)."""
        raw = self.model_dump(mode="json")
        for dotted, value in changes.items():
            node = raw
            *parents, leaf = dotted.split(".")
            for key in parents:
                if node.get(key) is None:  # a section the spec left out, e.g. data.holidays
                    node[key] = {}
                node = node[key]
            node[leaf] = value
        return parse_spec(raw, source=source)


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
        schedules = list({**PlateauSchedule.model_fields, **ExponentialSchedule.model_fields})
        unions = {("data", "split"): splits, ("train", "lr_schedule"): schedules}
        problem = describe(error, Spec, unions)
        raise InputError(f"{source}: {problem}") from None
