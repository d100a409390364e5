"""Deprecated alias of ``gluon_notes.context`` (the context checks moved there); import from it."""
from .context import ContextChecked, ContextError, check_same_context, checked_forward  # noqa: F401
