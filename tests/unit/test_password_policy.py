"""The pool's password policy as the desk knows it: the same as the pool infra/template.json makes,
said in words, and a refused password named by what it lacks, never in Cognito's own text."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from postdesk.auth.accounts import PASSWORD_POLICY, PasswordPolicy, temporary_password
from postdesk.auth.cognito_signin import PasswordRefused, WrongPassword, _in_words
from postdesk_tools.provision import template

SHORT = "it has {} character{}, and needs 12 characters or more"


def test_the_desk_knows_the_policy_the_template_gives_the_pool() -> None:
    policy = template()["Resources"]["UserPool"]["Properties"]["Policies"]["PasswordPolicy"]

    assert (
        PasswordPolicy(
            minimum_length=policy["MinimumLength"],
            upper_case=policy["RequireUppercase"],
            lower_case=policy["RequireLowercase"],
            digit=policy["RequireNumbers"],
            symbol=policy["RequireSymbols"],
        )
        == PASSWORD_POLICY
    )


def test_the_policy_in_words() -> None:
    assert PASSWORD_POLICY.rules() == (
        "at least 12 characters, with an upper-case letter, a lower-case letter and a digit"
    )
    assert PasswordPolicy(8, False, False, False, True).rules() == "at least 8 characters, with a symbol"
    assert PasswordPolicy(6, False, False, False, False).rules() == "at least 6 characters"


@pytest.mark.parametrize(
    ("password", "shortfalls"),
    [
        (
            "short",
            [
                "it has 5 characters, and needs 12 characters or more",
                "it has no upper-case letter and no digit",
            ],
        ),
        ("alllowercase-no-digits", ["it has no upper-case letter and no digit"]),
        ("ALLUPPERCASE-1", ["it has no lower-case letter"]),
        ("Mixed-Case-Words", ["it has no digit"]),
        (
            "1",
            [
                "it has 1 character, and needs 12 characters or more",
                "it has no upper-case letter and no lower-case letter",
            ],
        ),
        ("Good-Password-2026", []),
    ],
)
def test_a_password_is_named_by_what_it_lacks(password: str, shortfalls: list[str]) -> None:
    assert PASSWORD_POLICY.shortfalls(password) == shortfalls


def test_three_missing_kinds_are_listed_in_words() -> None:
    policy = PasswordPolicy(12, upper_case=True, lower_case=False, digit=True, symbol=True)

    assert policy.shortfalls("abcdefghijklm") == ["it has no upper-case letter, no digit and no symbol"]
    assert policy.shortfalls("Abcdefghijk1!") == []


def test_a_refusal_says_what_is_missing_and_the_whole_policy() -> None:
    assert PASSWORD_POLICY.refusal("short") == (
        "The new password is not accepted: it has 5 characters, and needs 12 characters or more; it has no "
        "upper-case letter and no digit. A password needs at least 12 characters, with an upper-case letter, "
        "a lower-case letter and a digit."
    )
    assert PASSWORD_POLICY.refusal("Good-Password-2026") is None


def test_temporary_passwords_meet_the_policy() -> None:
    assert all(PASSWORD_POLICY.refusal(temporary_password()) is None for _ in range(50))


@pytest.mark.parametrize("code", ["InvalidPasswordException", "InvalidParameterException"])
def test_cognitos_refusal_is_said_in_the_desks_words_only(code: str) -> None:
    cognito_text = "The provided password does not confirm to the configured password policy"
    error = ClientError({"Error": {"Code": code, "Message": cognito_text}}, "RespondToAuthChallenge")

    refused = _in_words(error, WrongPassword)

    assert isinstance(refused, PasswordRefused)
    assert "confirm" not in str(refused) and "provided" not in str(refused)
    assert "at least 12 characters" in str(refused)
