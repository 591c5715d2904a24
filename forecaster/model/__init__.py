"""From a panel to a trained network: each series' periods (``periods``), windows over
them, scalers, the fitted ``Preprocessing`` a bundle saves, the data prepared for
training, the Keras network, the fit with its checkpoints, devices (``distribution``) and
trackers, the hyperparameter search, and the naive baselines every model is scored
against.

May import ``forecaster.data`` and below (spec, storage, errors, log); never ``bundle``,
``evaluation``, ``reports``, ``commands`` or the CLI (the ``layers`` contract in
pyproject.toml). Importing it imports nothing; TensorFlow is imported by the modules that
need it, most of them inside the functions that use it.
"""
