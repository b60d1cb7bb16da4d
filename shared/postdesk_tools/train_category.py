"""Train the category model shipped as ``postdesk/triage/data/category_model.json.gz``.

    .venv/bin/python -m postdesk_tools.train_category [--corpora DIR] [--out FILE]

Data (see docs/triage.md for the label mappings): the tickets corpus ``tickets-tobi-bueck-en-de``
(its ``queue`` column mapped to the taxonomy), minus a held-out fifth chosen by a hash of the body
so that it is the same on every machine and never trained on; plus BANKING77 ``train.csv`` (its 77
intents mapped to the taxonomy; its ``test.csv`` is never trained on). The learner is multinomial
logistic regression over hashed word and word-pair features (``classify.features``), fitted by plain
stochastic gradient descent with a fixed seed: the same data gives the same file, byte for byte.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import math
import os
import random
import sys
import zlib
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from postdesk.triage.classify import MODEL_PATH, CategoryModel, bucket, features
from postdesk.triage.rules import CATEGORIES

TICKETS = "tickets-tobi-bueck-en-de"
BANKING = "intent-banking77"
SEED = 20240601
BUCKETS = 1 << 15
EPOCHS = 25
LEARNING_RATE = 0.6
L2 = 1e-6
# Weights smaller than this change no decision and only grow the file.
PRUNE_BELOW = 0.02
HELD_OUT_FIFTH = 0

TICKET_QUEUE_TO_CATEGORY = {
    "Billing and Payments": "billing",
    "Technical Support": "technical",
    "Product Support": "technical",
    "IT Support": "technical",
    "Service Outages and Maintenance": "technical",
    "Returns and Exchanges": "orders",
    "Sales and Pre-Sales": "orders",
    "Customer Service": "general",
    "General Inquiry": "general",
    "Human Resources": "general",
}
TICKET_PRIORITY_TO_PRIORITY = {"low": "low", "medium": "normal", "high": "high"}

_BANKING_BILLING = (
    "automatic_top_up balance_not_updated_after_bank_transfer "
    "balance_not_updated_after_cheque_or_cash_deposit "
    "beneficiary_not_allowed cancel_transfer card_payment_fee_charged card_payment_not_recognised "
    "card_payment_wrong_exchange_rate cash_withdrawal_charge cash_withdrawal_not_recognised "
    "declined_card_payment declined_cash_withdrawal declined_transfer direct_debit_payment_not_recognised "
    "exchange_charge exchange_via_app extra_charge_on_statement failed_transfer pending_card_payment "
    "pending_cash_withdrawal pending_top_up pending_transfer Refund_not_showing_up receiving_money "
    "request_refund reverted_card_payment? top_up_by_bank_transfer_charge top_up_by_card_charge "
    "top_up_by_cash_or_cheque top_up_failed top_up_reverted topping_up_by_card transaction_charged_twice "
    "transfer_fee_charged transfer_into_account transfer_not_received_by_recipient transfer_timing "
    "verify_top_up wrong_amount_of_cash_received wrong_exchange_rate_for_cash_withdrawal"
)
_BANKING_ACCOUNT = (
    "age_limit change_pin compromised_card edit_personal_details lost_or_stolen_card lost_or_stolen_phone "
    "passcode_forgotten pin_blocked terminate_account unable_to_verify_identity verify_my_identity "
    "verify_source_of_funds why_verify_identity"
)
_BANKING_TECHNICAL = (
    "apple_pay_or_google_pay card_linking card_not_working card_swallowed contactless_not_working "
    "virtual_card_not_working"
)
_BANKING_ORDERS = (
    "activate_my_card card_about_to_expire card_arrival card_delivery_estimate get_disposable_virtual_card "
    "get_physical_card getting_spare_card getting_virtual_card order_physical_card"
)
_BANKING_GENERAL = (
    "atm_support card_acceptance country_support disposable_card_limits exchange_rate fiat_currency_support "
    "supported_cards_and_currencies top_up_limits visa_or_mastercard"
)
BANKING_INTENT_TO_CATEGORY = {
    intent: category
    for category, intents in (
        ("billing", _BANKING_BILLING),
        ("account", _BANKING_ACCOUNT),
        ("technical", _BANKING_TECHNICAL),
        ("orders", _BANKING_ORDERS),
        ("general", _BANKING_GENERAL),
    )
    for intent in intents.split()
}


@dataclass(frozen=True, slots=True)
class Example:
    subject: str
    text: str
    language: str
    category: str
    priority: str | None = None
    source: str = TICKETS


def default_corpora() -> Path:
    """``POSTDESK_CORPORA`` or ``../shared/corpora`` beside the repository, as the tests use."""
    repository = Path(__file__).resolve().parents[2]
    return Path(os.environ.get("POSTDESK_CORPORA", repository.parent / "shared" / "corpora"))


def is_held_out(body: str) -> bool:
    """A ticket is in the held-out fifth by a hash of its body: stable across files, orders and runs."""
    return zlib.crc32(body.encode("utf-8")) % 5 == HELD_OUT_FIFTH


def ticket_examples(corpora: Path, *, held_out: bool) -> list[Example]:
    """The tickets of the training part (``held_out=False``) or the held-out part, labels mapped."""
    examples = []
    for path in sorted((corpora / TICKETS).glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as stream:
            for row in csv.DictReader(stream):
                # The corpus writes line breaks inside bodies as a literal backslash-n.
                body = row["body"].replace("\\n", "\n")
                category = TICKET_QUEUE_TO_CATEGORY.get(row["queue"])
                if category is None or is_held_out(body) != held_out:
                    continue
                examples.append(
                    Example(
                        subject=row["subject"],
                        text=body,
                        language=row["language"],
                        category=category,
                        priority=TICKET_PRIORITY_TO_PRIORITY.get(row["priority"]),
                    )
                )
    return examples


def banking_examples(corpora: Path, split: str) -> list[Example]:
    """BANKING77 ``train`` or ``test`` queries (English, no subject), intents mapped to the taxonomy."""
    with (corpora / BANKING / f"{split}.csv").open(encoding="utf-8", newline="") as stream:
        return [
            Example(
                subject="",
                text=row["text"],
                language="en",
                category=BANKING_INTENT_TO_CATEGORY[row["category"]],
                source=BANKING,
            )
            for row in csv.DictReader(stream)
        ]


def _hashed(example: Example) -> list[tuple[int, float]]:
    merged: dict[int, float] = {}
    for name, value in features(example.subject, example.text).items():
        index = bucket(name, BUCKETS)
        merged[index] = merged.get(index, 0.0) + value
    return sorted(merged.items())


def _sample_weights(examples: Sequence[Example]) -> dict[Example, float]:
    """Weights averaging 1 over all examples, equal in total per (source, category) within a source."""
    per_source = Counter(example.source for example in examples)
    per_pair = Counter((example.source, example.category) for example in examples)
    categories_in = Counter(source for source, _ in per_pair)
    return {
        example: len(examples)
        / (len(per_source) * categories_in[example.source] * per_pair[(example.source, example.category)])
        for example in examples
    }


def train(examples: Sequence[Example], *, seed: int = SEED, epochs: int = EPOCHS) -> CategoryModel:
    """Fit the model. Each source weighs as much as the others, and within a source each category as
    much as the others: BANKING77's many short queries must not drown the tickets, nor a frequent
    category the rare ones."""
    classes = tuple(category for category in CATEGORIES if any(e.category == category for e in examples))
    index_of = {category: index for index, category in enumerate(classes)}
    counts = Counter(example.category for example in examples)
    weight = _sample_weights(examples)
    samples = [(_hashed(example), index_of[example.category], weight[example]) for example in examples]
    weights = [[0.0] * len(classes) for _ in range(BUCKETS)]
    bias = [0.0] * len(classes)
    generator = random.Random(seed)  # noqa: S311 - a reproducible shuffle, not a secret
    for epoch in range(epochs):
        generator.shuffle(samples)
        rate = LEARNING_RATE / (1.0 + epoch)
        for vector, target, sample_weight in samples:
            scores = list(bias)
            for index, value in vector:
                row = weights[index]
                for klass in range(len(classes)):
                    scores[klass] += row[klass] * value
            peak = max(scores)
            exps = [math.exp(score - peak) for score in scores]
            total = sum(exps)
            for klass in range(len(classes)):
                gradient = sample_weight * (exps[klass] / total - (1.0 if klass == target else 0.0))
                bias[klass] -= rate * gradient
                for index, value in vector:
                    row = weights[index]
                    row[klass] -= rate * (gradient * value + L2 * row[klass])
    kept = {
        index: tuple(round(value, 4) for value in row)
        for index, row in enumerate(weights)
        if max(abs(value) for value in row) >= PRUNE_BELOW
    }
    return CategoryModel(
        classes=classes,
        buckets=BUCKETS,
        bias=tuple(round(value, 4) for value in bias),
        weights=kept,
        languages=frozenset(sorted({example.language for example in examples})),
        meta={
            "seed": seed,
            "epochs": epochs,
            "trained_on": dict(sorted(counts.items())),
            "sources": [TICKETS + " (not held out)", BANKING + "/train.csv"],
        },
    )


def save(model: CategoryModel, path: Path) -> None:
    """Gzipped JSON without a name or time in the header, so that the same model is the same bytes."""
    payload = json.dumps(model.to_json(), separators=(",", ":"), sort_keys=True).encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as raw, gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0) as stream:
        stream.write(payload)


def accuracy(model: CategoryModel, examples: Sequence[Example]) -> float:
    hits = sum(model.predict(example.subject, example.text)[0] == example.category for example in examples)
    return hits / len(examples) if examples else 0.0


def _training_set(corpora: Path) -> Iterator[Example]:
    yield from ticket_examples(corpora, held_out=False)
    yield from banking_examples(corpora, "train")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", type=Path, default=default_corpora(), help="folder holding the corpora")
    parser.add_argument("--out", type=Path, default=MODEL_PATH, help="where to write the model")
    arguments = parser.parse_args(argv)
    if not (arguments.corpora / TICKETS).is_dir() or not (arguments.corpora / BANKING).is_dir():
        print(f"corpora {TICKETS} and {BANKING} not found under {arguments.corpora}", file=sys.stderr)
        return 2
    examples = list(_training_set(arguments.corpora))
    model = train(examples)
    save(model, arguments.out)
    held_out = ticket_examples(arguments.corpora, held_out=True)
    banking_test = banking_examples(arguments.corpora, "test")
    print(
        f"trained on {len(examples)} examples, {len(model.weights)} of {BUCKETS} buckets kept, "
        f"{arguments.out.stat().st_size} bytes -> {arguments.out}\n"
        f"accuracy: tickets held-out {accuracy(model, held_out):.3f} ({len(held_out)}), "
        f"BANKING77 test {accuracy(model, banking_test):.3f} ({len(banking_test)})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
