"""The ensemble's pieces without training: its members, the median network, the spec."""

from __future__ import annotations

import itertools
from pathlib import Path

import keras
import numpy as np
import pytest

from forecaster.errors import InputError
from forecaster.model.ensemble import (
    ensemble_model,
    member_spec,
    members_of,
    sorting_pairs,
)
from forecaster.spec import load_spec
from tests.conftest import write_spec


def _spec(tmp_path: Path, train: dict | None = None, **ensemble: object):
    train = {**(train or {}), "ensemble": ensemble}
    sections = {"intervals": {"method": "quantile"}} if ensemble.pop("quantile", False) else {}
    path = write_spec(tmp_path / "s.yaml", tmp_path / "data.csv", train=train, **sections)
    return load_spec(path)


def test_members_are_seeds_by_lookbacks_by_losses_seeds_outermost(tmp_path: Path) -> None:
    spec = _spec(tmp_path, seeds=2, lookbacks=[12, 24], losses=["mae", "smape"])
    members = members_of(spec)
    assert [(m.seed, m.lookback, m.loss) for m in members] == [
        (7, 12, "mae"),
        (7, 12, "smape"),
        (7, 24, "mae"),
        (7, 24, "smape"),
        (8, 12, "mae"),
        (8, 12, "smape"),
        (8, 24, "mae"),
        (8, 24, "smape"),
    ]
    own = member_spec(spec, members[5])
    assert (own.train.seed, own.window.lookback, own.train.loss) == (8, 12, "smape")
    assert own.train.ensemble is None and spec.train.ensemble is not None


def test_lists_left_out_are_the_spec_own_lookback_and_loss(tmp_path: Path) -> None:
    members = members_of(_spec(tmp_path, seeds=3))
    assert [(m.seed, m.lookback, m.loss) for m in members] == [
        (7, 24, "mse"),
        (8, 24, "mse"),
        (9, 24, "mse"),
    ]


@pytest.mark.parametrize(
    ("ensemble", "words"),
    [
        ({"seeds": 26, "losses": ["mae", "mse"]}, ["52 members", "more than 50"]),
        ({"seeds": 51}, ["train.ensemble.seeds", "50"]),
        ({"lookbacks": [12, 48]}, ["lookbacks entry 48", "window.lookback 24"]),
        ({"lookbacks": [12, 12]}, ["train.ensemble.lookbacks", "twice"]),
        ({"losses": ["mae", "pinball"]}, ["train.ensemble.losses", "'pinball'"]),
        ({"combine": "mode"}, ["train.ensemble.combine", "'median' or 'mean'"]),
        ({"losses": ["mae"], "quantile": True}, ["train.ensemble.losses", "pinball"]),
        ({"train": {"distribute": "multi_worker"}}, ["multi_worker", "mirrored"]),
        ({"train": {"refit": True}}, ["train.refit", "train.ensemble"]),
    ],
)
def test_a_bad_ensemble_is_refused_in_one_line(
    tmp_path: Path, ensemble: dict, words: list[str]
) -> None:
    with pytest.raises(InputError) as caught:
        _spec(tmp_path, **ensemble)
    message = str(caught.value)
    assert "\n" not in message
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"


def test_the_sorting_network_sorts_every_input_of_up_to_twelve() -> None:
    for count in range(1, 13):  # the 0-1 principle: sorting every 0/1 input sorts all
        pairs = sorting_pairs(count)
        for bits in itertools.product([0, 1], repeat=count):
            values = list(bits)
            for low, high in pairs:
                values[low], values[high] = (
                    min(values[low], values[high]),
                    max(values[low], values[high]),
                )
            assert values == sorted(bits)


def _constant_members(outputs: np.ndarray, lookbacks: list[int]) -> list[keras.Model]:
    """Member k reads ``[B, lookback_k, 2]`` and returns the sum of its window times k
    plus a fixed offset, so each member's output tells which rows it read."""
    members = []
    for k, lookback in enumerate(lookbacks):
        window = keras.Input(shape=(lookback, 2))
        summed = keras.layers.Flatten()(window)
        out = keras.layers.Dense(3, name="out")(summed)
        model = keras.Model(window, keras.layers.Reshape((3, 1))(out), name=f"member_{k:02d}")
        kernel = np.full((lookback * 2, 3), float(k + 1), dtype=np.float32)
        model.get_layer("out").set_weights([kernel, outputs[k]])
        members.append(model)
    return members


@pytest.mark.parametrize("count", [1, 2, 3, 4, 5])
def test_the_combined_model_is_the_median_and_the_mean_of_its_members(count: int) -> None:
    rng = np.random.default_rng(count)
    lookbacks = [4, 6, 8, 6, 4][:count]
    members = _constant_members(rng.normal(size=(count, 3)).astype(np.float32), lookbacks)
    history = rng.normal(size=(5, 8, 2)).astype(np.float32)
    # each member on its own lookback: the last rows of the history
    own = np.stack(
        [m.predict_on_batch(history[:, -lb:]) for m, lb in zip(members, lookbacks, strict=True)]
    )  # [members, B, 3, 1]
    median = ensemble_model(members, lookbacks, 8, "median").predict_on_batch(history)
    mean = ensemble_model(members, lookbacks, 8, "mean").predict_on_batch(history)
    if count % 2:  # the middle value itself, chosen by min and max: exact
        np.testing.assert_array_equal(median, np.median(own, axis=0))
    else:  # the mean of the middle two, in float32
        np.testing.assert_allclose(median, np.median(own, axis=0), rtol=1e-6)
    np.testing.assert_allclose(mean, own.mean(axis=0), rtol=1e-6)


def test_an_interrupted_ensemble_says_where_its_members_checkpoints_are(tmp_path: Path) -> None:
    from forecaster.model.checkpoint import STATE_FILE, checkpoint_folder, member_folder_name
    from forecaster.terminal import interrupted_training

    out = tmp_path / "bundle"
    for member in (0, 1):
        folder = checkpoint_folder(out) / member_folder_name(member)
        folder.mkdir(parents=True)
        (folder / STATE_FILE).write_text("{}")
    line = interrupted_training(out, ["spec.yaml", "--out", str(out)])
    assert "checkpoints of 2 ensemble member(s)" in line
    assert line.endswith("forecast train spec.yaml --out " + str(out) + " --resume")
