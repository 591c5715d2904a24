"""How training uses the machine: one device or a ``tf.distribute`` strategy over several
devices (``mirrored``) or machines (``multi_worker``), which worker writes the results,
op determinism, mixed precision, and which recurrent kernel a model's graph runs.

``train.batch_size`` is the global batch: with N replicas each computes on batch_size / N
windows of every step, and their gradients are averaged, so the updates are those of one
device on the whole batch (up to the order of float sums).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from forecaster.errors import ForecasterError
from forecaster.log import logger

if TYPE_CHECKING:
    import keras
    import tensorflow as tf

Distribute = Literal["none", "mirrored", "multi_worker"]
TF_CONFIG = "TF_CONFIG"


def distribution_strategy(kind: Distribute) -> tf.distribute.Strategy | None:
    """The strategy of ``train.distribute``; None for one device. It must be made before
    TensorFlow runs its first op: ``multi_worker`` starts this worker's server then."""
    if kind == "none":
        return None
    import tensorflow as tf

    if kind == "mirrored":
        return tf.distribute.MirroredStrategy()
    role = worker_role()
    if role is None:
        raise ForecasterError(
            f"train.distribute is multi_worker but {TF_CONFIG} is not set; expected the "
            "cluster and this worker's task as JSON, e.g. "
            '{"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
            '"task": {"type": "worker", "index": 0}}; fix: set it in each worker\'s '
            "environment, or use train.distribute: mirrored (one machine) or none"
        )
    return tf.distribute.MultiWorkerMirroredStrategy()


def worker_role() -> tuple[str, int] | None:
    """(task type, index) from ``TF_CONFIG``; None outside a cluster."""
    text = os.environ.get(TF_CONFIG, "").strip()
    if not text:
        return None
    try:
        task = json.loads(text)["task"]
        return str(task["type"]), int(task.get("index", 0))
    except (ValueError, KeyError, TypeError) as exc:
        raise ForecasterError(
            f"{TF_CONFIG} is not valid ({exc}); expected JSON with 'cluster' and 'task' "
            '(e.g. "task": {"type": "worker", "index": 0}); fix: correct the variable'
        ) from exc


def is_chief() -> bool:
    """Whether this process writes the bundle: outside a cluster, the ``chief`` task, or
    worker 0 of a cluster without one (as ``MultiWorkerMirroredStrategy`` decides)."""
    role = worker_role()
    if role is None:
        return True
    cluster = json.loads(os.environ[TF_CONFIG]).get("cluster", {})
    kind, index = role
    return kind == "chief" or (kind == "worker" and index == 0 and "chief" not in cluster)


def worker_folder(out_dir: Path) -> Path:
    """Where this worker writes: ``out_dir`` for the chief; for another worker a hidden
    sibling of its own, removed when it ends (every worker must save, because saving a
    distributed model takes part in collective operations)."""
    role = worker_role()
    if is_chief() or role is None:
        return out_dir
    return out_dir.parent / f".{out_dir.name}.{role[0]}-{role[1]}"


@contextmanager
def strategy_scope(strategy: tf.distribute.Strategy | None) -> Iterator[None]:
    if strategy is None:
        yield
        return
    with strategy.scope():
        yield


def shard_by_data(dataset: tf.data.Dataset) -> tf.data.Dataset:
    """Each worker takes its part of every batch (a dataset made from tensors has no
    files to share out, the default policy's first choice)."""
    import tensorflow as tf

    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.with_options(options)


def set_op_determinism(deterministic: bool) -> bool:
    """Deterministic kernels (``train.deterministic``), or TensorFlow's fastest ones.
    Returns whether determinism is on."""
    from tensorflow.python.framework import config

    try:
        if deterministic:
            config.enable_op_determinism()
        else:  # a process that trained deterministically before may train again
            config.disable_op_determinism()
    except Exception:  # an older TensorFlow without the switch
        return False
    return bool(config.is_op_determinism_enabled())


