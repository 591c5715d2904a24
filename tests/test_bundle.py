from __future__ import annotations

from pathlib import Path

import pytest

from forecaster.bundle import MANIFEST_FILE, load_bundle, write_folder_atomically
from forecaster.errors import BundleError, InputError


def _writer(text: str, fail: bool = False):
    def write(folder: Path) -> None:
        (folder / "a.txt").write_text(text)
        if fail:
            raise RuntimeError("disk full")

    return write


def test_a_failed_write_leaves_the_previous_bundle_untouched(tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    write_folder_atomically(out, _writer("first"), {"seed": 1})
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with pytest.raises(RuntimeError):
        write_folder_atomically(out, _writer("second", fail=True), {"seed": 2})
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["bundle"]  # no staging folder left


def test_a_successful_write_replaces_every_file(tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    write_folder_atomically(out, _writer("first"), {})
    write_folder_atomically(out, _writer("second"), {})
    assert (out / "a.txt").read_text() == "second"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundle"]


def test_refuses_to_replace_a_folder_that_is_not_a_bundle(tmp_path: Path) -> None:
    out = tmp_path / "precious"
    out.mkdir()
    (out / "thesis.tex").write_text("years of work")
    with pytest.raises(InputError, match="not a forecaster bundle"):
        write_folder_atomically(out, _writer("x"), {})
    assert (out / "thesis.tex").read_text() == "years of work"


def test_load_refuses_missing_and_incomplete_bundles(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match="does not exist"):
        load_bundle(tmp_path / "nowhere")
    write_folder_atomically(tmp_path / "b", _writer("x"), {})
    with pytest.raises(BundleError, match="missing model.keras"):
        load_bundle(tmp_path / "b")


def test_manifest_checksums_catch_a_changed_file(tmp_path: Path) -> None:
    from forecaster.bundle import read_json, verify_bundle

    out = write_folder_atomically(tmp_path / "b", _writer("original"), {})
    manifest = read_json(out / MANIFEST_FILE)
    verify_bundle(out, manifest)
    (out / "a.txt").write_text("tampered")
    with pytest.raises(BundleError, match="a.txt does not match its checksum"):
        verify_bundle(out, manifest)
