"""Loading a bundle is one consistent snapshot, and a model that is not the bundle's own is
refused.

A bundle folder can be replaced while ``predict`` loads it (``forecast train --out`` the
same folder swaps a new one into place). The forecast must then come from the old bundle
or from the new one, never from one's model with the other's scalers, or the load must
say the bundle changed and to retry. The swap is simulated at every file opened inside
the bundle folder, by exchanging the folder with another bundle just before that open.
"""

from __future__ import annotations

import builtins
import dataclasses
import io
import json
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from forecaster.bundle.forecasting import Forecaster
from forecaster.bundle.layout import load_bundle, save_bundle
from forecaster.cli import app
from forecaster.errors import BundleError
from forecaster.model.scaling import Scaler
from forecaster.storage import MANIFEST_FILE, file_sha256

FIXTURES = Path(__file__).parents[1] / "fixtures" / "legacy_bundles"
HISTORY = FIXTURES / "wide" / "history.csv"
CHANGED = "bundle changed while loading"


def values(forecast: pd.DataFrame) -> np.ndarray:
    return forecast.drop(columns="timestamp").to_numpy(dtype=np.float64)


def same(first: np.ndarray, second: np.ndarray) -> bool:
    return first.shape == second.shape and bool(np.allclose(first, second, rtol=1e-6))


@dataclasses.dataclass(frozen=True)
class TwoBundles:
    """Two bundles for the same data: the old one, and a new one with other weights and
    other scalers; and the forecast each gives for the same history."""

    old: Path
    new: Path
    old_forecast: np.ndarray
    new_forecast: np.ndarray

    def copies(self, root: Path) -> tuple[Path, Path]:
        """A fresh copy of the old bundle where predict loads it, and of the new one beside
        it, ready to be swapped in."""
        root.mkdir()
        shutil.copytree(self.old, root / "bundle")
        shutil.copytree(self.new, root / "incoming")
        return root / "bundle", root / "incoming"

    def which(self, forecast: np.ndarray) -> str:
        if same(forecast, self.old_forecast):
            return "old"
        if same(forecast, self.new_forecast):
            return "new"
        return "a mix"


@pytest.fixture(scope="module")
def two_bundles(tmp_path_factory: pytest.TempPathFactory) -> TwoBundles:
    root = tmp_path_factory.mktemp("two-bundles")
    old = root / "old"
    shutil.copytree(FIXTURES / "wide" / "bundle", old)
    first = load_bundle(old)
    model = first.model
    model.set_weights([weight * 0.7 + 0.05 for weight in model.get_weights()])
    scalers = {
        key: Scaler(scaler.kind, scaler.center + 3.0, scaler.scale * 2.0)
        for key, scaler in first.preprocessing.series_scalers.items()
    }
    preprocessing = dataclasses.replace(first.preprocessing, series_scalers=scalers)
    manifest = {key: value for key, value in first.manifest.items() if key != "files"}
    save_bundle(
        root / "new",
        model,
        first.spec,
        preprocessing,
        {**manifest, "created": "a later training"},
        pd.read_csv(old / "history.csv"),
        json.loads((old / "metrics.json").read_text()),
    )
    old_bundle, new_bundle = load_bundle(old), load_bundle(root / "new")
    bundles = TwoBundles(
        old,
        root / "new",
        values(old_bundle.predict_csv(HISTORY)),
        values(new_bundle.predict_csv(HISTORY)),
    )
    # what a mixed load would forecast: neither bundle's forecast, so a mix is seen
    for model_of, scalers_of in ((old_bundle, new_bundle), (new_bundle, old_bundle)):
        mixed = Forecaster(model_of.model, model_of.spec, scalers_of.preprocessing)
        assert bundles.which(values(mixed.predict_csv(HISTORY))) == "a mix"
    assert bundles.which(bundles.new_forecast) == "new"
    return bundles


def exchange(first: Path, second: Path) -> None:
    """Swap two folders, as ``forecast train --out`` swaps its new bundle into place."""
    aside = first.with_name(first.name + ".aside")
    os.rename(first, aside)
    os.rename(second, first)
    os.rename(aside, second)


