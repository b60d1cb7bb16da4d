"""One invocation of the Chalice app in an interpreter of its own, as a Lambda container runs it:
``python -m tests.integration.fresh_invocation api|ingest``. The desk is made on in-process moto and
a ticket written without the app (its metrics go nowhere); then exactly one invocation runs, and
everything it prints follows the line ``=== invocation``. test_function_metrics.py reads it."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from moto import mock_aws

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"


class _Uncounted:
    def count(self, name: str, dimensions: dict[str, str] | None = None) -> None:
        return None

    def measure(self, name: str, seconds: float, dimensions: dict[str, str] | None = None) -> None:
        return None


def main(what: str) -> None:
    from chalice.test import Client

    from postdesk.agents.model import Role
    from postdesk.agents.store import AgentStore
    from postdesk.handlers import deliveries_from_ses_event
    from postdesk.runtime import aws_ports
    from postdesk.workflows.ingest import ingest
    from postdesk_tools.provision import provision
    from postdesk_tools.ses_events import store_and_describe
    from tests.mails import build_mail

    desk = provision("eu-west-1", "fresh", "support@example.com", "Example Support")
    os.environ.update(desk.environment)
    settings = desk.settings

    def event(subject: str, message_id: str) -> dict[str, object]:
        return store_and_describe(
            build_mail(subject=subject, message_id=message_id),
            bucket=settings.mail_bucket,
            prefix=settings.raw_mail_prefix,
            region=settings.region,
            recipients=[settings.support_address],
            envelope_sender="jane.doe@customer.example",
        )

    (delivery,) = deliveries_from_ses_event(event("The first one", "<1@customer.example>"))
    ref = ingest(delivery, settings, aws_ports(settings, _Uncounted())).ref
    agents = AgentStore(settings.tables.agents, settings.region)
    _, token = agents.add("sam@example.com", "Sam Lee", Role.AGENT, delivery.received_at)

    sys.path.insert(0, str(FUNCTIONS))
    import app

    with Client(app.app, stage_name="dev", project_dir=str(FUNCTIONS)) as client:
        print("=== invocation", flush=True)
        if what == "api":
            answer = client.http.patch(
                f"/tickets/{ref}",
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                body=json.dumps({"version": 1, "priority": "high"}),
            )
            assert answer.status_code == 200, answer.body
        else:
            client.lambda_.invoke("ingest", event("Another one", "<2@customer.example>"))


if __name__ == "__main__":
    with mock_aws():
        main(sys.argv[1])
