"""Typed errors whose messages say what happened and what to do about it."""

from __future__ import annotations


class QAError(Exception):
    """Base of every error news-qa raises on purpose; the CLI and app show its message."""


class ModelMissing(QAError):
    """The bundled embedding model cannot be found."""


class IndexNotFound(QAError):
    """There is no index at the given path."""


class IndexMismatch(QAError):
    """The index was built by another format version, model or chunk setting."""


class IndexCorrupt(QAError):
    """The index file is not a readable news-qa index."""


class IndexBusy(QAError):
    """Another process is writing to the index."""


class BadInput(QAError):
    """An argument or input file cannot be used."""
