"""Agents' notifications by mail: an agent hears of what concerns them without looking (a ticket
assigned to them, the customer's answer on their ticket, a mention in a note, a new ticket in a queue
they watch, an SLA warning on their ticket), in at most one mail every few minutes.

Queueing: :func:`notify_agent` is the one way in (the triggers below, and other workflows: automatic
assignment, snooze, time rules). It checks that the address is an active agent's (so no customer is
ever mailed), that the agent is not the one who acted, and that their preferences want the kind;
then it queues the notification under its cause (a cause queued again is queued once:
agents/notifications.py). The first notification of a window makes a one-time Scheduler schedule
(``notify-<agent>-<time>``, effects/keys.py) a window later (``notification_window_minutes``, 5 by
default).

Sending: when the schedule fires, :func:`send_notifications` mails everything the agent had queued by
the window's end in ONE mail through the send-once mechanism (its guard is named after the agent and
the window, so a duplicate, concurrent or retried fire sends nothing more): one notification is a
short mail saying what happened with a link to the ticket; several are a digest listing each. The
mailed ones are then cleared; what was queued meanwhile opens the next window.

The triggers are driven from the ticket log's events, in one place: :func:`notify_for_change` is
called by ``workflows/timers.after_change`` with the events of every written change (assigned,
customer_replied, released, queue_changed, a new ticket), so a new way of assigning or answering
notifies without a hook of its own. Mentions come from the note's text (workflows/ticket_work.py
add_note) and SLA warnings from the fired timer (workflows/sla.py), which write no change through
``after_change``.

Each mail that goes out writes, with its record (in one transaction with its guard, so once), an
``agent_notified`` event on each ticket it spoke of: one line per agent and window, so the history
says who was told without burying what happened under every notification; the report counts the
notifications from them (tickets/stats.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from postdesk.agents.model import Agent, AgentNotFound
from postdesk.agents.notifications import (
    MAX_PER_MAIL,
    NotificationBox,
    NotificationKind,
    PendingNotification,
    cause_digest,
)
from postdesk.agents.store import normalize_email
from postdesk.aws.scheduler import OneTimeSchedule
from postdesk.clock import from_iso, to_iso
from postdesk.effects import keys
from postdesk.effects.send_once import OnceMail, Recording, SendOutcome, send_once
from postdesk.mail.compose import OutboundMail
from postdesk.mail.model import Address
from postdesk.observability import logger, mask_address
from postdesk.ports import Ports
from postdesk.settings import Settings
from postdesk.tickets.model import MessageKind, ThreadMessage, Ticket, TicketEvent

# What each kind says, as a mail's subject (one notification) and as a line of a digest.
_HEADLINES = {
    NotificationKind.ASSIGNED: "Assigned to you",
    NotificationKind.CUSTOMER_REPLIED: "The customer answered",
    NotificationKind.MENTIONED: "You were mentioned",
    NotificationKind.NEW_IN_QUEUE: "New ticket",
    NotificationKind.SLA_WARNING: "SLA warning",
    NotificationKind.SNOOZE_ENDED: "Snooze ended",
    NotificationKind.RULE: "Rule",
    NotificationKind.ARTICLE_FLAGGED: "Article needs a look",
}
# A mention: "@" not inside a word or an address, then a name of letters, digits and . _ - (not
# ending in a dot, so "@sam." at the end of a sentence is Sam).
_MENTION = re.compile(r"(?<![\w@.+-])@([a-z0-9](?:[a-z0-9._-]*[a-z0-9_])?)", re.IGNORECASE)
# A mention says where it comes from in a line of the note.
_EXCERPT_CHARS = 160


def box_of(settings: Settings) -> NotificationBox:
    return NotificationBox(settings.tables.agents, settings.tables.counters, settings.region)


def window_of(settings: Settings) -> timedelta:
    return timedelta(minutes=max(1, settings.notification_window_minutes))


def notify_agent(
    agent_email: str,
    kind: NotificationKind,
    ticket: Ticket,
    detail: str,
    settings: Settings,
    ports: Ports,
    *,
    cause_id: str,
    actor: str = "",
    actor_name: str = "",
) -> bool:
    """Queue a notification of ``kind`` about ``ticket`` for the agent ``agent_email``, once per
    ``cause_id`` (the same cause queued again, by a retry say, is queued once). Nothing is queued for
    an address that is not an active agent's, for the agent who acted (``actor``), for a kind the
    agent turned off, for a quarantined ticket, or for a ticket of a queue the agent does not
    belong to. True when it was queued now.

    Never raises: the change it is about is written already (a failure is logged and counted)."""
    if ticket.quarantine is not None or normalize_email(agent_email) == normalize_email(actor):
        return False
    now = ports.clock()
    notification = PendingNotification(
        cause=cause_id,
        kind=kind,
        ref=ticket.ref,
        subject=ticket.subject,
        at=now,
        queued_at=now,
        actor=actor_name or actor,
        detail=detail,
    )
    # A ticket of a queue they do not belong to is none of theirs to hear of (moved away since, say).
    return _queue_for(
        agent_email, notification, settings, ports, lambda agent: agent.sees_queue(ticket.queue)
    )


def notify_article_owner(
    owner: str,
    slug: str,
    language: str,
    title: str,
    detail: str,
    settings: Settings,
    ports: Ports,
    *,
    cause_id: str,
) -> bool:
    """Queue an ``article_flagged`` notification for the owner of the article ``slug`` (``detail``:
    why it needs a look; ``language``: the translation the console's editor opens), once per
    ``cause_id``, batched with the owner's other notifications. Nothing for an address that is not an
    active agent's or an owner who turned the kind off. True when it was queued now; never raises."""
    now = ports.clock()
    notification = PendingNotification(
        cause=cause_id,
        kind=NotificationKind.ARTICLE_FLAGGED,
        ref="",
        subject=title,
        at=now,
        queued_at=now,
        detail=detail,
        article=slug,
        article_language=language,
    )
    return _queue_for(owner, notification, settings, ports)


def _queue_for(
    agent_email: str,
    notification: PendingNotification,
    settings: Settings,
    ports: Ports,
    concerns: Callable[[Agent], bool] = lambda agent: True,
) -> bool:
    """Queue ``notification`` for ``agent_email`` when it is an active agent's whom it ``concerns``
    (see :func:`_queue`). True when it was queued now; never raises: what it is about is done
    already (a failure is logged and counted)."""
    try:
        address = normalize_email(agent_email)
        agent = _active_agent(address, ports) if address else None
        if agent is None or not concerns(agent):
            return False
        return _queue(address, notification, settings, ports)
    except Exception:
        logger.exception(
            "agent notification not queued",
            extra={"ref": notification.ref, "article": notification.article, "kind": notification.kind.value},
        )
        ports.metrics.count("AgentNotificationsFailed", {"step": "queue"})
        return False


def _queue(address: str, notification: PendingNotification, settings: Settings, ports: Ports) -> bool:
    """Queue ``notification`` for the agent ``address`` (checked already) if they want its kind,
    opening a window (and its schedule) when none is open. True when it was queued now."""
    box = box_of(settings)
    kind = notification.kind
    if not box.preferences(address).wants(kind):
        return False
    queued = box.queue(address, notification, notification.queued_at, window_of(settings))
    if not queued.new:
        return False
    ports.metrics.count("AgentNotificationsQueued", {"kind": kind.value})
    logger.info(
        "agent notification queued",
        extra={
            "ref": notification.ref,
            "article": notification.article,
            "kind": kind.value,
            "agent": mask_address(address),
        },
    )
    if queued.opened is not None:
        _schedule(address, queued.opened, box, settings, ports)
    return True


def _active_agent(address: str, ports: Ports) -> Agent | None:
    try:
        agent = ports.agents.get(address)
    except AgentNotFound:
        return None
    return agent if agent.active else None


def _schedule(agent: str, due: datetime, box: NotificationBox, settings: Settings, ports: Ports) -> None:
    """Make the schedule that mails ``agent``'s window ending at ``due``; when it cannot be made, the
    window is closed again, so the next notification tries anew."""
    scheduling = settings.scheduling
    try:
        # The SLA function is the desk's timer function: it sends these mails too (handlers.py).
        if not (scheduling.sla_function_arn and scheduling.role_arn):
            raise RuntimeError("the SLA function or the scheduler role is not configured")
        ports.scheduler.create_once(
            OneTimeSchedule(
                name=keys.notification_schedule(agent, due),
                at=due,
                target_arn=scheduling.sla_function_arn,
                role_arn=scheduling.role_arn,
                dead_letter_arn=scheduling.dead_letter_arn,
                payload=notification_payload(agent, due),
            )
        )
    except Exception:
        logger.exception("agent notification mail not scheduled", extra={"agent": mask_address(agent)})
        ports.metrics.count("AgentNotificationsFailed", {"step": "schedule"})
        box.close_window(agent, due)


def notification_payload(agent: str, due: datetime) -> dict[str, str]:
    return {"agent": agent, "due": to_iso(due)}


@dataclass(frozen=True, slots=True)
class NotificationRequest:
    """What a fired notification schedule carries."""

    agent: str
    due: datetime


def notification_request(event: Any) -> NotificationRequest | None:
    """The agent and window a fired schedule names; None for anything else."""
    if not isinstance(event, dict):
        return None
    agent, due = event.get("agent"), event.get("due")
    if not isinstance(agent, str) or not isinstance(due, str) or "@" not in agent:
        return None
    try:
        return NotificationRequest(normalize_email(agent), from_iso(due))
    except ValueError:
        return None


class NotifyOutcome(StrEnum):
    SENT = "sent"
    # An earlier attempt sent this window's mail (or may have: it crashed after sending).
    ALREADY_SENT = "already_sent"
    # The window is not (or no longer) the agent's open one, or nothing waits.
    STALE = "stale"
    # The agent is gone (revoked): what waited for them is dropped.
    NO_AGENT = "no_agent"
    SUPPRESSED = "suppressed"


def send_notifications(request: NotificationRequest, settings: Settings, ports: Ports) -> NotifyOutcome:
    """Mail the agent's notifications of the window ``request.due`` in one mail (see the module)."""
    box = box_of(settings)
    window = box.window(request.agent)
    if window.due != request.due or not window.pending:
        _reopen_if_waiting(request.agent, box, settings, ports)
        return NotifyOutcome.STALE
    now = ports.clock()
    # What was queued by the window's end (what came later waits for the next window): a retry after
    # a crash picks the same ones.
    carried = [n for n in window.pending if n.queued_at <= request.due][:MAX_PER_MAIL]
    if not carried:
        carried = list(window.pending[:MAX_PER_MAIL])
    tickets = {ref: ports.store.get_ticket(ref) for ref in dict.fromkeys(n.ref for n in carried if n.ref)}
    # A ticket erased (or merged away and gone) since is not spoken of; an article's notification
    # is about no ticket.
    mailed = [n for n in carried if n.article or tickets.get(n.ref) is not None]
    agent = _active_agent(request.agent, ports)
    outcome = NotifyOutcome.NO_AGENT if agent is None else NotifyOutcome.STALE
    if agent is not None and mailed:
        outcome = _mail(agent, mailed, tickets, request.due, settings, ports)
    logger.info(
        "agent notifications mailed",
        extra={"agent": mask_address(request.agent), "outcome": outcome.value, "count": len(mailed)},
    )
    remaining = box.clear(request.agent, request.due, (cause_digest(n.cause) for n in carried), now)
    if remaining:
        _reopen_if_waiting(request.agent, box, settings, ports)
    return outcome


def _mail(
    agent: Agent,
    notifications: Sequence[PendingNotification],
    tickets: Mapping[str, Ticket | None],
    due: datetime,
    settings: Settings,
    ports: Ports,
) -> NotifyOutcome:
    now = ports.clock()
    refs = list(dict.fromkeys(n.ref for n in notifications if n.ref))
    once = OnceMail(
        guard=keys.agent_notification_guard(agent.email, due),
        # A digest about several tickets belongs to none of them.
        ref=refs[0] if len(refs) == 1 else "-",
        mail=notification_mail(agent, notifications, due, settings, now),
        kind=MessageKind.TEAM_NOTICE,
        thread_unique=None,
        metric="AgentNotificationMailsSent",
        count_suppressed=False,
    )

    def told(_: ThreadMessage | None, __: Ticket | None) -> Recording:
        """An event on each ticket the mail spoke of (its history says who was told, and the report
        counts them), written with the mail's record: counted once, whatever is retried."""
        events = []
        for ref in refs:
            ticket = tickets.get(ref)
            if ticket is None or ticket.expires_at is not None:
                continue  # A closed ticket's log items carry its expiry: nothing is added to it.
            kinds = [n.kind.value for n in notifications if n.ref == ref]
            events.append(
                TicketEvent(
                    ref=ref,
                    at=now,
                    kind="agent_notified",
                    event_id=f"notify:{keys.recipient_tag(agent.email)}:{due:%Y%m%dT%H%M%S}",
                    actor="notifications",
                    detail={"agent": agent.email, "name": agent.name, "kinds": ",".join(kinds)},
                )
            )
        return Recording(events)

    result = send_once(once, ports, told)
    if result.outcome is SendOutcome.SENT:
        for notification in notifications:
            ports.metrics.count("AgentNotificationsSent", {"kind": notification.kind.value})
        return NotifyOutcome.SENT
    if result.outcome is SendOutcome.SUPPRESSED:
        logger.warning(
            "an agent's address is on the suppression list", extra={"agent": mask_address(agent.email)}
        )
        ports.metrics.count("AgentNotificationsFailed", {"step": "suppressed"})
        return NotifyOutcome.SUPPRESSED
    return NotifyOutcome.ALREADY_SENT


def _reopen_if_waiting(agent: str, box: NotificationBox, settings: Settings, ports: Ports) -> None:
    """Open the next window when notifications wait without one (queued while a mail went out)."""
    window = box.window(agent)
    if window.pending and window.due is None:
        opened = box.open_window(agent, ports.clock() + window_of(settings))
        if opened is not None:
            _schedule(agent, opened, box, settings, ports)


# -- the mail ----------------------------------------------------------------------------------------


def ticket_link(ref: str, settings: Settings) -> str:
    """Where the console shows the ticket; signing in from it lands there (the sign-in keeps it)."""
    return f"{settings.survey.public_url}/console#/tickets/{ref}" if settings.survey.public_url else ""


def _link(notification: PendingNotification, settings: Settings) -> str:
    """Where the console shows what ``notification`` is about: the ticket, or the article's editor."""
    if notification.article:
        if not settings.survey.public_url:
            return ""
        language = f"/{notification.article_language}" if notification.article_language else ""
        return f"{settings.survey.public_url}/console#/knowledge/{notification.article}{language}"
    return ticket_link(notification.ref, settings)


def notification_mail(
    agent: Agent,
    notifications: Sequence[PendingNotification],
    due: datetime,
    settings: Settings,
    now: datetime,
) -> OutboundMail:
    """One mail to ``agent``: a short one for one notification, a digest for several. From the
    desk's main address, marked automatic (RFC 3834), to the agent's address only."""
    if len(notifications) == 1:
        only = notifications[0]
        about = f"[#{only.ref}] " if only.ref else ""
        subject = f"{about}{_HEADLINES[only.kind]}: {only.subject}"
        body = [sentence(only), *_quoted(only), "", _link(only, settings)]
    else:
        about = " and ".join(
            name
            for name, present in (
                ("tickets", any(n.ref for n in notifications)),
                ("articles", any(n.article for n in notifications)),
            )
            if present
        )
        subject = f"{len(notifications)} updates on your {about}"
        where = f"on {about}"
        body = [f"{len(notifications)} things happened {where} since the last mail:", ""]
        for notification in notifications:
            body += [f"- {sentence(notification)}", *(f"  {line}" for line in _quoted(notification))]
            link = _link(notification, settings)
            body += [f"  {link}" if link else "", ""]
    settings_link = (
        f"{settings.survey.public_url}/console#/notifications" if settings.survey.public_url else ""
    )
    footer = [
        "",
        "--",
        "Answering this mail does not reach the ticket: open it in the console.",
        f"Choose which notifications you get: {settings_link}" if settings_link else "",
    ]
    return OutboundMail(
        sender=Address(settings.support_name, settings.support_address),
        to=(Address(agent.name, agent.email),),
        subject=subject[:250],
        text="\n".join([*body, *footer]).rstrip() + "\n",
        html=None,
        message_id=keys.agent_notification_message_id(agent.email, due, settings.support_domain),
        date=now,
        auto_submitted="auto-generated",
        extra_headers=(("X-Auto-Response-Suppress", "All"),),
    )


def sentence(notification: PendingNotification) -> str:
    """What happened, in words."""
    ref, subject, who = notification.ref, notification.subject, notification.actor or "The desk"
    ticket = f"ticket {ref} ({subject})"
    match notification.kind:
        case NotificationKind.ASSIGNED:
            return f"{who} assigned {ticket} to you."
        case NotificationKind.CUSTOMER_REPLIED:
            return f"The customer answered on {ticket}, assigned to you."
        case NotificationKind.MENTIONED:
            return f"{who} mentioned you in a note on {ticket}:"
        case NotificationKind.NEW_IN_QUEUE:
            return f"New {ticket} in the queue {notification.detail}, which you watch."
        case NotificationKind.SLA_WARNING:
            return f"SLA warning on {ticket}, assigned to you: {notification.detail}."
        case NotificationKind.SNOOZE_ENDED:
            return f"The snooze of {ticket} ended: it is open again."
        case NotificationKind.ARTICLE_FLAGGED:
            article = f"\u201c{subject}\u201d ({notification.article})"
            return f"Your help-center article {article} needs a look: {notification.detail}"
        case _:
            return f"{notification.detail or 'A rule'}: {ticket}."


def _quoted(notification: PendingNotification) -> list[str]:
    """The lines quoted under the sentence (the note that mentions)."""
    if notification.kind is NotificationKind.MENTIONED and notification.detail:
        return [f"> {notification.detail}"]
    return []


# -- triggers ----------------------------------------------------------------------------------------


def notify_for_change(
    before: Ticket | None, after: Ticket, settings: Settings, ports: Ports, events: Sequence[TicketEvent]
) -> None:
    """Queue the notifications a written change makes, from its events: an assignment tells the new
    assignee, a customer's answer tells the assignee, a new (or released) ticket, or one moved into
    a queue, tells those who watch the queue. Never the one who acted."""
    if after.quarantine is not None:
        return
    for event in events:
        if event.kind == "assigned" and event.detail.get("to"):
            notify_agent(
                event.detail["to"],
                NotificationKind.ASSIGNED,
                after,
                "",
                settings,
                ports,
                cause_id=f"assigned:{after.ref}:{event.event_id}",
                actor=event.actor or "",
                actor_name=_name_of(event.actor, ports),
            )
        elif event.kind == "customer_replied" and after.assignee:
            notify_agent(
                after.assignee,
                NotificationKind.CUSTOMER_REPLIED,
                after,
                "",
                settings,
                ports,
                cause_id=f"customer_replied:{after.ref}:{event.event_id}",
            )
        elif event.kind == "queue_changed" and event.detail.get("to"):
            _notify_watchers(after, settings, ports, f"moved:{after.ref}:{event.event_id}", event.actor or "")
        elif event.kind == "released":
            _notify_watchers(after, settings, ports, f"new:{after.ref}", event.actor or "")
    if before is None:
        created = next((event for event in events if event.kind == "ticket_created"), None)
        actor = created.actor if created is not None and created.actor else ""
        _notify_watchers(after, settings, ports, f"new:{after.ref}", actor)


def _notify_watchers(ticket: Ticket, settings: Settings, ports: Ports, cause: str, actor: str) -> None:
    try:
        watchers = [
            email
            for email, prefs in box_of(settings).all_preferences().items()
            if ticket.queue in prefs.queues
        ]
    except Exception:
        logger.exception("queue watchers not read", extra={"ref": ticket.ref})
        ports.metrics.count("AgentNotificationsFailed", {"step": "watchers"})
        return
    for email in watchers:
        notify_agent(
            email,
            NotificationKind.NEW_IN_QUEUE,
            ticket,
            ticket.queue,
            settings,
            ports,
            cause_id=cause,
            actor=actor,
            actor_name=_name_of(actor, ports),
        )


def _name_of(actor: str | None, ports: Ports) -> str:
    """An agent's name for the mail (the address when it is none of an agent: a rule, the SLA)."""
    if not actor or "@" not in actor:
        return actor or ""
    agent = _active_agent(normalize_email(actor), ports)
    return agent.name if agent is not None else actor


def notify_sla_timer(
    before: Ticket, after: Ticket, breach: bool, headline: str, run: str, settings: Settings, ports: Ports
) -> None:
    """After a fired SLA timer: a warning tells the assignee (``headline``: the target due soon); a
    breach whose escalation named a new assignee tells them they have it."""
    if not breach and after.assignee:
        notify_agent(
            after.assignee,
            NotificationKind.SLA_WARNING,
            after,
            headline,
            settings,
            ports,
            cause_id=f"sla:warning:{after.ref}:{run}",
        )
    elif breach and after.assignee and after.assignee != before.assignee:
        notify_agent(
            after.assignee,
            NotificationKind.ASSIGNED,
            after,
            "",
            settings,
            ports,
            cause_id=f"sla:escalated:{after.ref}:{run}",
            actor="sla",
            actor_name="The SLA policy's escalation",
        )


# -- mentions ----------------------------------------------------------------------------------------


def mention_names(text: str) -> list[str]:
    """The names ``text`` mentions (``@sam``, ``@sam.lee``, ``@s.lee``), lower case, in order, once
    each; an address (``sam@example.com``) mentions nobody."""
    return list(dict.fromkeys(match.group(1).lower() for match in _MENTION.finditer(text)))


def resolve_mentions(names: Iterable[str], agents: Iterable[Agent]) -> list[Agent]:
    """The active agents ``names`` mention: a name is an agent's first name, their first and last
    names joined by a dot, or the part of their address before the @. A name several agents answer to
    mentions the one whose address or full name it is, else nobody (it cannot tell whom)."""
    active = [agent for agent in agents if agent.active]
    found: dict[str, Agent] = {}
    for name in names:
        exact = [agent for agent in active if name in _exact_names(agent)]
        loose = [agent for agent in active if name == _first_name(agent)]
        chosen = exact if exact else loose
        if len(chosen) == 1:
            found.setdefault(chosen[0].email, chosen[0])
    return list(found.values())


def _exact_names(agent: Agent) -> set[str]:
    words = [word for word in re.split(r"\s+", agent.name.strip().lower()) if word]
    names = {agent.email.split("@", 1)[0]}
    if len(words) > 1:
        names |= {".".join(words), f"{words[0]}.{words[-1]}"}
    return names


def _first_name(agent: Agent) -> str:
    words = agent.name.strip().lower().split()
    return words[0] if words else ""


def notify_mentions(
    ticket: Ticket, text: str, note_id: str, actor: str, actor_name: str, settings: Settings, ports: Ports
) -> list[str]:
    """Tell each agent the note ``text`` mentions (never its author); the addresses told."""
    names = mention_names(text)
    if not names:
        return []
    try:
        mentioned = resolve_mentions(names, ports.agents.list())
    except Exception:
        logger.exception("mentions not resolved", extra={"ref": ticket.ref})
        ports.metrics.count("AgentNotificationsFailed", {"step": "mentions"})
        return []
    told = []
    excerpt = " ".join(text.split())
    excerpt = excerpt if len(excerpt) <= _EXCERPT_CHARS else excerpt[: _EXCERPT_CHARS - 1] + "…"
    for agent in mentioned:
        if notify_agent(
            agent.email,
            NotificationKind.MENTIONED,
            ticket,
            excerpt,
            settings,
            ports,
            cause_id=f"mention:{ticket.ref}:{note_id}",
            actor=actor,
            actor_name=actor_name,
        ):
            told.append(agent.email)
    return told
