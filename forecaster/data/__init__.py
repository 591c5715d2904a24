"""Reading the user's data: CSV and Parquet files (``reading``), time columns and their
formats, the time axis and its frequency, one series or many (``panel``: a wide CSV is a
panel of one series), rows as read to a panel (``rows``: the one place that tells long
from wide), long files streamed when they are ready (``streaming``), calendar and holiday
inputs (``calendar``) and static covariates (``statics``).

May import ``forecaster.spec``, ``forecaster.storage``, ``forecaster.errors`` and
``forecaster.log``; never ``model``, ``bundle`` or anything above them (the ``layers``
contract in pyproject.toml). No TensorFlow here.
"""
