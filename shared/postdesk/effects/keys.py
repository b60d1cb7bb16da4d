"""Every name the desk derives for a side effect that must happen once: guard keys, rate-limit counter
keys, schedule names and our own Message-IDs. A retry derives the same name from the same cause, so
it finds what an earlier attempt did. docs/data-model.md lists the same names (a test compares the
first ``pattern`` of each docstring here with it); nothing else in the desk spells them out."""

from __future__ import annotations

import base64
import hashlib
from datetime import date, datetime, timedelta

from postdesk.clock import to_iso
from postdesk.mail.compose import derived_message_id

# -- guards (GuardsTable) ------------------------------------------------------------------------------


def delivery_guard(ses_id: str) -> str:
    """``delivery#<ses id>``: which ticket one SES delivery went to, and whether it made it."""
    return f"delivery#{ses_id}"


def first_delivery_guard(sender: str, message_id: str) -> str:
    """``first-delivery#<sha256(address)[:32]>#<sha256(message id)[:32]>``: the first delivery of one
    mail from one sender (an MTA's retry, or the mail sent to two of our addresses, comes again under
    another SES id and joins the first's ticket)."""
    digest = hashlib.sha256(message_id.strip().encode("utf-8", "replace")).hexdigest()[:32]
    return f"first-delivery#{address_hash(sender)[:32]}#{digest}"


def trusted_sender_guard(address: str) -> str:
    """``trusted-sender#<sha256(address)>``: an agent released this sender's mail from quarantine, so
    a spam verdict or an automatic look no longer keeps their mail out of the desk."""
    return f"trusted-sender#{address_hash(address)}"


def ack_guard(ses_id: str) -> str:
    """``ack#<ses id>``: the acknowledgement of one delivery."""
    return f"ack#{ses_id}"


def reply_guard(ref: str, request_id: str) -> str:
    """``reply#<ref>#<request>``: an agent's reply, once per request (its Idempotency-Key)."""
    return f"reply#{ref}#{request_id}"


def new_ticket_guard(agent_email: str, request_id: str) -> str:
    """``new-ticket#<agent>#<request>``: a ticket an agent starts, once per request of that agent
    (two agents sending the same Idempotency-Key start two tickets)."""
    return f"new-ticket#{agent_email.lower()}#{request_id}"


def note_guard(ref: str, request_id: str) -> str:
    """``note#<ref>#<request>``: an internal note, once per request."""
    return f"note#{ref}#{request_id}"


def forward_guard(ref: str, request_id: str) -> str:
    """``forward#<ref>#<request>``: a forward of a ticket's messages to a third party, once per
    request (its Idempotency-Key)."""
    return f"forward#{ref}#{request_id}"


def forward_id(ref: str, request_id: str) -> str:
    """``<base32(sha256(ref:request))[:8]>``: names one forward of a ticket in its signed Reply-To
    (mail/addressing.py), its own Message-ID and its thread message (``forward-<forward id>``)."""
    digest = hashlib.sha256(f"{ref}:{request_id}".encode()).digest()
    return base64.b32encode(digest).decode("ascii")[:8].lower()


def survey_guard(ref: str, cycle: int) -> str:
    """``survey#<ref>#<cycle>``: the survey of one resolution."""
    return f"survey#{ref}#{cycle}"


def reminder_guard(ref: str, waiting_since: datetime) -> str:
    """``reminder#<ref>#<time>``: the reminder to the customer of one wait of the ticket, pending on
    them since ``time`` (a later wait is reminded again)."""
    return f"reminder#{ref}#{waiting_since:%Y%m%dT%H%M%S}"


def closing_guard(ref: str, cycle: int) -> str:
    """``closing#<ref>#<cycle>``: the mail of the desk resolving a cycle by itself after its reminder."""
    return f"closing#{ref}#{cycle}"


def notice_guard(ref: str, notice_id: str) -> str:
    """``notice#<ref>#<notice>``: a notice to the team about a ticket (``follow-up:<cycle>``,
    ``sla:<warning|breach>:<run>``)."""
    return f"notice#{ref}#{notice_id}"


def address_hash(address: str) -> str:
    """``sha256(lower(address))``: how the desk names an address without holding it (the
    suppression list's key; the start of every key below that concerns one address)."""
    return hashlib.sha256(address.strip().lower().encode("utf-8")).hexdigest()


def recipient_tag(address: str) -> str:
    """``sha256(address)[:16]``: names a recipient in a guard's key without the address."""
    return address_hash(address)[:16]


def agent_notification_guard(agent: str, due: datetime) -> str:
    """``agent-notify#<sha256(agent)[:32]>#<time>``: the one mail of an agent's notifications for the
    window ending at ``time`` (its detail lists the notifications it carries)."""
    return f"agent-notify#{address_hash(agent)[:32]}#{due:%Y%m%dT%H%M%S}"


def account_mail_guard(kind: str, digest: str) -> str:
    """``account-mail#<kind>#<digest>``: one mail about a person's account (an invitation, a
    password reset code); the digest is an HMAC of the address and of what the mail says, under the
    desk's signing key, so the same mail is sent once and the key holds neither address nor secret."""
    return f"account-mail#{kind}#{digest}"


