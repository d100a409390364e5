"""User-facing errors: one sentence saying what is wrong and what to do.

The CLI prints ``GluonNotesError`` messages without a traceback and exits with status 2.
``TrainingInterrupted`` is not an error of the user's input: it is Ctrl-C during ``fit``,
carrying the epochs that finished so that they can still be saved.
"""


class GluonNotesError(ValueError):
    """A problem the user can fix (bad argument, missing data, bad shape, ...)."""


class DataError(GluonNotesError):
    """Data is missing, corrupt or malformed (non-finite values, bad labels, ...)."""


class InputShapeError(GluonNotesError):
    """A network was given an input of a shape it cannot take."""


class NonFiniteError(GluonNotesError, FloatingPointError):
    """Training produced NaN or infinite values."""


class NonFiniteLossError(NonFiniteError):
    """The training loss became NaN or infinite."""


class NonFiniteWeightsError(NonFiniteError):
    """A parameter of the network became NaN or infinite (while the loss may look finite)."""


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C (KeyboardInterrupt) during ``fit``; ``history`` holds the epochs that finished.

    A subclass of ``KeyboardInterrupt``, so code that does not know it still stops; the CLI
    catches it to save ``history`` before exiting.
    """

    def __init__(self, history):
        super().__init__("training interrupted after %d finished epoch(s)" % len(history))
        self.history = history
