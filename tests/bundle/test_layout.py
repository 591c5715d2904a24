from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import forecaster
from forecaster.bundle.layout import load_bundle
from forecaster.cli import app
from forecaster.errors import BundleError, InputError
from forecaster.storage.folders import MANIFEST_FILE
from forecaster.storage.staging import write_sealed_folder
from tests.conftest import kill_when_paused, start_paused_cli, write_spec


def _writer(text: str, fail: bool = False):
    def write(folder: Path) -> None:
        (folder / "a.txt").write_text(text)
        if fail:
            raise RuntimeError("disk full")

    return write


def test_a_failed_write_leaves_the_previous_bundle_untouched(tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    write_sealed_folder(out, _writer("first"), {"seed": 1})
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with pytest.raises(RuntimeError):
        write_sealed_folder(out, _writer("second", fail=True), {"seed": 2})
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["bundle"]  # no staging folder left


def test_a_successful_write_replaces_every_file(tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    write_sealed_folder(out, _writer("first"), {})
    write_sealed_folder(out, _writer("second"), {})
    assert (out / "a.txt").read_text() == "second"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundle"]


def test_refuses_to_replace_a_folder_that_is_not_a_bundle(tmp_path: Path) -> None:
    out = tmp_path / "precious"
    out.mkdir()
    (out / "thesis.tex").write_text("years of work")
    with pytest.raises(InputError, match="not a forecaster bundle"):
        write_sealed_folder(out, _writer("x"), {})
    assert (out / "thesis.tex").read_text() == "years of work"


def test_load_refuses_missing_and_incomplete_bundles(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match="does not exist"):
        load_bundle(tmp_path / "nowhere")
    write_sealed_folder(tmp_path / "b", _writer("x"), {})
    with pytest.raises(BundleError, match="missing model.keras"):
        load_bundle(tmp_path / "b")


def test_manifest_checksums_catch_a_changed_file(tmp_path: Path) -> None:
    from forecaster.storage.files import read_json
    from forecaster.storage.staging import verify_sealed

    out = write_sealed_folder(tmp_path / "b", _writer("original"), {})
    manifest = read_json(out / MANIFEST_FILE)
    verify_sealed(out, manifest)
    (out / "a.txt").write_text("tampered")
    with pytest.raises(BundleError, match="a.txt does not match its checksum"):
        verify_sealed(out, manifest)


def test_staging_folders_of_dead_processes_are_removed_and_live_ones_kept(
    tmp_path: Path,
) -> None:
    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    finished.wait()
    dead = tmp_path / f".bundle.partial-{finished.pid}-0a1b2c3d"
    live = tmp_path / f".bundle.partial-{os.getpid()}-4e5f6a7b"
    other_bundle = tmp_path / f".other.partial-{finished.pid}-0a1b2c3d"
    for folder in (dead, live, other_bundle):
        folder.mkdir()
        (folder / "model.keras").write_bytes(b"half written")
    write_sealed_folder(tmp_path / "bundle", _writer("x"), {})
    assert not dead.exists()
    assert live.exists() and other_bundle.exists()


def test_a_run_killed_while_saving_leaves_the_old_bundle_byte_for_byte(
    tmp_path: Path, series_csv: Path
) -> None:
    spec = write_spec(tmp_path / "tiny.yaml", series_csv, train={"epochs": 1, "seed": 1})
    out = tmp_path / "bundle"
    args = ["train", str(spec), "--out", str(out), "--quiet"]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    before = {
        str(path.relative_to(out)): path.read_bytes() for path in out.rglob("*") if path.is_file()
    }

    child, paused = start_paused_cli([*args, "--seed", "2"], tmp_path, "save")
    kill_when_paused(child, paused)
    assert {
        str(path.relative_to(out)): path.read_bytes() for path in out.rglob("*") if path.is_file()
    } == before
    assert forecaster.load(str(out)).manifest["seed"] == 1
    # killed with model.keras written and the manifest not yet
    (staging,) = tmp_path.glob(".bundle.partial-*")
    assert (staging / "model.keras").is_file() and not (staging / MANIFEST_FILE).exists()

    # the next run is not disturbed by the leftover, and removes it; training had finished,
    # so resuming only saves
    again = CliRunner().invoke(app, [*args, "--seed", "2", "--resume"])
    assert again.exit_code == 0, again.output
    assert "training had finished" in again.stderr
    assert [path.name for path in tmp_path.iterdir() if path.name.startswith(".")] == []
    assert forecaster.load(str(out)).manifest["seed"] == 2
