"""Writing results safely: the files as written (``files``), the one guard on an output
folder (``folders``), and folders written whole or not at all (``staging``).

May import ``forecaster.errors`` only: every layer above writes through it.
"""
