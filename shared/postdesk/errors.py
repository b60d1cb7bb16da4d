"""Errors with meaning; the HTTP layer maps them to status codes in one place."""

from __future__ import annotations


class PostdeskError(Exception):
    """Base of every error the desk raises on purpose."""


class ConfigurationError(PostdeskError):
    """The deployment is missing a setting or a resource."""


class RawMailMissing(PostdeskError):
    """SES said it stored a mail in S3, but the object is not there (retry, then the dead-letter queue)."""


class TicketNotFound(PostdeskError):
    """No ticket has that reference."""


class ConcurrentUpdate(PostdeskError):
    """The ticket changed after it was read; the change was not written."""


class IllegalTransition(PostdeskError):
    """The ticket's status cannot move that way."""


class MessageNotFound(PostdeskError):
    """The ticket has no such message, or the message has no HTML to show."""


class OutboxUnavailable(PostdeskError):
    """Only the local stack keeps an outbox (a deployed desk's mail goes out through SES)."""
