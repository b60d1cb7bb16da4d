"""Mails about a person's account, which the desk sends itself rather than through Cognito (whose
own mails the pool suppresses), so they come from the desk's address, read like its other mails and
show in the local stack's outbox:

- an invitation: the temporary password and the console's sign-in address (POSTDESK_PUBLIC_URL);
  the first sign-in sets a password of the person's own;
- a password reset code.

Each goes through the send-once mechanism (effects/send_once.py). Its guard is named after an HMAC,
under the desk's signing key, of the kind, the address and what the mail says: the same mail (a
retried request, a duplicated event) is sent once, a new temporary password or a new code is a new
mail, and the guard's key holds neither the address nor the secret. The mails are not part of any
ticket's thread and nothing records their text: the secret they carry is in the mail only.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from postdesk.effects import keys
from postdesk.effects.send_once import OnceMail, SendOutcome, send_once
from postdesk.errors import Invalid
from postdesk.mail.compose import OutboundMail
from postdesk.mail.model import Address
from postdesk.observability import logger, mask_address
from postdesk.ports import Ports
from postdesk.rendering import render_mail
from postdesk.settings import Settings
from postdesk.signing import sign
from postdesk.tickets.model import MessageKind

# Enough of the HMAC that two different mails never share a guard.
_DIGEST_LENGTH = 32


class AccountMailKind(StrEnum):
    """The mails, by the template each renders (templates/en/<value>.txt.j2 and .html.j2)."""

    INVITATION = "account_invitation"
    PASSWORD_RESET_CODE = "account_password_reset"  # noqa: S105 - a template's name


# What each mail needs from the caller, and its subject.
_VARIABLES = {
    AccountMailKind.INVITATION: frozenset({"temporary_password", "sign_in_url"}),
    AccountMailKind.PASSWORD_RESET_CODE: frozenset({"code"}),
}
_SUBJECTS = {
    AccountMailKind.INVITATION: "Your account on {desk}",
    AccountMailKind.PASSWORD_RESET_CODE: "Your password reset code for {desk}",
}


def sign_in_url(settings: Settings) -> str:
    """Where the console signs people in; empty when the desk has no public address."""
    return f"{settings.survey.public_url}/console" if settings.survey.public_url else ""


def send_account_mail(
    kind: AccountMailKind,
    to: str,
    name: str,
    variables: Mapping[str, str],
    settings: Settings,
    ports: Ports,
) -> SendOutcome:
    """Mail ``kind`` to ``to`` (greeted as ``name``), once for the same address and ``variables``.
    ``variables`` are exactly what the kind needs (INVITATION: temporary_password, sign_in_url;
    PASSWORD_RESET_CODE: code). Returns what send-once did (SENT, ALREADY_SENT, SUPPRESSED, ...);
    raises what sending raised (the guard is released, so a retry may send it)."""
    kind = AccountMailKind(kind)
    given = frozenset(variables)
    if given != _VARIABLES[kind]:
        raise Invalid(f"the {kind.value} mail needs {sorted(_VARIABLES[kind])}, not {sorted(given)}")
    digest = sign(
        ports.signing_key(),
        "account-mail",
        kind.value,
        to.strip().lower(),
        *(f"{key}={variables[key]}" for key in sorted(variables)),
        length=_DIGEST_LENGTH,
    )
    desk = settings.support_name or settings.support_domain
    rendered = render_mail(
        kind.value,
        "en",
        {"name": name, "email": to, "support_name": desk, **variables, "subject": ""},
    )
    mail = OutboundMail(
        sender=Address(settings.support_name, settings.support_address),
        to=(Address(name, to),),
        subject=_SUBJECTS[kind].format(desk=desk),
        text=rendered.text,
        html=rendered.html,
        message_id=keys.account_mail_message_id(kind.value, digest, settings.support_domain),
        date=ports.clock(),
        auto_submitted="auto-generated",
        extra_headers=(("X-Auto-Response-Suppress", "All"),),
    )
    once = OnceMail(
        guard=keys.account_mail_guard(kind.value, digest),
        ref="-",
        mail=mail,
        kind=MessageKind.TEAM_NOTICE,
        thread_unique=None,
        metric="AccountMailsSent",
    )
    result = send_once(once, ports)
    logger.info(
        "account mail",
        extra={"kind": kind.value, "to": mask_address(to), "outcome": result.outcome.value},
    )
    return result.outcome
