"""Category, priority, queue and tags of an inbound mail: operator rules first, then a small linear
model (en/de, where it was trained), then multilingual keywords; a decision below the confidence
threshold goes to the triage queue with the reason. Pure Python: the model is plain weights in a
gzipped JSON file beside this module, loaded once per process on first use, no numpy.
"""

from __future__ import annotations

import gzip
import itertools
import json
import math
import re
import zlib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

from postdesk.tickets.model import PRIORITIES
from postdesk.triage.knowledge import is_stop_word
from postdesk.triage.rules import CATEGORIES, TriageRules, find_terms, fold, load_rules
from postdesk.triage.sentiment import Sentiment, detect_sentiment

MODEL_PATH = Path(__file__).resolve().parent / "data" / "category_model.json.gz"
MODEL_FORMAT = 1
# Long mails say what they are about early; the tail is signatures, logs and pasted output.
_MAX_CHARS = 4000
_WORD = re.compile(r"[^\W\d_]{2,}")
_KEYWORD_BASE_CONFIDENCE = 0.45


@dataclass(frozen=True, slots=True)
class Triage:
    category: str  # one of the taxonomy keys (rules.CATEGORIES)
    priority: str  # "low" | "normal" | "high" | "urgent"
    queue: str
    tags: tuple[str, ...]
    confidence: float  # 0..1 of the category decision
    explanation: str  # which rule matched, or "model" with its top features, or why it went to triage
    sentiment: Sentiment
    # True when an operator's rule named the queue (it then stands over the queue of the address the
    # mail came to; workflows/ingest.py).
    queue_by_rule: bool = False


@dataclass(frozen=True, slots=True)
class CategoryDecision:
    """A category with its confidence and why; ``source`` is "rule", "model", "keywords" or "none"."""

    category: str
    confidence: float
    explanation: str
    source: str
    priority: str | None = None
    queue: str | None = None
    tags: tuple[str, ...] = ()


def features(subject: str, text: str) -> dict[str, float]:
    """Word and word-pair features of a mail (folded, letters only), log-scaled counts, unit length."""
    words = _WORD.findall(fold(f"{subject}\n{text[:_MAX_CHARS]}"))
    counts = Counter(words)
    counts.update(f"{first} {second}" for first, second in itertools.pairwise(words))
    weights = {name: 1.0 + math.log(count) for name, count in counts.items()}
    norm = math.sqrt(sum(weight * weight for weight in weights.values())) or 1.0
    return {name: weight / norm for name, weight in weights.items()}


def bucket(feature: str, buckets: int) -> int:
    """The hashed index of a feature: CRC-32, stable across processes (``hash()`` is salted)."""
    return zlib.crc32(feature.encode("utf-8")) % buckets


@dataclass(frozen=True, slots=True)
class CategoryModel:
    """Multinomial logistic regression over hashed features; weights kept sparse per bucket."""

    classes: tuple[str, ...]
    buckets: int
    bias: tuple[float, ...]
    weights: Mapping[int, tuple[float, ...]]  # bucket -> one weight per class
    languages: frozenset[str]
    meta: Mapping[str, Any]

    def predict(self, subject: str, text: str) -> tuple[str, float, tuple[str, ...]]:
        """The most probable class, its probability, and the three features that pushed it most."""
        scores = list(self.bias)
        contributions: list[tuple[str, int, float]] = []
        for name, value in features(subject, text).items():
            row = self.weights.get(bucket(name, self.buckets))
            if row is None:
                continue
            for index, weight in enumerate(row):
                scores[index] += weight * value
            contributions.append((name, bucket(name, self.buckets), value))
        top = max(range(len(scores)), key=scores.__getitem__)
        peak = scores[top]
        total = sum(math.exp(score - peak) for score in scores)
        pushes = sorted(
            ((self.weights[index][top] * value, name) for name, index, value in contributions),
            reverse=True,
        )
        return self.classes[top], 1.0 / total, tuple(name for push, name in pushes[:3] if push > 0)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": MODEL_FORMAT,
            "classes": list(self.classes),
            "buckets": self.buckets,
            "languages": sorted(self.languages),
            "bias": [round(value, 4) for value in self.bias],
            "weights": {
                str(index): [round(value, 4) for value in row] for index, row in self.weights.items()
            },
            "meta": dict(self.meta),
        }

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> CategoryModel:
        if document.get("format") != MODEL_FORMAT:
            raise ValueError(f"category model format {document.get('format')!r}, expected {MODEL_FORMAT}")
        classes = tuple(document["classes"])
        return cls(
            classes=classes,
            buckets=int(document["buckets"]),
            bias=tuple(float(value) for value in document["bias"]),
            weights={int(index): tuple(row) for index, row in document["weights"].items()},
            languages=frozenset(document["languages"]),
            meta=document.get("meta", {}),
        )