def webhook_failing_guard(webhook_id: str, day: date, admin: str) -> str:
    """``webhook-failing#<webhook id>#<yyyy-mm-dd>#<sha256(admin)[:32]>``: the mail telling one admin
    that a webhook's delivery failed after every try, at most once per webhook and day (UTC)."""
    return f"webhook-failing#{webhook_id}#{day.isoformat()}#{address_hash(admin)[:32]}"


def mail_feedback_guard(feedback_id: str, recipient: str) -> str:
    """``mail-feedback#<feedback id>#<sha256(address)[:16]>``: SES's word on one recipient of one mail
    (``none`` stands for a notification that names nobody)."""
    return f"mail-feedback#{feedback_id}#{recipient_tag(recipient) if recipient else 'none'}"


# -- rate-limit counters (CountersTable) ------------------------------------------------------------------


def ack_rate_prefix(address: str) -> str:
    """``ack-rate#<sha256(address)[:32]>#``: where the acknowledgement counters of an address begin;
    the hour's and the day's window follow (an erasure deletes them by this prefix)."""
    return f"ack-rate#{address_hash(address)[:32]}#"


def ack_rate_hour(address: str, now: datetime) -> str:
    """``ack-rate#<sha256(address)[:32]>#h#<yyyymmddhh>``: acknowledgements to an address this hour."""
    return f"{ack_rate_prefix(address)}h#{now:%Y%m%d%H}"


def ack_rate_day(address: str, now: datetime) -> str:
    """``ack-rate#<sha256(address)[:32]>#d#<yyyymmdd>``: acknowledgements to an address this day."""
    return f"{ack_rate_prefix(address)}d#{now:%Y%m%d}"


def ack_rate_keys(address: str, now: datetime, days: int) -> list[str]:
    """Every acknowledgement counter an address may still have ``days`` after ``now``'s windows
    began: the hour's and the day's of each window since (an erasure deletes them by name)."""
    start = now.replace(minute=0, second=0, microsecond=0)
    hours = [ack_rate_hour(address, start - timedelta(hours=n)) for n in range(days * 24 + 1)]
    return [*hours, *(ack_rate_day(address, start - timedelta(days=n)) for n in range(days + 1))]


def article_flag_guard(slug: str, flag: str, day: date) -> str:
    """``article-flag#<slug>#<reason>[:<language>]#<yyyy-mm-dd>``: the daily knowledge review found
    the article flagged for that reason on that day (the desk's local day) and told its owner, or knew
    they were told the day before (workflows/knowledge_review.py): an owner hears of a flag once
    when it is raised, and again only after it was gone for a day."""
    return f"article-flag#{slug}#{flag}#{day.isoformat()}"


def help_vote_counter(source_tag: str, slug: str, now: datetime) -> str:
    """``help-vote#<source tag>#<slug>#<yyyymmdd>``: the help center's "Was this helpful?" votes from
    one source address for one article this day (UTC). The tag is an HMAC of the address under the
    desk's signing key (api/help_center.py), so the key names the address without holding it, and
    nobody without the key can tell which address a counter is of."""
    return f"help-vote#{source_tag}#{slug}#{now:%Y%m%d}"


def presence_key(ref: str) -> str:
    """``presence#<ref>``: who has a ticket open in the console and who is writing on it (one item
    per ticket, an entry per agent, each good for a minute; agents/presence.py)."""
    return f"presence#{ref}"


def notification_queue_key(agent: str) -> str:
    """``notify#<sha256(agent)[:32]>``: an agent's pending notifications and the causes queued lately
    (one item per agent; agents/notifications.py)."""
    return f"notify#{address_hash(agent)[:32]}"


# -- schedules (EventBridge Scheduler, the desk's group) ---------------------------------------------------


def survey_schedule(ref: str, cycle: int) -> str:
    """``survey-<ref>-<cycle>``: the survey of one resolution; a reopen knows which to delete."""
    return f"survey-{ref}-{cycle}"


def sla_schedule(ref: str, kind: str, target: str, at: datetime) -> str:
    """``sla-<ref>-<w|b>-<fr|nr|re>-<time>``: one SLA timer (warning or breach of the first response,
    next response or resolution, due at ``time``). Never changed in place: a moved timer is a new
    schedule, so Scheduler deleting one after it fired never takes a newer one with it."""
    return f"sla-{ref}-{kind[0]}-{_TARGET_CODES[target]}-{at:%Y%m%dT%H%M%S}"


def notification_schedule(agent: str, due: datetime) -> str:
    """``notify-<sha256(agent)[:16]>-<time>``: the mail of an agent's notifications, due at ``time``.
    A new window is a new schedule, so Scheduler deleting a fired one never takes a newer one."""
    return f"notify-{address_hash(agent)[:16]}-{due:%Y%m%dT%H%M%S}"


_TARGET_CODES = {"first_response": "fr", "next_response": "nr", "resolution": "re"}


