"""User-facing errors: one sentence saying what is wrong and what to do.

The CLI prints ``GluonNotesError`` messages without a traceback and exits with status 2.
"""


class GluonNotesError(ValueError):
    """A problem the user can fix (bad argument, missing data, bad shape, ...)."""


class DataError(GluonNotesError):
    """Data is missing, corrupt or malformed."""


class NonFiniteLossError(GluonNotesError, FloatingPointError):
    """The training loss became NaN or infinite."""