def load_model(path: str | Path | None = None) -> CategoryModel:
    """The category model in ``path`` (default: the shipped one); the default is read once per process."""
    if path is None:
        return _shipped_model()
    with gzip.open(path, "rt", encoding="utf-8") as stream:
        return CategoryModel.from_json(json.load(stream))


@cache
def _shipped_model() -> CategoryModel:
    return load_model(MODEL_PATH)


def rule_decision(
    *, subject: str, text: str, language: str, sender: str, rules: TriageRules
) -> CategoryDecision | None:
    """The first operator rule that matches, or None."""
    folded = fold(f"{subject}\n{text}")
    domain = sender.strip().strip("<>").rpartition("@")[2].lower()
    for rule in rules.rules:
        evidence = rule.match(folded, f"{subject}\n{text}", language, domain)
        if evidence is not None:
            return CategoryDecision(
                category=rule.category,
                confidence=1.0,
                explanation=f'rule "{rule.name}": {evidence}',
                source="rule",
                priority=rule.priority,
                queue=rule.queue,
                tags=rule.tags,
            )
    return None


def keyword_decision(
    *, subject: str, text: str, language: str, rules: TriageRules
) -> CategoryDecision | None:
    """The category whose keyword list (all languages together) has the most distinct hits, or None.

    Confidence grows with the winner's share of all hits and with how many hits it has; ties between
    categories are reported as such and land below any sensible threshold.
    """
    folded = fold(f"{subject}\n{text[:_MAX_CHARS]}")
    hits = {category: find_terms(pattern, folded) for category, pattern in rules.keywords.items()}
    hits = {category: found for category, found in hits.items() if found}
    if not hits:
        return None
    ranked = sorted(hits, key=lambda category: (-len(hits[category]), CATEGORIES.index(category)))
    winner = ranked[0]
    share = len(hits[winner]) / sum(len(found) for found in hits.values())
    strength = min(1.0, _KEYWORD_BASE_CONFIDENCE + 0.15 * len(hits[winner]))
    confidence = share * strength
    if language not in rules.model_languages:
        confidence *= rules.unmodelled_language_factor
    seen = ", ".join(f'"{term}"' for term in hits[winner][:3])
    return CategoryDecision(
        category=winner,
        confidence=round(confidence, 3),
        explanation=f"keywords ({language}): {seen}",
        source="keywords",
    )


def model_decision(
    *, subject: str, text: str, language: str, model: CategoryModel
) -> CategoryDecision | None:
    """The model's category for a language it was trained on, else None."""
    if language not in model.languages:
        return None
    category, probability, top = model.predict(subject, text)
    shown = ", ".join(f'"{name}"' for name in top) or "no strong feature"
    return CategoryDecision(
        category=category,
        confidence=round(probability, 3),
        explanation=f"model ({language}, p={probability:.2f}): top features {shown}",
        source="model",
    )


# Below this the model is unsure enough that keywords that agree with each other strongly may overrule it.
_MODEL_DOUBT = 0.75


def decide_category(
    *,
    subject: str,
    text: str,
    language: str,
    sender: str,
    rules: TriageRules,
    model: CategoryModel | None,
) -> CategoryDecision:
    """Rules, then the model where it knows the language, then keywords; "general" when nothing speaks.

    Keywords also overrule the model when the model is unsure (below the low-confidence threshold)
    and they are sure (at or above it): a short mail gives the model few features to go on.
    """
    decision = rule_decision(subject=subject, text=text, language=language, sender=sender, rules=rules)
    if decision is not None:
        return decision
    if model is not None:
        decision = model_decision(subject=subject, text=text, language=language, model=model)
    keywords = keyword_decision(subject=subject, text=text, language=language, rules=rules)
    if keywords is not None and (
        decision is None
        or (decision.confidence < rules.low_confidence <= keywords.confidence)
        or (
            decision.confidence < _MODEL_DOUBT <= keywords.confidence
            and keywords.confidence > decision.confidence
        )
    ):
        if decision is not None:
            keywords = replace(keywords, explanation=f"{keywords.explanation} (over {decision.explanation})")
        decision = keywords
    if decision is None:
        return CategoryDecision("general", 0.0, f"no rule, model or keyword matched ({language})", "none")
    return decision


# How an explanation built above names its evidence; ``plain_explanation`` reads them back, so that
# tickets stored before it existed get the plain line too.
_QUOTED_LIST = r'"[^"]*"(?:, "[^"]*")*'
_EVIDENCE = re.compile(
    rf'(?P<rule>rule "(?P<name>[^"]*)")'
    rf"|keywords \((?P<keywords_language>[a-z]+)\): (?P<keywords>{_QUOTED_LIST})"
    rf"|model \((?P<model_language>[a-z]+), p=[0-9.]+\): "
    rf"top features (?P<features>{_QUOTED_LIST}|no strong feature)"
    rf"|(?P<nothing>no rule, model or keyword matched)"
)
_SENT_TO_TRIAGE = re.compile(r"below [0-9.]+, sent to (?P<queue>\S+) \(best guess")
_SHOWN_WORDS = 3


