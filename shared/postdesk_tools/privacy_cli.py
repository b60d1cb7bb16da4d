"""`postdesk privacy export EMAIL [--out FILE]` and `postdesk privacy erase EMAIL [--yes]
[--keep-suppression]`: a requester's right of access and right to erasure (docs/operations.md,
"Privacy")."""

from __future__ import annotations

import argparse
import getpass
import os
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TextIO

from postdesk.mail.recipients import InvalidAddress, normalize_address
from postdesk.privacy.records import PrivacyDesk
from postdesk.settings import Settings
from postdesk_tools.local_clock import local_clock


def add_privacy_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``privacy`` command, with ``export`` and ``erase``, to a set of sub-commands."""
    privacy = subparsers.add_parser(
        "privacy", help="a requester's rights: export what the desk holds about an address, or erase it"
    )
    _add_actions(privacy)


def _add_actions(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True)
    operator_help = "who does it, for the audit record (default: $POSTDESK_OPERATOR, or your user name)"
    export = actions.add_parser(
        "export", help="write everything held about an address to a zip (tickets, mail, attachments)"
    )
    export.add_argument("email", help="the requester's email address (any case)")
    export.add_argument("--out", help="the zip to write (default: postdesk-export-<id>.zip here)")
    export.add_argument("--operator", help=operator_help)
    erase = actions.add_parser(
        "erase", help="erase every ticket, mail, attachment, schedule and entry of an address"
    )
    erase.add_argument("email", help="the requester's email address (any case)")
    erase.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    erase.add_argument(
        "--keep-suppression",
        action="store_true",
        help="keep the address's suppression (a hash, never the address) so the desk never mails it again",
    )
    erase.add_argument("--operator", help=operator_help)


def run_privacy(
    argv: Sequence[str],
    settings: Settings,
    out: TextIO,
    answers: TextIO,
    now: Callable[[], datetime],
    desk: PrivacyDesk | None = None,
) -> int:
    """Run ``privacy`` with the arguments that follow it; 0 when done, 1 with a message on ``out``
    for an address that is not one or an erasure not confirmed."""
    parser = argparse.ArgumentParser(prog="postdesk privacy")
    _add_actions(parser)
    arguments = parser.parse_args(list(argv))
    address = arguments.email.strip()
    try:
        normalize_address(address)
    except InvalidAddress as error:
        print(f"error: {error}", file=out)
        return 1
    desk = desk or _desk(settings, now)
    operator = arguments.operator or os.environ.get("POSTDESK_OPERATOR") or getpass.getuser()
    if arguments.action == "export":
        return _export(address, desk, arguments.out, operator, out)
    return _erase(address, desk, operator, arguments.yes, arguments.keep_suppression, out, answers)


def _desk(settings: Settings, now: Callable[[], datetime]) -> PrivacyDesk:
    from postdesk import runtime
    from postdesk.privacy.records import privacy_desk

    # On the local stack, its clock (which `postdesk local advance` moves).
    clock = local_clock() or now
    return privacy_desk(settings, runtime.aws_ports(settings, _NoMetrics(), clock))


class _NoMetrics:
    def count(self, name: str, dimensions: dict[str, str] | None = None) -> None:
        return None

    def measure(self, name: str, seconds: float, dimensions: dict[str, str] | None = None) -> None:
        return None


def _export(address: str, desk: PrivacyDesk, out_path: str | None, operator: str, out: TextIO) -> int:
    from postdesk.privacy.export import export_to_file

    try:
        summary, path = export_to_file(address, desk, Path(out_path) if out_path else None, operator)
    except FileExistsError:
        print(f"error: {out_path} exists already; name another file with --out", file=out)
        return 1
    except OSError as error:
        # A folder that is not there, or not ours to write in: nothing was exported or recorded.
        where = error.filename or out_path or "the working folder"
        print(
            f"error: cannot write {where}: {error.strerror or error}; name another file with --out", file=out
        )
        return 1
    if summary.tickets:
        print(
            f"Wrote {path}: {summary.tickets} ticket(s), {summary.messages} message(s), "
            f"{summary.attachments} attachment(s), {summary.raw_mails} received mail(s).",
            file=out,
        )
    else:
        print(f"Wrote {path}: the desk holds no ticket of {address}.", file=out)
    if summary.missing:
        print(f"{summary.missing} file(s) had expired already; the manifest lists them.", file=out)
    print(f"Audit record: export#{summary.export_id}. Send the file only to the requester.", file=out)
    return 0


def _erase(
    address: str,
    desk: PrivacyDesk,
    operator: str,
    confirmed: bool,
    keep_suppression: bool,
    out: TextIO,
    answers: TextIO,
) -> int:
    from postdesk.privacy.erase import erase, preview

    if not confirmed:
        found = preview(address, desk)
        entry = " and its suppression-list entry" if found.suppression and not keep_suppression else ""
        print(
            f"This erases {found.tickets} ticket(s) of {address} with {found.messages} message(s), "
            f"their mail, attachments and schedules{entry}. It cannot be undone.",
            file=out,
        )
        print("Type yes to erase: ", end="", file=out, flush=True)
        if answers.readline().strip().lower() != "yes":
            print("Nothing was erased.", file=out)
            return 1
    report = erase(address, desk, operator, "cli", keep_suppression=keep_suppression)
    if report.nothing_found:
        print(f"Nothing about {address} was left to erase.", file=out)
    else:
        print(
            f"Erased {report.tickets} ticket(s) of {address}: {report.messages} message(s), "
            f"{report.events} event(s), {report.message_ids} Message-ID entries, {report.guards} guard(s), "
            f"{report.counters} counter(s), {report.objects} object(s) in the mail bucket "
            f"({report.exports} export(s)), {report.schedules} schedule(s).",
            file=out,
        )
    if report.suppression_kept:
        print("The suppression stays (a hash of the address): the desk will never mail it.", file=out)
    elif report.suppression_removed:
        print("The suppression-list entry was removed.", file=out)
    print(f"Audit record: erasure#{report.erasure_id} (no address in it).", file=out)
    return 0
