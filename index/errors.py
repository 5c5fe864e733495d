"""The project's exceptions: each message tells the user what to do next.

The CLI prints them as one line with a non-zero exit code; the UI shows them as a notice.
"""

from __future__ import annotations


class NewsqaError(Exception):
    """Base class; the message is meant for the user."""


class IndexMissingError(NewsqaError):
    pass


class IndexCorruptError(NewsqaError):
    pass


class IndexLockedError(NewsqaError):
    pass


class ModelUnavailableError(NewsqaError):
    pass


class BadQuestionError(NewsqaError):
    pass


class UnknownDocumentError(NewsqaError):
    pass


class BadCorrectionError(NewsqaError):
    pass


class StoreUnavailableError(NewsqaError):
    """Milvus can't be reached, or refused a request."""
