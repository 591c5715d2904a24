"""forecast compare: same-everything variants, exact parameter counts, fair order, verdict."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

import forecaster
from forecaster.cli import app
from forecaster.evaluation.comparison import (
    Variant,
    count_params,
    matched_gru_units,
    plan_variants,
    run_order,
)
from forecaster.spec import load_spec
from tests.conftest import synthetic_frame, write_spec

runner = CliRunner()


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], str]:
    """One tiny comparison through the CLI: 3 variants x 2 seeds, 1 epoch each."""
    folder = tmp_path_factory.mktemp("compare")
    csv = folder / "series.csv"
    synthetic_frame(300).to_csv(csv, index=False)
    spec = write_spec(folder / "tiny.yaml", csv, model={"units": [6]})
    out = folder / "out"
    arguments = ["compare", str(spec), "--seeds", "2", "--epochs", "1", "--params-matched"]
    result = runner.invoke(app, [*arguments, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out, json.loads((out / "results.json").read_text()), result.output


def test_compare_writes_bundles_results_and_a_self_contained_report(
    compared: tuple[Path, dict[str, Any], str],
) -> None:
    out, results, output = compared
    assert "used rows" not in output  # timing the forecast repeats no note
    assert list(results["variants"]) == ["lstm", "gru", "gru-matched"]
    assert results["seeds"] == [7, 8]
    for name, variant in results["variants"].items():
        assert [run["bundle"] for run in variant["runs"]] == [f"{name}/seed-7", f"{name}/seed-8"]
        for key in ("seconds_per_epoch", "epochs", "train_seconds", "latency_ms"):
            assert set(variant[key]) >= {"mean", "std"} and variant[key]["mean"] > 0
        assert variant["epochs"]["mean"] == 1
        for metric in ("mae", "rmse", "mape", "smape", "mase", "long_horizon_mae"):
            assert set(variant["test"][metric]) >= {"mean", "std"}
        assert len(variant["test"]["per_step_mae"]["mean"]) == 6
    assert set(results["baselines"]) == {"naive", "seasonal_naive"}
    assert len(results["baselines"]["naive"]["per_step_mae"]) == 6
    assert results["environment"]["device"] == "CPU"
    assert "cpu_cores" in results["environment"]
    assert {"intra_op_threads", "inter_op_threads"} <= set(results["environment"]["determinism"])
    assert results["verdict"].count(".") >= 2 and "LSTM" in results["verdict"]
    assert "verdict: " + results["verdict"] in output

    page = (out / "report.html").read_text()
    assert results["verdict"].split(" (")[0] in page and "http" not in page
    embedded = [base64.b64decode(s) for s in re.findall(r"base64,([^\"]+)", page)]
    written = [(out / f"{name}.png").read_bytes() for name in _FIGURES]
    assert embedded == written and all(png.startswith(b"\x89PNG") for png in written)
    assert not [path for path in out.parent.iterdir() if path.name.startswith(".")]


_FIGURES = ("error_by_step", "training_curves", "seconds_per_epoch", "parameters")


def test_reported_params_are_the_saved_models_and_only_the_cell_differs(
    compared: tuple[Path, dict[str, Any], str],
) -> None:
    out, results, _ = compared
    shared_specs = []
    for variant in results["variants"].values():
        for run in variant["runs"]:
            bundle = forecaster.load(str(out / run["bundle"]))
            assert bundle.model.count_params() == variant["params"] == run["params"]
            spec = yaml.safe_load((out / run["bundle"] / "spec.yaml").read_text())
            assert spec["train"]["seed"] == run["seed"]
            assert spec["model"].pop("cell") == variant["cell"]
            assert spec["model"].pop("units") == variant["units"]
            del spec["name"], spec["train"]["seed"]
            shared_specs.append(spec)
    assert all(spec == shared_specs[0] for spec in shared_specs)

    lstm, gru, matched = (results["variants"][n]["params"] for n in ("lstm", "gru", "gru-matched"))
    assert gru < lstm and abs(matched - lstm) < abs(gru - lstm)
    assert results["variants"]["gru-matched"]["units"] == [7]


def test_variants_alternate_in_order_across_seeds(
    compared: tuple[Path, dict[str, Any], str],
) -> None:
    _, results, _ = compared
    assert results["order"] == [
        ["lstm", 7],
        ["gru", 7],
        ["gru-matched", 7],
        ["gru", 8],
        ["gru-matched", 8],
        ["lstm", 8],
    ]


def test_run_order_rotates_so_each_variant_leads_as_often() -> None:
    assert run_order(["lstm", "gru"], [1, 2, 3, 4]) == [
        (1, "lstm"),
        (1, "gru"),
        (2, "gru"),
        (2, "lstm"),
        (3, "lstm"),
        (3, "gru"),
        (4, "gru"),
        (4, "lstm"),
    ]
    three = run_order(["a", "b", "c"], [1, 2, 3])
    firsts = [three[k][1] for k in (0, 3, 6)]
    assert sorted(firsts) == ["a", "b", "c"]


@pytest.mark.parametrize(("units", "bidirectional"), [([8], False), ([16, 8], False), ([8], True)])
def test_matched_gru_has_the_closest_parameter_count(
    tmp_path: Path, series_csv: Path, units: list[int], bidirectional: bool
) -> None:
    spec = load_spec(
        write_spec(
            tmp_path / "s.yaml", series_csv, model={"units": units, "bidirectional": bidirectional}
        )
    )
    lstm = Variant("lstm", "lstm", bidirectional, tuple(units))
    target = count_params(spec, spec.model.model_copy(update={"cell": "lstm"}))
    chosen = matched_gru_units(spec, lstm)
    assert chosen[0] > units[0] and len(chosen) == len(units)

    def gru_params(first: int) -> int:
        widths = [max(1, round(u * first / units[0])) for u in units]
        return count_params(spec, spec.model.model_copy(update={"cell": "gru", "units": widths}))

    best = abs(gru_params(chosen[0]) - target)
    assert best <= abs(gru_params(chosen[0] - 1) - target)
    assert best <= abs(gru_params(chosen[0] + 1) - target)


def test_variant_plan_follows_the_bidirectional_choice(tmp_path: Path, series_csv: Path) -> None:
    spec = load_spec(write_spec(tmp_path / "s.yaml", series_csv, model={"bidirectional": True}))
    assert [v.name for v in plan_variants(spec)] == ["bilstm", "bigru"]
    assert [v.name for v in plan_variants(spec, "no")] == ["lstm", "gru"]
    names = [v.name for v in plan_variants(spec, "both", params_matched=True)]
    assert names == ["lstm", "gru", "gru-matched", "bilstm", "bigru", "bigru-matched"]


def test_bad_requests_stop_before_training(tmp_path: Path, spec_file: Path) -> None:
    one_seed = runner.invoke(app, ["compare", str(spec_file), "--seeds", "1"])
    assert one_seed.exit_code == 2 and "--seeds" in one_seed.output

    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep")
    taken = runner.invoke(app, ["compare", str(spec_file), "--out", str(precious)])
    assert taken.exit_code == 2 and "not a comparison folder" in taken.output
    assert [p.name for p in precious.iterdir()] == ["notes.txt"]
