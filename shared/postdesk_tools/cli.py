"""The `postdesk` command."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="postdesk", description="An email support desk on AWS serverless.")
    commands = parser.add_subparsers(dest="command", required=True)

    inspect = commands.add_parser(
        "inspect", help="show how the desk reads mail files (one JSON object per file)"
    )
    inspect.add_argument("paths", nargs="+", help="mail files or folders (walked recursively)")
    inspect.add_argument("--jsonl", action="store_true", help="one compact JSON object per line")

    commands.add_parser("demo", help="run the inbound path end to end on in-process moto and tell the story")

    from postdesk_tools.agents_cli import add_agents_parser

    add_agents_parser(commands)
    from postdesk_tools.report_cli import add_report_parser

    add_report_parser(commands)
    from postdesk_tools.privacy_cli import add_privacy_parser

    add_privacy_parser(commands)
    from postdesk_tools.knowledge_cli import add_knowledge_parser

    add_knowledge_parser(commands)
    local = commands.add_parser(
        "local",
        help="the whole desk on this machine (moto, SMTP, API, console); `local advance 24h` moves its clock",
        add_help=False,
    )
    local.add_argument("arguments", nargs=argparse.REMAINDER)
    deploy = commands.add_parser(
        "deploy",
        help="put the desk into an AWS account (`--dry-run`: build, check and print the plan without one)",
        add_help=False,
    )
    deploy.add_argument("arguments", nargs=argparse.REMAINDER)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _run(argv)
    except BrokenPipeError:
        # The reader of the output (`| head`, a pager) stopped reading: no error of the command's.
        # Standard output goes to /dev/null so that the interpreter's last flush does not fail too.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _run(argv: Sequence[str] | None) -> int:
    raw = list(sys.argv[1:] if argv is None else argv)
    if raw[:1] == ["local"]:
        # Its own options and sub-actions (`advance`, `status`) are parsed by the local stack.
        from postdesk_tools.local_stack import run_local

        return run_local(raw[1:], sys.stdout)
    if raw[:1] == ["deploy"]:
        # Its options (`--stage`, `--domain`, `--dry-run`, ...) are the deploy's own: `make deploy` runs it.
        from postdesk_tools.deploy import main as deploy

        return deploy(raw[1:], sys.stdout)
    # The desk's own log (JSON lines of what it did) is for its functions; a command says what it did
    # in words, and its output stays readable (and parseable: `report --json`). POWERTOOLS_LOG_LEVEL
    # set by hand still wins. Only for the command's own run: a caller in the same process (a test)
    # and the processes it starts afterwards keep their log.
    set_by_hand = "POWERTOOLS_LOG_LEVEL" in os.environ
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    try:
        return _command(raw)
    finally:
        if not set_by_hand:
            os.environ.pop("POWERTOOLS_LOG_LEVEL", None)


def _command(raw: list[str]) -> int:
    arguments = build_parser().parse_args(raw)
    if arguments.command in ("agents", "report", "privacy", "kb"):
        # From the checkout, these talk to the running local stack unless the environment names a desk.
        from postdesk_tools.local_stack import use_running_stack

        if use_running_stack() is None and not os.environ.get("POSTDESK_TICKETS_TABLE"):
            sys.stderr.write(
                f"postdesk {arguments.command}: no desk to talk to. Start the local one (`make local`), "
                "or set the environment of a deployed desk (POSTDESK_TICKETS_TABLE and the others).\n"
            )
            return 1
    if arguments.command == "inspect":
        from postdesk_tools.inspect import inspect_paths

        return inspect_paths(arguments.paths, jsonl=arguments.jsonl, out=sys.stdout)
    if arguments.command == "demo":
        from postdesk_tools.demo import run_demo

        return run_demo(out=sys.stdout)
    if arguments.command == "agents":
        from postdesk.clock import utc_now
        from postdesk.settings import Settings
        from postdesk_tools.agents_cli import run_agents

        return run_agents(raw[1:], Settings.from_environment(), sys.stdout, utc_now)
    if arguments.command == "report":
        from postdesk.clock import utc_now
        from postdesk.settings import Settings
        from postdesk_tools.report_cli import run_report

        return run_report(raw[1:], Settings.from_environment(), sys.stdout, utc_now)
    if arguments.command == "privacy":
        from postdesk.clock import utc_now
        from postdesk.settings import Settings
        from postdesk_tools.privacy_cli import run_privacy

        return run_privacy(raw[1:], Settings.from_environment(), sys.stdout, sys.stdin, utc_now)
    if arguments.command == "kb":
        from postdesk.clock import utc_now
        from postdesk.settings import Settings
        from postdesk_tools.knowledge_cli import run_knowledge

        return run_knowledge(raw[1:], Settings.from_environment(), sys.stdout, utc_now)
    return 2


if __name__ == "__main__":
    sys.exit(main())