@contextmanager
def swapping(
    monkeypatch: pytest.MonkeyPatch,
    bundle: Path,
    incoming: Path,
    when: Callable[[str, int], bool],
) -> Iterator[list[str]]:
    """Every file opened inside ``bundle`` (its name, and how many were opened before it,
    counting it); the folder is exchanged with ``incoming`` just before an open for which
    ``when(name, count)`` holds."""
    real_open = io.open
    opened: list[str] = []

    def hooked_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(file, str | os.PathLike) and isinstance(os.fspath(file), str):
            path = Path(os.path.abspath(os.fspath(file)))
            if path.is_relative_to(bundle):
                opened.append(path.relative_to(bundle).as_posix())
                if when(opened[-1], len(opened)):
                    exchange(bundle, incoming)
        return real_open(file, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(io, "open", hooked_open)
        patch.setattr(builtins, "open", hooked_open)
        yield opened


def test_a_bundle_replaced_at_any_moment_of_loading_forecasts_as_the_old_or_the_new(
    two_bundles: TwoBundles, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle, incoming = two_bundles.copies(tmp_path / "count")
    with swapping(monkeypatch, bundle, incoming, lambda name, count: False) as opened:
        load_bundle(bundle)
    assert MANIFEST_FILE in opened and "model.keras" in opened
    outcomes = {}
    for moment in range(1, len(opened) + 1):
        bundle, incoming = two_bundles.copies(tmp_path / f"swap-{moment}")
        when = lambda name, count, moment=moment: count == moment  # noqa: E731
        with swapping(monkeypatch, bundle, incoming, when) as seen:
            try:
                loaded: Forecaster | str = load_bundle(bundle)
            except BundleError as error:
                loaded = str(error)
        where = f"swapped before opening {seen[moment - 1]} (open {moment} of {len(opened)})"
        if isinstance(loaded, str):
            assert CHANGED in loaded and "retry" in loaded, f"{where}: {loaded}"
            outcomes[moment] = "refused"
        else:
            outcomes[moment] = two_bundles.which(values(loaded.predict_csv(HISTORY)))
        assert outcomes[moment] in ("old", "new", "refused"), f"{where}: forecast of {loaded}"
    # replaced before anything was read: the new bundle, whole
    assert outcomes[1] == "new"
    # replaced once, after the manifest was read: the load starts again on the new bundle
    assert "refused" not in outcomes.values(), outcomes


def test_a_bundle_replaced_again_while_loading_it_again_says_retry(
    two_bundles: TwoBundles, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle, incoming = two_bundles.copies(tmp_path / "swaps")
    out = tmp_path / "forecast.csv"
    args = ["predict", str(bundle), "--data", str(HISTORY), "--out", str(out)]
    with swapping(monkeypatch, bundle, incoming, lambda name, count: name == "model.keras"):
        result = CliRunner().invoke(app, args)
    output = result.output.strip()
    assert result.exit_code == 2, output
    assert len(output.splitlines()) == 1 and "Traceback" not in output, output
    assert output.startswith(f"error: {bundle}: {CHANGED}"), output
    assert "retry" in output and "train the bundle again" not in output, output
    assert not out.exists()


def reseal(bundle: Path, name: str) -> None:
    """Record a file's checksum in the manifest, as a user (or a forger) would."""
    manifest = json.loads((bundle / MANIFEST_FILE).read_text())
    manifest["files"][name] = file_sha256(bundle / name)
    (bundle / MANIFEST_FILE).write_text(json.dumps(manifest))


@pytest.mark.parametrize(
    ("into", "model_of", "expected", "found"),
    [
        (
            "long",
            "wide",
            "history [14 steps x 2 columns], output [3 steps x 1 target]",
            "history [12 steps x 4 columns] and future [4 steps x 2 columns]",
        ),
        (
            "wide",
            "long",
            "history [12 steps x 4 columns] and future [4 steps x 2 columns]",
            "history [14 steps x 2 columns], output [3 steps x 1 target]",
        ),
    ],
)
def test_another_bundles_model_with_a_matching_checksum_is_refused_in_one_line(
    tmp_path: Path, into: str, model_of: str, expected: str, found: str
) -> None:
    bundle = tmp_path / "bundle"
    shutil.copytree(FIXTURES / into / "bundle", bundle)
    shutil.copyfile(FIXTURES / model_of / "bundle" / "model.keras", bundle / "model.keras")
    reseal(bundle, "model.keras")
    out = tmp_path / "forecast.csv"
    history = FIXTURES / into / "history.csv"
    args = ["predict", str(bundle), "--data", str(history), "--out", str(out)]
    result = CliRunner().invoke(app, args)
    output = result.output.strip()
    assert result.exit_code == 2, output
    assert len(output.splitlines()) == 1 and "Traceback" not in output, output
    assert output.startswith(f"error: {bundle / 'model.keras'}: "), output
    for words in ("preprocessing.json", expected, found, "fix:", "restore", "model.keras"):
        assert words in output, f"{words!r} not in {output!r}"
    assert not out.exists()


def test_preprocessing_forged_to_another_window_is_refused(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    shutil.copytree(FIXTURES / "wide" / "bundle", bundle)
    settings = json.loads((bundle / "preprocessing.json").read_text())
    settings["lookback"] = 10
    (bundle / "preprocessing.json").write_text(json.dumps(settings))
    reseal(bundle, "preprocessing.json")
    with pytest.raises(BundleError) as caught:
        load_bundle(bundle)
    message = str(caught.value)
    assert "\n" not in message
    assert "history [12 steps x 4 columns]" in message  # the model's
    assert "history [10 steps x 4 columns]" in message  # what preprocessing.json says
