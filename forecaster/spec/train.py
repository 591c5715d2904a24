"""``train``: the optimiser, its learning-rate schedule, and how training runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from forecaster.spec.base import Strict

Loss = Literal["mse", "mae", "huber", "mase", "smape"]
# losses Keras does not ship: a bundle's model.keras is saved uncompiled, so that plain
# keras.models.load_model needs no forecaster code
SCALE_FREE_LOSSES = ("mase", "smape")
MAX_ENSEMBLE_MEMBERS = 50  # each member is a full training run, one after another


class PlateauSchedule(Strict):
    """The learning rate times ``factor`` whenever the validation loss has not improved
    for half of ``train.patience`` epochs (down to a hundredth of the initial rate)."""

    kind: Literal["plateau"] = Field(
        "plateau", description="`plateau`, the default schedule; may be left out."
    )
    factor: float = Field(
        0.5,
        gt=0,
        lt=1,
        description="The rate is multiplied by this after half of `train.patience` epochs "
        "without validation improvement.",
    )


class ExponentialSchedule(Strict):
    """The initial rate for the first ``hold_epochs`` epochs, then times ``factor`` every
    epoch: epoch ``n`` (1-based) trains at ``rate * factor ** max(0, n - hold_epochs)``.
    SegRNN's ETTh1 schedule is ``hold_epochs: 4, factor: 0.8`` (its rate changes after an
    epoch, from the one after epoch 3 on)."""

    kind: Literal["exponential"] = Field(
        description="`exponential` (may be left out when `hold_epochs` is given)."
    )
    hold_epochs: int = Field(
        4, ge=0, le=100_000, description="Epochs trained at the starting rate."
    )
    factor: float = Field(
        0.8, gt=0, le=1, description="The rate is multiplied by this every epoch after those."
    )


class EnsembleSpec(Strict):
    """Several models trained one after another and combined point by point: one per
    seed, lookback and loss (their cross product), as N-BEATS and ES-RNN did."""

    seeds: int = Field(
        1,
        ge=1,
        le=MAX_ENSEMBLE_MEMBERS,
        description="Seeds per lookback and loss: `train.seed`, `train.seed + 1`, ...",
    )
    lookbacks: list[Annotated[int, Field(ge=1, le=100_000)]] | None = Field(
        None,
        min_length=1,
        description="Each member's window.lookback; unset: `window.lookback` alone. The "
        "longest sets the shortest usable series and the history `predict` needs.",
    )
    losses: list[Loss] | None = Field(
        None,
        min_length=1,
        description="Each member's training loss; unset: `train.loss` alone.",
    )
    combine: Literal["median", "mean"] = Field(
        "median",
        description="How the members' forecasts become one, point by point on the original "
        "scale: `median` (robust to one bad member) or `mean`.",
    )

    @field_validator("lookbacks", "losses")
    @classmethod
    def _distinct(cls, value: list[Any] | None) -> list[Any] | None:
        if value is not None and len(set(value)) != len(value):
            raise ValueError(f"{value} lists a value twice; list each once")
        return value

    def size(self, lookback: int, loss: str) -> int:
        """The member count, ``lookback`` and ``loss`` standing in for lists left unset."""
        return self.seeds * len(self.lookbacks or [lookback]) * len(self.losses or [loss])


LearningRateSchedule = Annotated[PlateauSchedule | ExponentialSchedule, Field(discriminator="kind")]
SCHEDULE_KINDS = ("plateau", "exponential")


class TrainSpec(Strict):
    epochs: int = Field(
        100,
        ge=1,
        le=100_000,
        description="Most epochs to train; early stopping usually ends sooner.",
    )
    batch_size: int = Field(
        64,
        ge=1,
        le=1_000_000,
        description="Windows per training step; with `distribute`, the global batch shared "
        "out among the replicas.",
    )
    learning_rate: float = Field(1e-3, gt=0, le=10, description="Adam's starting rate.")
    lr_schedule: LearningRateSchedule = Field(
        PlateauSchedule(),
        description="How the rate changes: `{kind: plateau, factor: 0.5}` lowers it after "
        "`patience / 2` epochs without validation improvement (down to 1/100 of the start); "
        "`{kind: exponential, hold_epochs: 4, factor: 0.8}` holds it, then multiplies it "
        "every epoch: epoch n trains at `rate * factor ** max(0, n - hold_epochs)`. "
        "`--resume` continues either exactly.",
    )
    loss: Loss = Field(
        "mse",
        description="The training loss: `mse`, `mae` or `huber` on the scaled targets, or "
        "the M-competitions' scale-free scores: `mase` (each window's absolute error over "
        "its series' in-sample seasonal-naive MAE) or `smape` (on the original scale, "
        "0-200). A quantile head (`intervals.quantiles`) trains on the pinball loss instead.",
    )
    patience: int = Field(
        10,
        ge=1,
        description="Epochs without validation improvement before training stops (the best "
        "weights are restored).",
    )
    seed: int = Field(
        42,
        ge=0,
        le=2**31 - 1,
        description="Seeds Python, NumPy, TensorFlow and the window shuffle.",
    )
    series_weights: Literal["windows", "equal"] = Field(
        "windows",
        description="Long data: `windows` weighs every training window alike (long series "
        "count more); `equal` gives every series the same total weight.",
    )
    tensorboard: Path | None = Field(
        None,
        description="A folder: TensorBoard logs of every run in a subfolder "
        "`<name>-<UTC time>` (per-epoch scalars and the model). Unset: off.",
    )
    distribute: Literal["none", "mirrored", "multi_worker"] = Field(
        "none",
        description="tf.distribute: `none`, one device; `mirrored`, every GPU of this "
        "machine; `multi_worker`, every machine named in TF_CONFIG.",
    )
    deterministic: bool = Field(
        True,
        description="TensorFlow's op determinism: the same spec, data, seed and machine "
        "give the same bits. false lets it pick faster kernels whose float sums may vary.",
    )
    refit: bool = Field(
        False,
        description="After training (early stopped on validation) and the test scores, "
        "train the model again from scratch with the same seed on every row, validation "
        "and test included, for the epoch count validation chose, with the scalers fit on "
        "every row; the bundle forecasts with that model. metrics.json and the report keep "
        "the validated model's scores; intervals keep its calibrated widths and the "
        "validation gate its choices. `forecast backtest` ignores it.",
    )
    mixed_precision: bool = Field(
        False,
        description="Compute in float16 with float32 weights on a GPU; ignored on a CPU, "
        "where it is slower.",
    )

    ensemble: EnsembleSpec | None = Field(
        None,
        description="Train several members (seeds x lookbacks x losses, at most "
        f"{MAX_ENSEMBLE_MEMBERS}) and forecast their per-point median or mean, e.g. "
        "`{seeds: 3}` or `{lookbacks: [24, 36], losses: [mae, smape]}`. Each member costs a "
        "training run. Unset: one model.",
    )

    @field_validator("lr_schedule", mode="before")
    @classmethod
    def _known_schedule(cls, value: Any) -> Any:
        if isinstance(value, dict) and value.get("kind", "plateau") not in SCHEDULE_KINDS:
            raise ValueError(
                f"kind {value.get('kind')!r} is not a schedule; use plateau, or exponential "
                "with hold_epochs and factor"
            )
        if isinstance(value, dict) and "kind" not in value:  # hold_epochs says exponential
            return {**value, "kind": "exponential" if "hold_epochs" in value else "plateau"}
        return value
