"""The use cases, one module per command: read, fit or score, write, and return a typed
result the CLI prints from and the Python API (``forecaster.api``) returns. The only layer
that both trains and writes files. ``options`` says once what the options of both mean."""
