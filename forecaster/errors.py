"""The errors forecaster raises for problems a user can fix.

The CLI turns these into one line on stderr and an exit code; everything else is a bug
and keeps its traceback (behind ``--debug``).
"""

from __future__ import annotations


class ForecasterError(Exception):
    """A problem the user can act on. ``exit_code`` is what the CLI exits with."""

    exit_code = 1


class InputError(ForecasterError):
    """Bad input: a CSV, a spec, a bundle or a command-line value. Exit code 2."""

    exit_code = 2


def input_error(source: str, found: str, fix: str) -> InputError:
    """The one line every input error reads as: where, what was found, and the fix."""
    return InputError(f"{source}: {found}; fix: {fix}")


class BundleError(ForecasterError):
    """A bundle folder that is missing, incomplete or altered. Exit code 2."""

    exit_code = 2