def automation_schedule(ref: str, purpose: str, at: datetime) -> str:
    """``auto-<ref>-<purpose>-<time>``: what the desk does by itself to a ticket at ``time``
    (``pending_reminder``, ``auto_resolve``, ``close``, ``snooze_end``; workflows/automations.py).
    One per ticket and purpose at a time; a moved one is a new schedule, as for the SLA timers."""
    return f"auto-{ref}-{purpose.replace('_', '-')}-{at:%Y%m%dT%H%M%S}"


def knowledge_review_schedule(day: date) -> str:
    """``kb-review-<yyyy-mm-dd>``: the daily knowledge review of that day (the desk's local day),
    targeting the ``automations`` function (purpose ``knowledge_review``): it tells owners of their
    newly flagged articles and makes the next day's schedule (workflows/knowledge_review.py)."""
    return f"kb-review-{day.isoformat()}"


def rules_schedule(ref: str, at: datetime) -> str:
    """``rules-<ref>-<time>``: the one timer of a ticket's time rules (the rules file's
    ``[[time_rule]]``), due at ``time`` when the earliest of them falls due (workflows/time_rules.py).
    A moved one is a new schedule, as for the SLA timers."""
    return f"rules-{ref}-{at:%Y%m%dT%H%M%S}"


# -- our own Message-IDs (SES gives each mail another; relays that keep ours are answered too) ------


def ticket_thread_id(ref: str, domain: str) -> str:
    """``<ticket.<ref>.postdesk@domain>``: the id every mail of a ticket carries in References. SES
    replaces our Message-ID, but clients copy References into their answers, so this still finds
    the ticket."""
    return f"<ticket.{ref.replace('-', '').lower()}.postdesk@{domain}>"


def ack_message_id(ses_id: str, domain: str) -> str:
    """``<ack.<hash>.postdesk@domain>``: the acknowledgement of one delivery."""
    return derived_message_id("ack", ses_id, domain)


def reply_message_id(ref: str, request_id: str, domain: str) -> str:
    """``<reply.<hash>.postdesk@domain>``: an agent's reply."""
    return derived_message_id("reply", f"{ref}:{request_id}", domain)


def forward_message_id(ref: str, forward: str, domain: str) -> str:
    """``<forward.<hash>.postdesk@domain>``: a forward to a third party (``forward`` is its
    :func:`forward_id`)."""
    return derived_message_id("forward", f"{ref}:{forward}", domain)


def survey_message_id(ref: str, cycle: int, domain: str) -> str:
    """``<survey.<hash>.postdesk@domain>``: the survey of one resolution."""
    return derived_message_id("survey", f"{ref}:{cycle}", domain)


def reminder_message_id(ref: str, waiting_since: datetime, domain: str) -> str:
    """``<reminder.<hash>.postdesk@domain>``: the reminder of one wait on the customer."""
    return derived_message_id("reminder", f"{ref}:{waiting_since:%Y%m%dT%H%M%S}", domain)


def closing_message_id(ref: str, cycle: int, domain: str) -> str:
    """``<closing.<hash>.postdesk@domain>``: the mail of a cycle the desk resolved by itself."""
    return derived_message_id("closing", f"{ref}:{cycle}", domain)


def notice_message_id(ref: str, notice_id: str, domain: str) -> str:
    """``<notice.<hash>.postdesk@domain>``: a notice to the team."""
    return derived_message_id("notice", f"{ref}:{notice_id}", domain)


def agent_notification_message_id(agent: str, due: datetime, domain: str) -> str:
    """``<agent-notify.<hash>.postdesk@domain>``: the mail of an agent's notifications for a window."""
    return derived_message_id("agent-notify", f"{address_hash(agent)}:{due:%Y%m%dT%H%M%S}", domain)


def account_mail_message_id(kind: str, digest: str, domain: str) -> str:
    """``<account-mail.<hash>.postdesk@domain>``: a mail about a person's account."""
    return derived_message_id("account-mail", f"{kind}:{digest}", domain)


def webhook_failing_message_id(webhook_id: str, day: date, admin: str, domain: str) -> str:
    """``<webhook-failing.<hash>.postdesk@domain>``: the mail telling an admin a webhook is failing."""
    return derived_message_id(
        "webhook-failing", f"{webhook_id}:{day.isoformat()}:{address_hash(admin)}", domain
    )


# -- thread messages (TicketLogTable ``M#<time>#<unique>``) -------------------------------------------------


def thread_message_key(at: datetime, unique: str) -> str:
    """``M#<time>#<unique>``: a message of a ticket's thread (``<ses id>`` for mail received,
    ``ack-<ses id>``, ``reply-<request>``, ``survey-<cycle>``, ``note-<request>``,
    ``forward-<forward id>`` for ours)."""
    return f"M#{to_iso(at)}#{unique}"


def event_key(at: datetime, event_id: str) -> str:
    """``E#<time>#<cause>``: an event of a ticket's log; its cause makes a retried write the same."""
    return f"E#{to_iso(at)}#{event_id}"
