"""A trained model at rest and in use: the bundle folder's files, saved whole and loaded
back (``layout``), its manifest, the loaded ``Forecaster`` (``forecasting``) and the known
inputs over the horizon it forecasts with (``future``).

May import ``forecaster.model``, ``forecaster.data`` and below; never ``evaluation``,
``reports``, ``commands`` or the CLI (the ``layers`` contract in pyproject.toml).
"""
