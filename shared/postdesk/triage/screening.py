"""Screening: decide whether a message may be answered automatically (RFC 3834) and whether it must
be kept out of the queues (spam, virus, forged sender). Pure: no AWS, no clock."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from postdesk.mail.model import ParsedMessage

# What the screening says of a mail it found nothing to say about: the console shows no line for it
# (console/ticket.js PLAIN_ACCEPT; tests/unit/test_console_files.py holds the two together).
NO_SIGNAL = "no automatic, list, bounce or spam signal"


class Verdict(StrEnum):
    ACCEPT = "accept"
    AUTO_REPLY = "auto_reply"
    BOUNCE = "bounce"
    OWN_MAIL = "own_mail"
    SPAM = "spam"
    VIRUS = "virus"
    FORGED = "forged"


# Kept, flagged and out of the default queues; never answered.
QUARANTINE_VERDICTS = frozenset({Verdict.SPAM, Verdict.VIRUS, Verdict.FORGED})
# Written by a machine: recorded on the ticket they belong to, never answered, never reopening.
AUTOMATIC_VERDICTS = frozenset({Verdict.AUTO_REPLY, Verdict.BOUNCE, Verdict.OWN_MAIL})


@dataclass(frozen=True, slots=True)
class ReceiptVerdicts:
    """What SES found on receipt (``receipt.*Verdict.status``): PASS, FAIL, GRAY or PROCESSING_FAILED."""

    spam: str = "PASS"
    virus: str = "PASS"
    spf: str = "PASS"
    dkim: str = "PASS"
    dmarc: str = "PASS"
    dmarc_policy: str | None = None


@dataclass(frozen=True, slots=True)
class Screening:
    verdict: Verdict
    reason: str

    @property
    def may_acknowledge(self) -> bool:
        return self.verdict is Verdict.ACCEPT

    @property
    def quarantined(self) -> bool:
        return self.verdict in QUARANTINE_VERDICTS

    @property
    def automatic(self) -> bool:
        return self.verdict in AUTOMATIC_VERDICTS

    @property
    def is_bounce(self) -> bool:
        return self.verdict is Verdict.BOUNCE


_BULK_PRECEDENCE = frozenset({"bulk", "list", "junk", "auto_reply"})
_DAEMON_LOCALS = frozenset({"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon"})
# Subjects that clients put on out-of-office replies when they set no header (seen from Outlook
# on the web rules, older Lotus and Zimbra): prefixes only, so a customer's own wording is safe.
_AUTO_REPLY_SUBJECT = re.compile(
    r"^\s*(auto(matic)?[ -]?(reply|response|antwort)|out of (the )?office|abwesenheitsnotiz|"
    r"automatische antwort|réponse automatique|respuesta automática|risposta automatica|"
    r"automatisch antwoord|autosvar|automaattinen vastaus|autoodpowiedź|resposta automática)\b",
    re.IGNORECASE,
)


def screen(
    message: ParsedMessage,
    *,
    envelope_sender: str | None,
    verdicts: ReceiptVerdicts,
    own_addresses: Collection[str],
    own_domain: str,
    own_message_ids: Collection[str] = (),
) -> Screening:
    """The first rule that applies, most severe first, with the reason in words for the event log."""
    if verdicts.virus == "FAIL":
        return Screening(Verdict.VIRUS, "SES virus verdict FAIL")
    if verdicts.spam == "FAIL":
        return Screening(Verdict.SPAM, "SES spam verdict FAIL")
    if verdicts.dmarc == "FAIL":
        policy = f" (policy {verdicts.dmarc_policy})" if verdicts.dmarc_policy else ""
        return Screening(Verdict.FORGED, f"DMARC verdict FAIL{policy}")
    own = _own_mail_reason(message, envelope_sender, own_addresses, own_domain, own_message_ids)
    if own:
        return Screening(Verdict.OWN_MAIL, own)
    bounce = _bounce_reason(message, envelope_sender)
    if bounce:
        return Screening(Verdict.BOUNCE, bounce)
    auto = _auto_reply_reason(message)
    if auto:
        return Screening(Verdict.AUTO_REPLY, auto)
    return Screening(Verdict.ACCEPT, NO_SIGNAL)


def _local_part(address: str) -> str:
    return address.strip().strip("<>").rpartition("@")[0].lower()


def _own_mail_reason(
    message: ParsedMessage,
    envelope_sender: str | None,
    own_addresses: Collection[str],
    own_domain: str,
    own_message_ids: Collection[str],
) -> str | None:
    own = {address.lower() for address in own_addresses}
    # A plus-address of any of ours (our signed Reply-To among them), on that address's own domain.
    plus_bases = {(local, domain) for local, _, domain in (address.partition("@") for address in own)}
    for label, address in (
        ("From", message.sender.email if message.sender else None),
        ("envelope sender", envelope_sender),
    ):
        if not address:
            continue
        normalized = address.strip().strip("<>").lower()
        local, _, domain = normalized.rpartition("@")
        base, plus, _ = local.partition("+")
        if normalized in own or (plus and (base, domain) in plus_bases):
            return f"{label} is one of our own addresses"
    if message.message_id and (
        message.message_id in own_message_ids or message.message_id.endswith(f".postdesk@{own_domain}>")
    ):
        return "Message-ID is one we generated (a loop)"
    return None


def _bounce_reason(message: ParsedMessage, envelope_sender: str | None) -> str | None:
    if message.content_type == "multipart/report":
        return "multipart/report (delivery or disposition report)"
    if envelope_sender is not None and envelope_sender.strip() in ("", "<>"):
        return "null envelope sender"
    return_path = message.header("return-path")
    if return_path is not None and return_path.strip() in ("", "<>"):
        return "null Return-Path"
    for label, address in (
        ("envelope sender", envelope_sender),
        ("From", message.sender.email if message.sender else None),
    ):
        if address and _local_part(address) in _DAEMON_LOCALS:
            return f"{label} is a mailer daemon"
    if message.header("x-failed-recipients") is not None:
        return "X-Failed-Recipients header"
    return None


def _auto_reply_reason(message: ParsedMessage) -> str | None:
    auto_submitted = message.header("auto-submitted")
    if auto_submitted is not None and auto_submitted.split(";")[0].strip().lower() != "no":
        return f"Auto-Submitted: {auto_submitted.strip()[:40]}"
    for name in ("x-autoreply", "x-autorespond", "x-auto-response-suppress"):
        if message.header(name) is not None:
            return f"{name} header"
    precedence = (message.header("precedence") or "").strip().lower()
    if precedence in _BULK_PRECEDENCE:
        return f"Precedence: {precedence}"
    if message.has_header_prefix("list-"):
        return "mailing list (List-* headers)"
    if _AUTO_REPLY_SUBJECT.match(message.subject):
        return "subject of an automatic reply"
    return None


# What an agent's release of a sender overrules: SES's spam verdict (it errs on newsletters and
# first-time senders). Never a virus or a DMARC failure: those are about the mail, not the person,
# and a forged From would borrow the trust.
OVERRULED_FOR_TRUSTED = frozenset({Verdict.SPAM})


def trusted(screening: Screening) -> Screening:
    """The screening of a mail from a sender an agent released before: a spam verdict is overruled
    (said in the reason); anything else stands."""
    if screening.verdict in OVERRULED_FOR_TRUSTED:
        return Screening(
            Verdict.ACCEPT, f"{screening.reason}, overruled: an agent released this sender before"
        )
    return screening
