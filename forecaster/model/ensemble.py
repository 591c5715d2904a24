"""Ensembles (``train.ensemble``): members trained one after another, one per seed,
lookback and loss, and combined point by point into one Keras model.

Every member is fit by ``training.fit`` on the same series, periods and scalers (those a
single model with ``window.lookback`` would have), so one preprocessing serves them all.
The combined model reads ``window.lookback`` rows, the longest lookback; each member
sees the last rows of its own lookback (a ``Cropping1D``), and the members' outputs,
still scaled, are combined by the median (a sorting network of ``Minimum`` and
``Maximum`` layers) or the mean (``Average``). Each series is scaled by one centre and
one positive spread, so the median or mean of scaled outputs, unscaled, is the median
or mean of the members' forecasts on the original scale. Only Keras' own layers are used:
``keras.models.load_model`` reads the combined model, like each member, without
forecaster's code.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import keras
import pandas as pd

from forecaster.data.panel import Panel
from forecaster.log import logger
from forecaster.model.periods import SeriesPeriods
from forecaster.model.preparation import prepare
from forecaster.model.training import FitResult, fit
from forecaster.spec import Spec

if TYPE_CHECKING:
    from forecaster.model.checkpoint import Checkpoint


@dataclass(frozen=True)
class Member:
    """One member of an ensemble: what sets it apart from the others."""

    index: int  # 0-based, the order members train in and are saved (members/00, ...)
    seed: int
    lookback: int
    loss: str

    @property
    def label(self) -> str:
        return f"seed {self.seed}, lookback {self.lookback}, loss {self.loss}"

    def to_dict(self) -> dict[str, Any]:
        return {"seed": self.seed, "lookback": self.lookback, "loss": self.loss}


def members_of(spec: Spec) -> list[Member]:
    """The cross product seeds x lookbacks x losses, seeds outermost: member 0 is the
    spec's own seed, first lookback and first loss."""
    ensemble = spec.train.ensemble
    assert ensemble is not None
    seeds = [spec.train.seed + k for k in range(ensemble.seeds)]
    lookbacks = ensemble.lookbacks or [spec.window.lookback]
    losses = ensemble.losses or [spec.train.loss]
    combos = itertools.product(seeds, lookbacks, losses)
    return [Member(k, seed, lookback, loss) for k, (seed, lookback, loss) in enumerate(combos)]


def member_spec(spec: Spec, member: Member) -> Spec:
    """The spec one member trains with: a single model (no ``train.ensemble``)."""
    train = spec.train.model_copy(
        update={"seed": member.seed, "loss": member.loss, "ensemble": None}
    )
    window = spec.window.model_copy(update={"lookback": member.lookback})
    return spec.model_copy(update={"train": train, "window": window})


def single_spec(spec: Spec) -> Spec:
    """The spec without its ensemble: what the shared series, periods and scalers follow."""
    return spec.model_copy(update={"train": spec.train.model_copy(update={"ensemble": None})})


def fit_ensemble(
    spec: Spec,
    panel: Panel,
    *,
    quiet: bool = False,
    force_cpu: bool = False,
    periods: SeriesPeriods | None = None,
    checkpoint_of: Callable[[Member, Spec], Checkpoint | None] = lambda member, spec: None,
) -> FitResult:
    """Fit every member of ``spec.train.ensemble`` in turn and return the combined model,
    as ``fit`` returns one model (``FitResult.members`` holds the members' own fits).

    ``checkpoint_of`` gives each member its checkpoint (prepared by the caller), which
    ``fit`` resumes from: a member that had finished is loaded, not trained again."""
    ensemble = spec.train.ensemble
    assert ensemble is not None
    shared = prepare(single_spec(spec), panel, periods)  # the series and periods all use
    members = members_of(spec)
    fits = []
    for member in members:
        own = member_spec(spec, member)
        logger.info(f"ensemble member {member.index + 1} of {len(members)}: {member.label}")
        fits.append(
            fit(
                own,
                shared.panel,
                quiet=quiet,
                force_cpu=force_cpu,
                periods=shared.series_periods,
                checkpoint=checkpoint_of(member, own),
            )
        )
    pairs = list(zip(members, fits, strict=True))
    models = [plain_copy(fitted.model, member_name(member.index)) for member, fitted in pairs]
    first = fits[0]
    started = time.perf_counter()
    lookbacks = [m.lookback for m in members]
    model = ensemble_model(models, lookbacks, spec.window.lookback, ensemble.combine)
    histories = [f.history.assign(member=m.index) for m, f in pairs]
    history = pd.concat(histories, ignore_index=True)
    history = history[["member", *first.history.columns]]
    resumed = [f.resumed_at_epoch for f in fits if f.resumed_at_epoch is not None]
    return FitResult(
        model,
        shared.preprocessing,  # the same scalers every member was fit with
        shared.periods,
        history,
        first.device,
        first.determinism | {"seed": [m.seed for m in members]},
        sum(f.train_seconds for f in fits) + time.perf_counter() - started,
        best_epoch=first.best_epoch,
        panel=shared.panel,
        series_periods=shared.series_periods,
        resumed_at_epoch=resumed[0] if resumed else None,
        left_out=shared.left_out,
        execution=first.execution,
        members=fits,
    )


