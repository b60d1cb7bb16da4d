"""Errors with meaning. Every error the desk raises on purpose belongs to one category, and the HTTP
layer (api/http.py) maps each category, not each error, to a status: a new error is one subclass."""

from __future__ import annotations


class PostdeskError(Exception):
    """Base of every error the desk raises on purpose."""


# -- the categories --------------------------------------------------------------------------------


class Unauthenticated(PostdeskError):
    """The request carries no credentials, or ones that are malformed, unknown or revoked."""


class Forbidden(PostdeskError):
    """Who is asking is known, but may not do this."""


class NotFound(PostdeskError):
    """What the request names does not exist (or no longer does)."""


class Conflict(PostdeskError):
    """The request clashes with the state it found: someone changed it, or it was done already."""


class Invalid(PostdeskError):
    """A value of the request cannot be used; the message says which and why."""


class TooLarge(PostdeskError):
    """Something in the request is over its size limit."""


class PreconditionRequired(PostdeskError):
    """A change that must name the version it was made on came without one."""


class Unprocessable(PostdeskError):
    """The request is well formed, but the desk will not carry it out (for example, mail to an
    address on the suppression list)."""


class TooManyRequests(PostdeskError):
    """Too many attempts in a while (failed sign-ins): the caller may try again after
    ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = max(1, retry_after)


class Unavailable(PostdeskError):
    """A part the request needs is missing or not set up; trying again later (or after fixing the
    deployment) may work."""


# -- errors shared by several packages ----------------------------------------------------------------


class SignInRefused(Unauthenticated):
    """A sign-in, a step of one, or a session was refused; the words say why and what to do next,
    and tell nothing a caller should not know (the same words whether an address exists or not)."""


class NotAllowed(Forbidden):
    """Who is asking may not do this, and the words say why (they tell nothing a caller should not
    know); plain Forbidden answers its category's words only."""


class CrossSiteRefused(NotAllowed):
    """A request the browser could have been made to send by another site: a session's change
    without its CSRF token, or from another origin. The words say which."""


class OutsideQueues(NotAllowed):
    """The request would put something into a queue the agent does not belong to (a new ticket);
    the words say which queue and which are theirs."""


class ConfigurationError(Unavailable):
    """The deployment is missing a setting or a resource."""


class RawMailMissing(Unavailable):
    """SES said it stored a mail in S3, but the object is not there (retry, then the dead-letter queue)."""


class TicketNotFound(NotFound):
    """No ticket has that reference."""

    def __init__(self, ref: str) -> None:
        super().__init__(f"No ticket has the reference {ref}.")
        self.ref = ref


class MessageNotFound(NotFound):
    """The ticket has no such message, or the message has no HTML to show."""


class ConcurrentUpdate(Conflict):
    """The ticket changed after it was read; the change was not written."""


class TicketMerged(Conflict):
    """The ticket was merged into another and is read-only: work on that one."""


class TicketHeld(Conflict):
    """The ticket is held in quarantine: it is answered and changed only once released."""


class IllegalTransition(Conflict):
    """The ticket's status cannot move that way."""


class DuplicateRequest(Conflict):
    """This request was already handled (or is being handled) under the same request id."""


class BadRequest(Invalid):
    """The request itself is wrong (malformed JSON, an unknown field, a value out of range)."""


class PayloadTooLarge(TooLarge):
    """The request body is over the limit."""
