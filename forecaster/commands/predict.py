"""``forecast predict``: a bundle and recent history to the forecast table."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from forecaster.bundle.layout import load_bundle
from forecaster.data.time_axis import write_table
from forecaster.errors import InputError
from forecaster.storage.folders import check_writable_file, record_output, unwritable


def predict(
    bundle: Path,
    data: Path | None = None,
    out: Path | None = None,
    ids: Sequence[str] = (),
    future: Path | None = None,
) -> pd.DataFrame:
    """Forecast the horizon after the last row of ``data`` (default: the spec's CSV);
    long data: every series, or those named in ``ids``. ``future``: the future covariates
    over the horizon. Write the table to ``out`` when given, and return it."""
    if out is not None and out.is_dir():
        raise InputError(
            f"{out}: is a folder; expected a file name; fix: use --out {out / 'forecast.csv'}"
        )
    if out is not None:
        check_writable_file(out)
    forecaster = load_bundle(bundle)
    if ids and not forecaster.preprocessing.id_columns:
        raise InputError(
            f"--ids {ids[0]}: the bundle forecasts one series (wide data); --ids picks series "
            "of a model trained on long data (data.id_columns); fix: leave --ids out"
        )
    forecast = forecaster.predict_csv(data or forecaster.spec.data.path, ids, future)
    if out is not None:
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            write_table(forecast, out)  # aware times keep their zone (Z or offset)
            record_output(out)
        except OSError as error:
            raise unwritable(out, error) from None
    return forecast