def precision_policy(mixed: bool, device: str) -> str:
    """The Keras dtype policy for ``train.mixed_precision``: float16 compute with float32
    weights on a GPU; on a CPU float16 is slower, not faster, so float32 is kept."""
    if not mixed:
        return "float32"
    if not device.startswith("GPU"):
        logger.warning(
            "train.mixed_precision is true but training runs on the CPU, where float16 "
            "is slower; training in float32"
        )
        return "float32"
    return "mixed_float16"


@contextmanager
def dtype_policy(name: str) -> Iterator[None]:
    """Layers built inside take this policy (and keep it in ``model.keras``); the global
    policy is restored after, so nothing built later inherits it."""
    import keras

    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def recurrent_kernel(model: keras.Model) -> dict[str, Any]:
    """Which kernel the model's recurrent layers run, read from the ops of its traced
    forward pass (not from the layer settings): ``cudnn`` when the graph holds the fused
    cuDNN op, ``generic`` when it steps the recurrence in a while loop."""
    import tensorflow as tf

    # one window for each input (history, and future when the model has known inputs)
    specs = [tf.TensorSpec([1, *x.shape[1:]], x.dtype) for x in model.inputs]

    @tf.function
    def forward(*inputs: tf.Tensor) -> Any:
        return model(list(inputs) if len(inputs) > 1 else inputs[0], training=False)

    graph = forward.get_concrete_function(*specs).graph
    op_types = {op.type for op in graph.get_operations()}
    for function in graph._functions.values():  # while-loop bodies and other nested graphs
        op_types |= {node.op for node in function.definition.node_def}
    cudnn = sorted(t for t in op_types if t.startswith("CudnnRNN"))
    if cudnn:
        kernel = "cudnn"
    elif "While" in op_types or "StatelessWhile" in op_types:
        kernel = "generic"
    else:
        kernel = "none"  # no recurrent layer
    return {"kernel": kernel, "ops": cudnn or sorted(op_types & {"While", "StatelessWhile"})}


def replica_count(strategy: tf.distribute.Strategy | None) -> int:
    return 1 if strategy is None else int(strategy.num_replicas_in_sync)


def is_multi_worker(strategy: tf.distribute.Strategy | None) -> bool:
    if strategy is None:
        return False
    import tensorflow as tf

    return isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)


def remove_worker_folder(folder: Path, out_dir: Path) -> None:
    """A non-chief worker's copy of the results: not needed once it has finished."""
    import shutil

    if folder != out_dir:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def fit_across_workers(
    model: keras.Model, strategy: Any, dataset: tf.data.Dataset
) -> Iterator[None]:
    """Lets ``model.fit`` run under ``MultiWorkerMirroredStrategy``: Keras 3.15 fails there
    in two places, and this works around both, for the duration of the fit.

    Keras builds the loss and optimizer state from a first batch averaged across the
    replicas, a reduction that fails on a worker's batch: they are built here in the
    strategy's scope from the first batch of ``dataset`` as it is, and that step is
    skipped. Keras averages each step's logs across workers along an axis that scalars
    do not have: they are averaged as scalars. The epoch's loss and val_loss, which early
    stopping and the learning-rate schedule read, are then the same on every worker.
    """
    if not is_multi_worker(strategy):
        yield
        return
    import keras
    from keras.src.backend.tensorflow import trainer as tensorflow_trainer

    with strategy.scope():
        model._symbolic_build(data_batch=next(iter(dataset)))
    reduce_per_replica = tensorflow_trainer.reduce_per_replica

    def reduce_scalars_too(values: Any, on: Any, reduction: str = "auto") -> Any:
        if reduction != "auto" or on is not strategy:
            return reduce_per_replica(values, on, reduction=reduction)
        return keras.tree.map_structure(lambda v: on.reduce("MEAN", v, axis=None), values)

    model._maybe_symbolic_build = lambda iterator=None, data_batch=None: None
    tensorflow_trainer.reduce_per_replica = reduce_scalars_too
    try:
        yield
    finally:
        tensorflow_trainer.reduce_per_replica = reduce_per_replica
        del model._maybe_symbolic_build
