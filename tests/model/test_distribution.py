"""Distribution over devices and workers, determinism, precision and the recurrent kernel."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

from forecaster.errors import ForecasterError
from forecaster.model.distribution import (
    TF_CONFIG,
    distribution_strategy,
    is_chief,
    precision_policy,
    worker_folder,
    worker_role,
)
from forecaster.spec import parse_spec
from tests.conftest import CHILD_TIMEOUT, synthetic_panel, write_panel_spec

ROOT = Path(__file__).resolve().parents[2]


def _config(index: int, workers: int = 2, chief: bool = False) -> str:
    cluster: dict = {"worker": [f"127.0.0.1:{2000 + k}" for k in range(workers)]}
    if chief:
        cluster["chief"] = ["127.0.0.1:1999"]
    return json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})


def test_worker_zero_is_the_chief_and_the_others_write_beside_the_bundle(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(TF_CONFIG, raising=False)
    assert worker_role() is None and is_chief() and worker_folder(tmp_path / "b") == tmp_path / "b"
    monkeypatch.setenv(TF_CONFIG, _config(0))
    assert worker_role() == ("worker", 0) and is_chief()
    monkeypatch.setenv(TF_CONFIG, _config(1))
    assert not is_chief()
    assert worker_folder(tmp_path / "b") == tmp_path / ".b.worker-1"
    monkeypatch.setenv(TF_CONFIG, _config(0, chief=True))  # a cluster with a chief task
    assert not is_chief()


def test_a_broken_or_missing_tf_config_is_one_line_naming_the_fix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(TF_CONFIG, "{not json")
    with pytest.raises(ForecasterError, match="TF_CONFIG is not valid") as broken:
        worker_role()
    assert "\n" not in str(broken.value)
    monkeypatch.delenv(TF_CONFIG)
    with pytest.raises(ForecasterError, match="TF_CONFIG is not set.*fix: set it"):
        distribution_strategy("multi_worker")


def test_the_train_section_takes_distribution_determinism_and_precision() -> None:
    base = {"name": "t", "data": {"path": "x.csv", "targets": ["y"]}}
    base |= {"window": {"lookback": 4, "horizon": 2}}
    spec = parse_spec(base, source="t")
    assert (spec.train.distribute, spec.train.deterministic, spec.train.mixed_precision) == (
        "none",
        True,
        False,
    )
    spec = parse_spec(base | {"train": {"distribute": "multi_worker"}}, source="t")
    assert spec.train.distribute == "multi_worker"
    with pytest.raises(ForecasterError, match="distribute"):
        parse_spec(base | {"train": {"distribute": "horovod"}}, source="t")


def test_mixed_precision_is_kept_off_on_a_cpu() -> None:
    assert precision_policy(True, "GPU (H100)") == "mixed_float16"
    assert precision_policy(True, "CPU") == "float32"
    assert precision_policy(False, "GPU (H100)") == "float32"


def test_the_manifest_records_how_training_ran_and_its_kernel(tmp_path: Path) -> None:
    from forecaster.commands.train import train

    path = tmp_path / "long.csv"
    synthetic_panel((50, 40)).to_csv(path, index=False)
    spec_path = write_panel_spec(
        tmp_path / "s.yaml",
        path,
        data={"calendar": ["weekday"]},  # a second model input, kept by the plain copy
        train={"epochs": 1, "distribute": "mirrored"},
    )
    from forecaster.spec import load_spec

    result = train(load_spec(spec_path), tmp_path / "bundle", quiet=True, force_cpu=True)
    manifest = json.loads((result.bundle / "manifest.json").read_text())
    execution = manifest["execution"]
    assert execution["distribute"] == "mirrored" and execution["replicas"] == 1
    assert execution["global_batch_size"] == 16 and execution["precision"] == "float32"
    # on a CPU the GRU steps through a while loop: the fused cuDNN op needs a GPU
    assert execution["recurrent_kernel"] == {"kernel": "generic", "ops": ["While"]}
    assert manifest["determinism"]["op_determinism"] is True
    import keras

    saved = keras.models.load_model(result.bundle / "model.keras", safe_mode=True)
    assert [tensor.name for tensor in saved.inputs] == ["history", "future"]


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


_TRAIN = (
    "import sys; from forecaster.cli import main; sys.argv = ['forecast', *sys.argv[1:]]; main()"
)


def test_two_workers_train_one_bundle_that_forecasts_like_one_process(tmp_path: Path) -> None:
    """Two local processes on the CPU, talking over loopback, train the bundle a single
    process would: the same forecasts up to the order of float sums."""
    import forecaster
    from forecaster.bundle.forecasting import Forecaster
    from forecaster.model.preparation import load_data
    from forecaster.model.training import fit

    data = tmp_path / "long.csv"
    synthetic_panel((60, 50)).to_csv(data, index=False)
    train_section = {"epochs": 1, "batch_size": 16, "distribute": "multi_worker"}
    cluster_spec = write_panel_spec(tmp_path / "cluster.yaml", data, train=train_section)
    ports = _free_ports(2)
    workers = [f"127.0.0.1:{port}" for port in ports]
    processes = []
    for index in range(2):
        config = {"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}}
        log = (tmp_path / f"worker-{index}.log").open("w")
        env = {**os.environ, TF_CONFIG: json.dumps(config), "TF_CPP_MIN_LOG_LEVEL": "3"}
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
        command = [sys.executable, "-c", _TRAIN, "train", str(cluster_spec), "--quiet", "--cpu"]
        command += ["--out", str(tmp_path / "bundle")]
        processes.append(
            subprocess.Popen(command, cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
        )
    deadline = time.monotonic() + CHILD_TIMEOUT
    while any(p.poll() is None for p in processes) and time.monotonic() < deadline:
        time.sleep(0.5)
    for p in processes:
        if p.poll() is None:
            p.kill()
    logs = "\n".join((tmp_path / f"worker-{i}.log").read_text()[-3000:] for i in range(2))
    assert [p.wait() for p in processes] == [0, 0], logs

    # the chief wrote the bundle; the other worker's copy is gone
    assert (tmp_path / "bundle" / "model.keras").exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    manifest = json.loads((tmp_path / "bundle" / "manifest.json").read_text())
    assert manifest["execution"]["replicas"] == 2
    assert manifest["execution"]["worker"] == ["worker", 0]

    # the same spec in this one process, on one device (no bundle needed to forecast)
    alone = yaml.safe_load(cluster_spec.read_text())
    alone["train"]["distribute"] = "none"
    spec = parse_spec(alone, source="alone")
    fitted = fit(spec, load_data(spec), quiet=True, force_cpu=True)
    alone_forecast = Forecaster(fitted.model, spec, fitted.preprocessing).predict_csv(data)
    cluster_forecast = forecaster.load(tmp_path / "bundle").predict_csv(data)
    assert len(cluster_forecast) == 2 * 7
    np.testing.assert_allclose(
        cluster_forecast["sales"].to_numpy(), alone_forecast["sales"].to_numpy(), rtol=1e-4
    )