def member_name(index: int) -> str:
    """A member's name inside the combined model, where ``member_model`` finds it."""
    return f"member_{index:02d}"


def member_model(ensemble: keras.Model, index: int) -> keras.Model:
    """Member ``index`` of a combined model: a plain Keras model of its own, uncompiled."""
    return ensemble.get_layer(member_name(index))


def plain_copy(model: keras.Model, name: str) -> keras.Model:
    """An uncompiled copy with the same weights, renamed: a member trained on a loss Keras
    does not ship (mase, smape) must load with plain Keras, and members nested in one
    model need distinct names."""
    config = model.get_config()
    config["name"] = name
    copy = keras.Model.from_config(config)
    copy.set_weights(model.get_weights())
    return copy


def ensemble_model(
    members: Sequence[keras.Model], lookbacks: Sequence[int], longest: int, combine: str
) -> keras.Model:
    """One model whose output is the members' per-point median (or mean): it reads
    ``longest`` rows (``window.lookback``), each member the last rows of its own
    lookback."""
    first = members[0]
    columns = first.inputs[0].shape[-1]
    history = keras.Input(shape=(longest, columns), name="history")
    inputs = [history]
    if len(first.inputs) > 1:  # known future inputs over the horizon, the same for all
        inputs.append(keras.Input(shape=tuple(first.inputs[1].shape[1:]), name="future"))
    outputs = []
    for k, (member, lookback) in enumerate(zip(members, lookbacks, strict=True)):
        own = history
        if lookback < longest:  # [B, longest, C] -> [B, lookback, C]: the most recent rows
            own = keras.layers.Cropping1D((longest - lookback, 0), name=f"lookback_{k:02d}")(
                history
            )
        outputs.append(member([own, *inputs[1:]] if len(inputs) > 1 else own))
    combined = median_of(outputs) if combine == "median" else mean_of(outputs)
    return keras.Model(inputs if len(inputs) > 1 else history, combined, name="ensemble")


def mean_of(outputs: list[Any]) -> Any:
    return outputs[0] if len(outputs) == 1 else keras.layers.Average(name="mean")(outputs)


def median_of(outputs: list[Any]) -> Any:
    """The element-wise median of ``outputs`` (tensors of one shape): sorted by Batcher's
    odd-even merge network of ``Minimum``/``Maximum`` pairs, then the middle one (the mean
    of the middle two for an even count). Exact: no arithmetic but that last mean."""
    values = list(outputs)
    for low, high in sorting_pairs(len(values)):
        pair = [values[low], values[high]]
        values[low] = keras.layers.Minimum()(pair)
        values[high] = keras.layers.Maximum()(pair)
    middle = len(values) // 2
    if len(values) % 2:
        return values[middle]
    return keras.layers.Average(name="median")([values[middle - 1], values[middle]])


def sorting_pairs(count: int) -> list[tuple[int, int]]:
    """Batcher's odd-even merge sort as compare-exchange pairs ``(low, high)`` for
    ``count`` values: the network for the next power of two, less the pairs that reach
    past ``count`` (those positions stand for +infinity, which never moves)."""
    size = 1
    while size < count:
        size *= 2
    pairs = []
    p = 1
    while p < size:
        k = p
        while k >= 1:
            for j in range(k % p, size - k, 2 * k):
                for i in range(min(k, size - j - k)):
                    if (i + j) // (2 * p) == (i + j + k) // (2 * p) and i + j + k < count:
                        pairs.append((i + j, i + j + k))
            k //= 2
        p *= 2
    return pairs
