"""Mail ingested on eight threads at once in an interpreter of its own, as the local stack ingests it
(functions/app.py's ingest, its middleware included):
``python -m tests.integration.threaded_ingest``. Everything the desk prints (its log lines, the
metrics Powertools prints) follows the line ``=== ingest``; test_clean_logs.py reads it."""

from __future__ import annotations

import os
import sys
from concurrent.futures import ThreadPoolExecutor

from moto import mock_aws

THREADS = 8
MAILS_PER_THREAD = 12


def main() -> None:
    from postdesk_tools.local_stack import lambda_function
    from postdesk_tools.provision import provision
    from postdesk_tools.ses_events import store_and_describe
    from tests.mails import build_mail

    desk = provision("eu-west-1", "threads", "support@example.com", "Example Support")
    os.environ.update(desk.environment)
    settings = desk.settings
    # The ingest function as deployed (Powertools' middleware: its log context, its metrics flush),
    # invoked on threads as the local stack invokes it.
    ingest = lambda_function("ingest")
    words = ("billing", "login", "parcel", "refund", "invoice", "password", "account", "order")
    topics = (*words, "delivery", "warranty", "coupon", "address")

    def deliver_many(thread: int) -> None:
        for n in range(MAILS_PER_THREAD):
            sender = f"person.{words[thread]}.{topics[n]}@customer.example"
            raw = build_mail(sender=sender, subject=f"About my {topics[n]}", body=f"Hello from {sender}.")
            event = store_and_describe(
                raw,
                bucket=settings.mail_bucket,
                prefix=settings.raw_mail_prefix,
                region=settings.region,
                recipients=[settings.support_address],
                envelope_sender=sender,
            )
            ingest(event)

    print("=== ingest", flush=True)
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        list(pool.map(deliver_many, range(THREADS)))
    sys.stdout.flush()


if __name__ == "__main__":
    from postdesk_tools import moto_fit

    # As the local stack's moto: transactions one at a time, as DynamoDB runs each atomically.
    moto_fit.apply()
    with mock_aws():
        main()
