"""The files forecaster writes, as it writes them: JSON (NaN as null), CSV (text a
spreadsheet would run as a formula neutralised) and SHA-256 checksums."""

from __future__ import annotations

import hashlib
import json
import math
import re
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

from forecaster.errors import BundleError


def file_sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BundleError(f"{path}: cannot be read as JSON ({error}); fix: train again") from None
    if not isinstance(data, dict):
        raise BundleError(f"{path}: expected a JSON object; fix: train again")
    return data


def write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(to_json_ready(data), indent=2) + "\n", encoding="utf-8")


# a text cell starting with one of these is run as a formula by Excel, LibreOffice and
# Google Sheets (OWASP, CSV injection); tab and carriage return too
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def write_csv(table: pd.DataFrame, target: str | Path | IO[str], **options: Any) -> None:
    """Every CSV forecaster writes, without its index: text cells and text column names a
    spreadsheet would run as a formula get a leading ``'``; numbers, and text that is a
    plain number such as ``-3.5``, are written as they are."""
    import pandas as pd

    table = table.rename(columns=lambda name: spreadsheet_text(name))
    for position in range(table.shape[1]):
        column = table.iloc[:, position]
        text = pd.api.types.is_object_dtype(column) or pd.api.types.is_string_dtype(column)
        if text or isinstance(column.dtype, pd.CategoricalDtype):
            cells = column.astype(object).map(spreadsheet_text, na_action="ignore")
            table.isetitem(position, cells)
    table.to_csv(target, index=False, **options)


def spreadsheet_text(value: Any) -> Any:
    """``value`` with a leading ``'`` when it is text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return value if _NUMBER.fullmatch(value) else f"'{value}"
    return value


def to_json_ready(value: Any) -> Any:
    """NaN and infinity become ``null``: JSON has no spelling for them."""
    if isinstance(value, dict):
        return {key: to_json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_json_ready(item) for item in value]
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value
