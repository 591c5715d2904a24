"""Sealed folders, the output-folder guard, and JSON without NaN."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from forecaster.errors import InputError
from forecaster.storage.files import file_sha256, to_json_ready
from forecaster.storage.folders import BACKTEST, BUNDLE, COMPARISON, EVALUATION, check_replaceable
from forecaster.storage.staging import staged_folder, write_sealed_folder


def test_file_sha256(tmp_path: Path) -> None:
    path = tmp_path / "abc.txt"
    path.write_bytes(b"abc")
    expected = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert file_sha256(path) == expected


def test_json_ready_replaces_nan() -> None:
    assert to_json_ready({"a": [math.nan, np.float32(1.5)], "b": np.int64(2)}) == {
        "a": [None, 1.5],
        "b": 2,
    }


def test_the_guard_replaces_only_empty_folders_and_earlier_folders_of_its_kind(
    tmp_path: Path,
) -> None:
    check_replaceable(tmp_path / "new", EVALUATION)
    (tmp_path / "empty").mkdir()
    check_replaceable(tmp_path / "empty", COMPARISON)
    earlier = tmp_path / "earlier"
    earlier.mkdir()
    (earlier / "backtest.json").write_text("{}")
    check_replaceable(earlier, BACKTEST)
    with pytest.raises(InputError, match="is a backtest folder, not a comparison folder"):
        check_replaceable(earlier, COMPARISON)
    user = tmp_path / "user"
    user.mkdir()
    (user / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="is a folder, not an evaluation folder; refusing"):
        check_replaceable(user, EVALUATION)


def test_a_bundle_is_not_an_evaluation_folder(tmp_path: Path) -> None:
    bundle = write_sealed_folder(
        tmp_path / "b", lambda f: (f / "metrics.json").write_text("{}"), {}
    )
    assert BUNDLE.holds(bundle) and not EVALUATION.holds(bundle)
    with pytest.raises(InputError, match="is a bundle folder, not an evaluation folder"):
        check_replaceable(bundle, EVALUATION)


def test_a_staged_folder_that_fails_leaves_the_earlier_one_whole(tmp_path: Path) -> None:
    out = tmp_path / "evaluation"
    with staged_folder(out, EVALUATION) as staging:
        (staging / "metrics.json").write_text("first")
    with pytest.raises(RuntimeError), staged_folder(out, EVALUATION) as staging:
        (staging / "metrics.json").write_text("second")
        raise RuntimeError("killed half way")
    assert (out / "metrics.json").read_text() == "first"
    assert [path.name for path in tmp_path.iterdir()] == ["evaluation"]
