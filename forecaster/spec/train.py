"""``train``: the optimiser, its learning-rate schedule, and how training runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from forecaster.spec.base import Strict

Loss = Literal["mse", "mae", "huber"]


class PlateauSchedule(Strict):
    """The learning rate times ``factor`` whenever the validation loss has not improved
    for half of ``train.patience`` epochs (down to a hundredth of the initial rate)."""

    kind: Literal["plateau"] = "plateau"
    factor: float = Field(0.5, gt=0, lt=1)


class ExponentialSchedule(Strict):
    """The initial rate for the first ``hold_epochs`` epochs, then times ``factor`` every
    epoch: epoch ``n`` (1-based) trains at ``rate * factor ** max(0, n - hold_epochs)``.
    SegRNN's ETTh1 schedule is ``hold_epochs: 4, factor: 0.8`` (its rate changes after an
    epoch, from the one after epoch 3 on)."""

    kind: Literal["exponential"]
    hold_epochs: int = Field(4, ge=0, le=100_000)
    factor: float = Field(0.8, gt=0, le=1)


LearningRateSchedule = Annotated[PlateauSchedule | ExponentialSchedule, Field(discriminator="kind")]
SCHEDULE_KINDS = ("plateau", "exponential")


class TrainSpec(Strict):
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
        if isinstance(value, dict) and value.get("kind", "plateau") not in SCHEDULE_KINDS:
            raise ValueError(
                f"kind {value.get('kind')!r} is not a schedule; use plateau, or exponential "
                "with hold_epochs and factor"
            )
        if isinstance(value, dict) and "kind" not in value:  # hold_epochs says exponential
            return {**value, "kind": "exponential" if "hold_epochs" in value else "plateau"}
        return value