def plain_explanation(explanation: str, category: str, confidence: float, language: str) -> str:
    """The triage explanation as one line for agents: the category, the words of the mail that
    pointed to it and how sure it is, e.g. 'Billing — the mail speaks of “invoice” (sure)'.

    The model may weigh function words ("but", "das"); a person is shown content words only.
    """
    label = (category or "general").capitalize()
    certainty = "sure" if confidence >= 0.85 else "likely" if confidence >= _MODEL_DOUBT else "unsure"
    evidence = _EVIDENCE.search(explanation)
    if evidence is None or evidence["nothing"]:
        reason = "nothing in the mail pointed to a category"
    elif evidence["rule"]:
        reason = f"the desk’s rule “{evidence['name']}”"
        certainty = "by rule"
    else:
        words_language = evidence["keywords_language"] or evidence["model_language"] or language
        found = re.findall(r'"([^"]*)"', evidence["keywords"] or evidence["features"])
        words = [
            word for word in found if not any(is_stop_word(part, words_language) for part in word.split())
        ]
        shown = ", ".join(f"“{word}”" for word in words[:_SHOWN_WORDS])
        reason = f"the mail speaks of {shown}" if shown else "from the mail’s wording as a whole"
    sent = _SENT_TO_TRIAGE.search(explanation)
    if sent is not None:
        return f"{label}? — {reason} ({certainty}: left in {sent['queue']} for a person to sort)"
    return f"{label} — {reason} ({certainty})"


def priority_of(
    *, subject: str, text: str, sentiment: Sentiment, rules: TriageRules, floor: str | None
) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """The priority from urgency cues, a rule's priority (a floor) and frustration, with tags and reasons.

    Cues below "normal" ("no rush") lower the priority only when nothing else raised or set it.
    """
    folded = fold(f"{subject}\n{text[:_MAX_CHARS]}")
    normal = PRIORITIES.index("normal")
    level = PRIORITIES.index(floor) if floor else normal
    tags: list[str] = []
    reasons: list[str] = []
    calm: list[str] = []
    for cue in rules.urgency:
        found = find_terms(cue.terms, folded)
        if not found:
            continue
        cue_level = PRIORITIES.index(cue.level)
        if cue_level < normal:
            calm.append(f'{cue.name} "{found[0]}"')
            continue
        level = max(level, cue_level)
        reasons.append(f'{cue.name} "{found[0]}"')
        if cue.tag:
            tags.append(cue.tag)
    if calm and not reasons and floor is None:
        level = PRIORITIES.index("low")
        reasons.extend(calm)
    if sentiment.label in {"frustrated", "angry"}:
        # Frustration moves a mail up one step, to high at most: tone alone never makes it urgent.
        raised = min(max(level, normal) + 1, PRIORITIES.index("high"))
        if raised > level:
            level = raised
            reasons.append(f"{sentiment.label} customer")
        tags.append(sentiment.label)
    return PRIORITIES[level], tuple(dict.fromkeys(tags)), tuple(reasons)


def triage(
    *,
    subject: str,
    text: str,
    language: str,
    sender: str,
    rules: TriageRules | None = None,
    model: CategoryModel | None = None,
    use_model: bool = True,
) -> Triage:
    """Category, priority, queue, tags and sentiment of one mail, each decision explained.

    ``rules`` defaults to the shipped rules file, ``model`` to the shipped model (``use_model=False``
    decides on rules and keywords only). A category whose confidence is under the rules'
    ``low_confidence`` goes to the triage queue, unless a rule named its queue.
    """
    rules = rules or load_rules()
    active_model = (model or _shipped_model()) if use_model else None
    decision = decide_category(
        subject=subject, text=text, language=language, sender=sender, rules=rules, model=active_model
    )
    sentiment = detect_sentiment(f"{subject}\n{text}", language)
    priority, cue_tags, reasons = priority_of(
        subject=subject, text=text, sentiment=sentiment, rules=rules, floor=decision.priority
    )
    explanation = decision.explanation
    tags = (*decision.tags, *cue_tags)
    if decision.queue is not None:
        queue = decision.queue
    elif decision.confidence < rules.low_confidence:
        queue = rules.triage_queue
        tags = (*tags, "low-confidence")
        explanation = (
            f"confidence {decision.confidence:.2f} below {rules.low_confidence:.2f}, "
            f"sent to {rules.triage_queue} (best guess {decision.category}: {explanation})"
        )
    else:
        queue = rules.route(decision.category, language, priority)
    if reasons:
        explanation = f"{explanation}; priority {priority}: {', '.join(reasons)}"
    return Triage(
        category=decision.category,
        priority=priority,
        queue=queue,
        tags=tuple(dict.fromkeys(tags)),
        confidence=decision.confidence,
        explanation=explanation,
        sentiment=sentiment,
        queue_by_rule=decision.queue is not None,
    )
