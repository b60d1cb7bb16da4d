"""The rules file: the shipped one loads, and every kind of mistake is named clearly."""

from __future__ import annotations

from pathlib import Path

import pytest

from postdesk.triage.rules import CATEGORIES, RulesError, compile_terms, find_terms, fold, load_rules

VALID = """
[settings]
default_queue = "inbox"
triage_queue = "look-at-me"
low_confidence = 0.6

[[rule]]
name = "vip"
category = "general"
queue = "vip"
sender_domains = ["bigcustomer.example"]

[[route]]
categories = ["billing"]
languages = ["fr"]
queue = "facturation"
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_rules_load_with_every_category_and_all_required_languages() -> None:
    # Given the shipped rules file / When it is loaded
    rules = load_rules()
    # Then every category has keywords, and the multilingual lists cover fr, es, pt, it, nl
    assert set(rules.keywords) == set(CATEGORIES)
    text = Path(rules.source).read_text(encoding="utf-8")
    for language in ("en", "de", "fr", "es", "pt", "it", "nl"):
        assert f"\n{language} = [" in text
    assert rules.triage_queue == "triage"
    assert load_rules() is rules  # cached


def test_custom_rules_file_settings_and_routes(tmp_path: Path) -> None:
    # Given a small rules file / When loaded
    rules = load_rules(_write(tmp_path, VALID))
    # Then its settings, rule and route are there
    assert (rules.default_queue, rules.triage_queue, rules.low_confidence) == ("inbox", "look-at-me", 0.6)
    assert rules.rules[0].name == "vip"
    assert rules.route("billing", "fr", "normal") == "facturation"
    assert rules.route("billing", "de", "normal") == "inbox"
    assert rules.acknowledgement_line("billing", "fr") is None


@pytest.mark.parametrize(
    ("bad_entry", "message"),
    [
        ('[[rule]]\nname = "x"\ncategory = "sales"\nkeywords = { en = ["a"] }', "#2 \"x\" category: 'sales'"),
        ('[[rule]]\nname = "x"\ncategory = "billing"', '#2 "x": needs at least one of keywords'),
        (
            '[[rule]]\nname = "x"\ncategory = "billing"\nregexes = ["(unclosed"]',
            "not a valid regular expression",
        ),
        (
            '[[rule]]\nname = "x"\ncategory = "billing"\nkeywords = { english = ["a"] }',
            "not an ISO 639-1 code",
        ),
        (
            '[[rule]]\nname = "x"\ncategory = "billing"\npriority = "asap"\nsender_domains = ["a.b"]',
            "priority",
        ),
        (
            '[[rule]]\nname = "x"\ncategory = "billing"\ncolour = "red"\nsender_domains = ["a.b"]',
            "unknown key",
        ),
        ('[[rule]]\nname = "vip"\ncategory = "billing"\nsender_domains = ["a.b"]', "repeated: vip"),
        ('[[route]]\ncategories = ["billing"]', "[[route]] #2: needs a queue"),
        ('[[route]]\nqueue = "has space"', "is not a queue name"),
        ('[acknowledgement.billing]\nen = ""', "must be a non-empty string"),
    ],
)
def test_invalid_entries_are_named(tmp_path: Path, bad_entry: str, message: str) -> None:
    # Given a valid file with one bad entry appended
    path = _write(tmp_path, f"{VALID}\n{bad_entry}\n")
    # When it is loaded / Then the error names the file and the entry
    with pytest.raises(RulesError) as raised:
        load_rules(path)
    assert message in str(raised.value)
    assert str(path) in str(raised.value)


def test_bad_threshold_and_broken_toml_are_reported(tmp_path: Path) -> None:
    with pytest.raises(RulesError, match=r"\[settings\] low_confidence: 2 must be a number from 0 to 1"):
        load_rules(_write(tmp_path, "[settings]\nlow_confidence = 2\n"))
    with pytest.raises(RulesError, match="not valid TOML"):
        load_rules(_write(tmp_path, "[settings\n"))
    with pytest.raises(RulesError, match="cannot read"):
        load_rules(tmp_path / "missing.toml")


def test_terms_match_whole_words_prefixes_and_accents() -> None:
    # Given terms with a prefix, a phrase and an accented word
    pattern = compile_terms(["refund*", "charged twice", "Rückerstattung"])
    # When matched against folded text / Then whole words only, in order of appearance
    assert find_terms(pattern, fold("I was CHARGED  twice and want refunds, RUCKERSTATTUNG bitte")) == (
        "charged twice",
        "refunds",
        "ruckerstattung",
    )
    assert find_terms(pattern, fold("prefund discharged twice")) == ()
