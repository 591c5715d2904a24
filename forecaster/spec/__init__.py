"""The YAML spec, validated once into immutable typed objects. This package owns reading a
spec file, checking it (every problem worded as one ``InputError`` line, see ``errors``)
and the frozen objects the rest of forecaster reads: one module per section of the spec
(``data``, ``window``, ``scaling``, ``model``, ``train``, ``evaluation``, ``intervals``,
``tune``), and ``loading`` for the whole ``Spec``, the rules that span sections and
``load_spec``. It sits below every other module (the first row of the README's table of
places): of forecaster it imports only ``forecaster.errors``; besides that pydantic, yaml
and, inside validators, the low-level libraries that settle a value (pandas' offset
aliases, ``zoneinfo``, ``holidays``); never a module that reads the spec, such as
``calendar_features`` (which builds its ``Calendar`` from a ``DataSpec`` itself). The
names below are the package's public face, so ``from forecaster.spec import Spec`` reads
the same whichever module holds a class.
"""

from forecaster.spec.data import (
    CalendarFeature,
    DataSpec,
    DateSplit,
    FractionSplit,
    HolidaySpec,
    Split,
    StepSplit,
)
from forecaster.spec.errors import describe
from forecaster.spec.evaluation import EvaluationSpec, TrainingRange
from forecaster.spec.intervals import IntervalSpec, quantile_pair, windows_needed
from forecaster.spec.loading import (
    AliasError,
    DuplicateKeyError,
    Spec,
    dump_yaml,
    load_spec,
    parse_spec,
)
from forecaster.spec.model import (
    DEFAULT_MODEL_KIND,
    MODEL_KINDS,
    Cell,
    Decoder,
    ModelSection,
    ModelSpec,
    Normalization,
    RecurrentModelSpec,
)
from forecaster.spec.scaling import Deseasonalise, Scaling, TargetTransform
from forecaster.spec.train import (
    MAX_ENSEMBLE_MEMBERS,
    SCALE_FREE_LOSSES,
    EnsembleSpec,
    ExponentialSchedule,
    LearningRateSchedule,
    Loss,
    PlateauSchedule,
    TrainSpec,
)
from forecaster.spec.tune import UNSEARCHABLE, SearchRange, SearchValues, TuneSpec
from forecaster.spec.window import WindowSpec

__all__ = [
    "DEFAULT_MODEL_KIND",
    "MAX_ENSEMBLE_MEMBERS",
    "MODEL_KINDS",
    "SCALE_FREE_LOSSES",
    "UNSEARCHABLE",
    "AliasError",
    "CalendarFeature",
    "Cell",
    "DataSpec",
    "DateSplit",
    "Decoder",
    "Deseasonalise",
    "DuplicateKeyError",
    "EnsembleSpec",
    "EvaluationSpec",
    "ExponentialSchedule",
    "FractionSplit",
    "HolidaySpec",
    "IntervalSpec",
    "LearningRateSchedule",
    "Loss",
    "ModelSection",
    "ModelSpec",
    "Normalization",
    "PlateauSchedule",
    "RecurrentModelSpec",
    "Scaling",
    "SearchRange",
    "SearchValues",
    "Spec",
    "Split",
    "StepSplit",
    "TargetTransform",
    "TrainSpec",
    "TrainingRange",
    "TuneSpec",
    "WindowSpec",
    "describe",
    "dump_yaml",
    "load_spec",
    "parse_spec",
    "quantile_pair",
    "windows_needed",
]
