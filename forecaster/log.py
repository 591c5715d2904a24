"""Notes for the user on stderr: rows sorted, gaps filled, rows a forecast used.

Library code logs them to the ``forecaster`` logger; the command line shows them, one
line each, prefixed ``note:``. Kept free of heavy imports so ``--help`` stays instant.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager

logger = logging.getLogger("forecaster")


class _StderrHandler(logging.Handler):
    """Notes on whatever ``sys.stderr`` is when they are emitted."""

    def emit(self, record: logging.LogRecord) -> None:
        sys.stderr.write(f"note: {self.format(record)}\n")


def show_notes() -> None:
    """Print the package's notes on stderr (once, however often it is called)."""
    if not any(isinstance(handler, _StderrHandler) for handler in logger.handlers):
        logger.addHandler(_StderrHandler())
    logger.setLevel(logging.INFO)
    logger.propagate = False


@contextmanager
def notes_muted() -> Iterator[None]:
    """No notes inside the block: a loop that forecasts the same history again and again
    (timing it) would repeat the same note each time."""
    level = logger.level
    logger.setLevel(logging.WARNING + 1)
    try:
        yield
    finally:
        logger.setLevel(level)
