"""The whole spec: its sections together, the rules that span sections, and reading it from
YAML (every problem one ``InputError`` line).

Everything but ``data.path`` and ``data.targets`` has a default. Unknown keys are
rejected so that a typo never silently falls back to a default.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, ValidationError, model_validator

from forecaster.errors import InputError
from forecaster.spec.base import Strict, union_tags
from forecaster.spec.data import DataSpec, Split
from forecaster.spec.errors import describe
from forecaster.spec.evaluation import EvaluationSpec
from forecaster.spec.intervals import IntervalSpec
from forecaster.spec.model import MODEL_KINDS, ModelSection, RecurrentModelSpec
from forecaster.spec.scaling import Deseasonalise, Scaling, TargetTransform
from forecaster.spec.train import MAX_ENSEMBLE_MEMBERS, SCHEDULE_KINDS, TrainSpec
from forecaster.spec.tune import SearchValues, TuneSpec, field_paths
from forecaster.spec.window import WindowSpec


class Spec(Strict):
    name: str = Field(
        "model",
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
        max_length=100,
        description="Names the bundle folder (`models/<name>/`) and the default output "
        "folders: letters, digits, `.`, `_` and `-`.",
    )
    data: DataSpec = Field(
        description="Where the series are, which columns mean what, and how the rows are "
        "split into training, validation and test periods."
    )
    window: WindowSpec = Field(
        WindowSpec(), description="How many steps the model reads and how many it forecasts."
    )
    scaling: Scaling = Field(
        "standard",
        description="Scaler of every column (per series for long data), fit on the training "
        "rows only: `standard`, `minmax`, `robust`, `mean_abs` (divide by the mean absolute "
        "value, as DeepAR) or `none`.",
    )
    transform: TargetTransform = Field(
        "none",
        description="A transform of every target (per series for long data) before "
        "`scaling`, fit on the training rows only and inverted on every forecast: `log`, "
        "`log1p` (log(1 + y), for series with zeros), `box_cox` (a Box-Cox lambda per "
        "series by maximum likelihood) or `none`. For positive series that grow or whose "
        "seasonal swing grows with their level; `log` and `box_cox` need positive "
        "targets, `log1p` nonnegative ones.",
    )
    deseasonalise: Deseasonalise = Field(
        "none",
        description="Remove each series' seasonal pattern from its targets (after "
        "`transform`, before `scaling`) and put it back on every forecast: "
        "`classical_multiplicative` (targets divided by a seasonal index per season "
        "position; positive targets) or `classical_additive` (an index subtracted), the "
        "indices from a classical decomposition of each series' training rows over "
        "`evaluation.season` (default: the frequency's season), or `none`. For series "
        "whose seasonal patterns differ; with a `transform`, use `classical_additive`.",
    )
    model: ModelSection = Field(
        RecurrentModelSpec(),
        description="The network: a stack of LSTM or GRU layers and the options around it.",
    )
    train: TrainSpec = Field(
        TrainSpec(),
        description="The optimiser, its learning-rate schedule, and how training runs.",
    )
    evaluation: EvaluationSpec = Field(
        EvaluationSpec(),
        description="How forecasts are scored: the baselines, their season, the backtest's "
        "folds and the validation gate's fallback.",
    )
    intervals: IntervalSpec | None = Field(
        None, description="Prediction intervals. Unset: point forecasts only."
    )
    tune: TuneSpec | None = Field(
        None, description="`forecast tune`: the search space. Unset: the spec is not tuned."
    )

    @model_validator(mode="after")
    def _model_fits_the_data(self) -> Spec:
        segment = self.model.segment_length
        if segment is not None and self.window.lookback % segment:
            raise ValueError(
                f"model.segment_length {segment} does not divide window.lookback "
                f"{self.window.lookback}; pick a divisor of the lookback"
            )
        self._ensemble_fits()
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
        if self.evaluation.combine and quantile:
            raise ValueError(
                "evaluation.combine replaces point forecasts, which a quantile head's "
                "intervals would no longer surround; use intervals.method: conformal or "
                "combine: []"
            )
        if self.evaluation.combine and self.evaluation.fallback == "baseline":
            raise ValueError(
                "evaluation.combine and evaluation.fallback: baseline both decide the "
                "forecast per horizon step; keep one: combine: [] or fallback: none"
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
        if self.model.channel_independent and self.window.lags:
            raise ValueError(
                "model.channel_independent reads each column alone, so window.lags (the "
                "targets' earlier values beside each row) would be mixed in; remove "
                "window.lags or set channel_independent: false"
            )
        if self.model.channel_independent and self.data.has_known_inputs:
            raise ValueError(
                "model.channel_independent forecasts each column from its own history only, "
                "so data.future_covariates, calendar and holidays would be ignored; remove "
                "them or set channel_independent: false"
            )
        if self.model.channel_independent and self.window.pad:
            raise ValueError(
                "window.pad adds an input column that marks padded rows, and "
                "model.channel_independent reads each column alone, so padded rows would "
                "look observed; set window.pad: false or channel_independent: false"
            )
        if self.model.channel_independent and self.data.covariates:
            raise ValueError(
                "model.channel_independent forecasts each column from its own history only, "
                "so data.covariates would be ignored; list them as data.targets or set "
                "channel_independent: false"
            )
        if self.transform != "none" and self.deseasonalise == "classical_multiplicative":
            raise ValueError(
                f"deseasonalise: classical_multiplicative with transform: {self.transform}: "
                "the transform already turns a multiplicative season into an additive one; "
                "use deseasonalise: classical_additive, or transform: none"
            )
        changed = [
            f"{name}: {value}"
            for name, value in (
                ("transform", self.transform),
                ("deseasonalise", self.deseasonalise),
            )
            if value != "none"
        ]
        if changed and self.train.loss == "smape":
            raise ValueError(
                f"train.loss: smape reads each window on the original scale, which "
                f"{changed[-1]} changes; use train.loss: mae (or mase), or "
                f"{changed[-1].split(':')[0]}: none"
            )
        return self

    def _ensemble_fits(self) -> None:
        ensemble = self.train.ensemble
        if ensemble is None:
            return
        size = ensemble.size(self.window.lookback, self.train.loss)
        if size > MAX_ENSEMBLE_MEMBERS:
            raise ValueError(
                f"train.ensemble has {size} members (seeds x lookbacks x losses), more than "
                f"{MAX_ENSEMBLE_MEMBERS}; use fewer seeds, lookbacks or losses"
            )
        if self.train.refit:
            raise ValueError(
                "train.refit trains one network again on every row, and train.ensemble is "
                "several; remove train.refit, or train.ensemble"
            )
        if self.train.distribute == "multi_worker":
            raise ValueError(
                "train.ensemble trains its members one after another, but a multi_worker "
                "cluster is set up once per process; set train.distribute: none or mirrored"
            )
        quantile = self.intervals is not None and self.intervals.method == "quantile"
        if quantile and ensemble.losses is not None:
            raise ValueError(
                "train.ensemble.losses: a quantile head (intervals.method: quantile) trains "
                "on the pinball loss whatever the loss; remove losses, or use method: conformal"
            )
        segment = self.model.segment_length
        for lookback in ensemble.lookbacks or ():
            if lookback > self.window.lookback:
                raise ValueError(
                    f"train.ensemble.lookbacks entry {lookback} is longer than window.lookback "
                    f"{self.window.lookback}, the history the ensemble reads; set "
                    "window.lookback to the longest of them"
                )
            if segment is not None and lookback % segment:
                raise ValueError(
                    f"model.segment_length {segment} does not divide train.ensemble.lookbacks "
                    f"entry {lookback}; use multiples of the segment length"
                )

    def to_yaml(self) -> str:
        """The spec with every default filled in, in a form ``load_spec`` reads back."""
        raw = self.model_dump(mode="json")
        if raw.get("tune") is None:
            raw.pop("tune", None)  # a spec that is not tuned reads as it did before tuning
        return dump_yaml(raw)

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


TuneSpec.spec_fields = tuple(field_paths(Spec))

# the names of union members in a validation error's location: not keys a user writes
UNION_TAGS = (*union_tags(Split), *union_tags(SearchValues), *SCHEDULE_KINDS, *MODEL_KINDS)


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
    except AliasError as error:
        raise InputError(
            f"{path}: {error}: YAML anchors and aliases are not supported in a spec; "
            "fix: write the values out in full where the alias stands"
        ) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise InputError(f"{path}: YAML syntax error{where}: {problem}; fix the YAML") from None
    return parse_spec(raw, source=str(path))


class DuplicateKeyError(yaml.YAMLError):
    """A mapping that names the same key twice: YAML would silently keep the last one."""


class AliasError(yaml.YAMLError):
    """An anchor (``&name``) or an alias (``*name``): a few aliases of aliases expand a
    kilobyte of YAML into billions of values ("billion laughs"), so a spec has none."""


class _UniqueKeyLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses repeated keys instead of keeping the last, and
    anchors and aliases before any of them is expanded."""

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        event = self.peek_event()
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            sign = "*" if isinstance(event, yaml.AliasEvent) else "&"
            what = "alias" if sign == "*" else "anchor"
            line = event.start_mark.line + 1 if event.start_mark else "?"
            raise AliasError(f"{what} {sign}{anchor} at line {line}")
        return super().compose_node(parent, index)

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


class _PlainDumper(yaml.SafeDumper):
    """``yaml.SafeDumper`` that writes a value seen twice out twice: no ``&id001`` anchors,
    which ``load_spec`` refuses."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def dump_yaml(data: Any) -> str:
    """YAML as forecaster writes it (specs, the spec in reports): in the order given,
    with no anchors or aliases."""
    return yaml.dump(data, Dumper=_PlainDumper, sort_keys=False)


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
        problem = describe(error, Spec, UNION_TAGS)
        raise InputError(f"{source}: {problem}") from None
