"""moto_fit's TOTP patch (postdesk_tools/moto_fit.py, patch 8): each user gets a secret of their own,
real RFC 6238 codes are checked at enrolment and at sign-in, and a wrong code is refused as Cognito
refuses it."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from postdesk_tools import moto_fit
from postdesk_tools.totp import totp_code

REGION = "eu-west-1"
PASSWORD = "Correct-Horse-42"


@dataclass
class Pool:
    cognito: Any
    pool_id: str
    client_id: str


@pytest.fixture
def pool() -> Iterator[Pool]:
    moto_fit.apply()
    with mock_aws():
        cognito = boto3.client("cognito-idp", region_name=REGION)
        pool_id = cognito.create_user_pool(
            PoolName="desk",
            UsernameAttributes=["email"],
            MfaConfiguration="OPTIONAL",
        )["UserPool"]["Id"]
        cognito.set_user_pool_mfa_config(
            UserPoolId=pool_id,
            SoftwareTokenMfaConfiguration={"Enabled": True},
            MfaConfiguration="OPTIONAL",
        )
        client_id = cognito.create_user_pool_client(
            UserPoolId=pool_id,
            ClientName="console",
            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        )["UserPoolClient"]["ClientId"]
        yield Pool(cognito, pool_id, client_id)


def _user(pool: Pool, email: str, *, confirmed: bool = True) -> None:
    pool.cognito.admin_create_user(
        UserPoolId=pool.pool_id,
        Username=email,
        TemporaryPassword="Temporary-Pass-1",
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}],
    )
    if confirmed:
        pool.cognito.admin_set_user_password(
            UserPoolId=pool.pool_id, Username=email, Password=PASSWORD, Permanent=True
        )


def _sign_in(pool: Pool, email: str, password: str = PASSWORD) -> dict[str, Any]:
    answer: dict[str, Any] = pool.cognito.initiate_auth(
        ClientId=pool.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": password},
    )
    return answer


def _access_token(pool: Pool, email: str) -> str:
    return str(_sign_in(pool, email)["AuthenticationResult"]["AccessToken"])


def _enrol(pool: Pool, email: str) -> str:
    """Turn TOTP on for a signed-in user as the console does; the secret."""
    access_token = _access_token(pool, email)
    secret = str(pool.cognito.associate_software_token(AccessToken=access_token)["SecretCode"])
    verified = pool.cognito.verify_software_token(AccessToken=access_token, UserCode=totp_code(secret))
    assert verified["Status"] == "SUCCESS"
    pool.cognito.set_user_mfa_preference(
        AccessToken=access_token, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True}
    )
    return secret


def _error(raised: pytest.ExceptionInfo[ClientError]) -> str:
    return str(raised.value.response["Error"]["Code"])


def _wrong(code: str) -> str:
    return str((int(code) + 1) % 10**6).zfill(6)


def test_each_user_gets_a_fresh_random_base32_secret(pool: Pool) -> None:
    _user(pool, "ada@example.com")
    _user(pool, "bob@example.com")
    ada = _access_token(pool, "ada@example.com")
    first = pool.cognito.associate_software_token(AccessToken=ada)["SecretCode"]
    second = pool.cognito.associate_software_token(AccessToken=ada)["SecretCode"]
    bobs = pool.cognito.associate_software_token(AccessToken=_access_token(pool, "bob@example.com"))[
        "SecretCode"
    ]

    assert len({first, second, bobs}) == 3
    for secret in (first, second, bobs):
        assert len(secret) == moto_fit.TOTP_SECRET_CHARACTERS
        assert len(base64.b32decode(secret)) == 20
    assert "asdfasdfasdf" not in (first, second, bobs)


def test_enrolment_refuses_a_wrong_code_and_accepts_the_right_one(pool: Pool) -> None:
    _user(pool, "ada@example.com")
    access_token = _access_token(pool, "ada@example.com")
    secret = pool.cognito.associate_software_token(AccessToken=access_token)["SecretCode"]

    with pytest.raises(ClientError) as raised:
        pool.cognito.verify_software_token(AccessToken=access_token, UserCode=_wrong(totp_code(secret)))
    assert _error(raised) == "EnableSoftwareTokenMFAException"
    # Turning the factor on needs a verified token, which the wrong code did not give
    with pytest.raises(ClientError):
        pool.cognito.set_user_mfa_preference(
            AccessToken=access_token, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True}
        )

    # A code of the previous 30-second step still counts (a phone a little behind)
    earlier = totp_code(secret, time.time() - 30)
    assert (
        pool.cognito.verify_software_token(AccessToken=access_token, UserCode=earlier)["Status"] == "SUCCESS"
    )
    user = pool.cognito.admin_get_user(UserPoolId=pool.pool_id, Username="ada@example.com")
    assert user.get("UserMFASettingList", []) == []


def test_another_users_secret_does_not_verify(pool: Pool) -> None:
    _user(pool, "ada@example.com")
    _user(pool, "bob@example.com")
    adas = pool.cognito.associate_software_token(AccessToken=_access_token(pool, "ada@example.com"))[
        "SecretCode"
    ]
    bob = _access_token(pool, "bob@example.com")
    pool.cognito.associate_software_token(AccessToken=bob)
    with pytest.raises(ClientError) as raised:
        pool.cognito.verify_software_token(AccessToken=bob, UserCode=totp_code(adas))
    assert _error(raised) == "EnableSoftwareTokenMFAException"


def test_verifying_before_associating_is_refused(pool: Pool) -> None:
    _user(pool, "ada@example.com")
    with pytest.raises(ClientError) as raised:
        pool.cognito.verify_software_token(
            AccessToken=_access_token(pool, "ada@example.com"), UserCode="123456"
        )
    assert _error(raised) == "InvalidParameterException"


def test_sign_in_asks_for_the_code_and_checks_it(pool: Pool) -> None:
    _user(pool, "ada@example.com")
    secret = _enrol(pool, "ada@example.com")

    challenge = _sign_in(pool, "ada@example.com")
    assert challenge["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    assert "AuthenticationResult" not in challenge

    def answer(code: str) -> dict[str, Any]:
        result: dict[str, Any] = pool.cognito.respond_to_auth_challenge(
            ClientId=pool.client_id,
            ChallengeName="SOFTWARE_TOKEN_MFA",
            Session=challenge["Session"],
            ChallengeResponses={"USERNAME": "ada@example.com", "SOFTWARE_TOKEN_MFA_CODE": code},
        )
        return result

    with pytest.raises(ClientError) as raised:
        answer(_wrong(totp_code(secret)))
    assert _error(raised) == "CodeMismatchException"
    # A code two steps old is refused too
    with pytest.raises(ClientError) as raised:
        answer(totp_code(secret, time.time() - 60))
    assert _error(raised) == "CodeMismatchException"

    # The session survives a wrong code, as Cognito's does: the right one then signs in
    signed_in = answer(totp_code(secret))
    assert signed_in["AuthenticationResult"]["AccessToken"]
    # The session is used up
    with pytest.raises(ClientError):
        answer(totp_code(secret))


def test_a_challenge_session_answers_only_for_its_own_user(pool: Pool) -> None:
    _user(pool, "ada@example.com")
    _user(pool, "bob@example.com")
    _enrol(pool, "ada@example.com")
    bobs_secret = _enrol(pool, "bob@example.com")
    adas_session = _sign_in(pool, "ada@example.com")["Session"]

    with pytest.raises(ClientError) as raised:
        pool.cognito.respond_to_auth_challenge(
            ClientId=pool.client_id,
            ChallengeName="SOFTWARE_TOKEN_MFA",
            Session=adas_session,
            ChallengeResponses={
                "USERNAME": "bob@example.com",
                "SOFTWARE_TOKEN_MFA_CODE": totp_code(bobs_secret),
            },
        )
    assert _error(raised) == "NotAuthorizedException"


def test_totp_as_the_only_factor_is_asked_for_without_being_preferred(pool: Pool) -> None:
    _user(pool, "ada@example.com")
    access_token = _access_token(pool, "ada@example.com")
    secret = pool.cognito.associate_software_token(AccessToken=access_token)["SecretCode"]
    pool.cognito.verify_software_token(AccessToken=access_token, UserCode=totp_code(secret))
    pool.cognito.set_user_mfa_preference(AccessToken=access_token, SoftwareTokenMfaSettings={"Enabled": True})

    assert _sign_in(pool, "ada@example.com")["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    admin_answer = pool.cognito.admin_initiate_auth(
        UserPoolId=pool.pool_id,
        ClientId=pool.client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "ada@example.com", "PASSWORD": PASSWORD},
    )
    assert admin_answer["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    # What the user's settings say is left as set
    user = pool.cognito.admin_get_user(UserPoolId=pool.pool_id, Username="ada@example.com")
    assert user["UserMFASettingList"] == ["SOFTWARE_TOKEN_MFA"]
    assert user.get("PreferredMfaSetting", "") == ""

    # Turned off, it is not asked for
    pool.cognito.set_user_mfa_preference(
        AccessToken=access_token, SoftwareTokenMfaSettings={"Enabled": False}
    )
    assert "AuthenticationResult" in _sign_in(pool, "ada@example.com")


def test_enrolment_during_first_sign_in_with_a_session(pool: Pool) -> None:
    _user(pool, "ada@example.com", confirmed=False)
    first = _sign_in(pool, "ada@example.com", "Temporary-Pass-1")
    assert first["ChallengeName"] == "NEW_PASSWORD_REQUIRED"

    associated = pool.cognito.associate_software_token(Session=first["Session"])
    secret = associated["SecretCode"]
    with pytest.raises(ClientError) as raised:
        pool.cognito.verify_software_token(Session=associated["Session"], UserCode=_wrong(totp_code(secret)))
    assert _error(raised) == "EnableSoftwareTokenMFAException"
    verified = pool.cognito.verify_software_token(Session=associated["Session"], UserCode=totp_code(secret))
    assert verified["Status"] == "SUCCESS"

    # The secret belongs to the user the session was for: once the password is set and TOTP turned
    # on, sign-in checks codes of that secret.
    done = pool.cognito.respond_to_auth_challenge(
        ClientId=pool.client_id,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=first["Session"],
        ChallengeResponses={"USERNAME": "ada@example.com", "NEW_PASSWORD": PASSWORD},
    )
    pool.cognito.set_user_mfa_preference(
        AccessToken=done["AuthenticationResult"]["AccessToken"],
        SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True},
    )
    challenge = _sign_in(pool, "ada@example.com")
    signed_in = pool.cognito.respond_to_auth_challenge(
        ClientId=pool.client_id,
        ChallengeName="SOFTWARE_TOKEN_MFA",
        Session=challenge["Session"],
        ChallengeResponses={"USERNAME": "ada@example.com", "SOFTWARE_TOKEN_MFA_CODE": totp_code(secret)},
    )
    assert signed_in["AuthenticationResult"]["AccessToken"]


def test_a_new_secret_takes_over_only_once_verified(pool: Pool) -> None:
    _user(pool, "ada@example.com")
    secret = _enrol(pool, "ada@example.com")
    # Signed in again (with the code), the user starts over with a new authenticator but does not finish
    challenge = _sign_in(pool, "ada@example.com")
    tokens = pool.cognito.respond_to_auth_challenge(
        ClientId=pool.client_id,
        ChallengeName="SOFTWARE_TOKEN_MFA",
        Session=challenge["Session"],
        ChallengeResponses={"USERNAME": "ada@example.com", "SOFTWARE_TOKEN_MFA_CODE": totp_code(secret)},
    )["AuthenticationResult"]
    pool.cognito.associate_software_token(AccessToken=tokens["AccessToken"])

    challenge = _sign_in(pool, "ada@example.com")
    signed_in = pool.cognito.respond_to_auth_challenge(
        ClientId=pool.client_id,
        ChallengeName="SOFTWARE_TOKEN_MFA",
        Session=challenge["Session"],
        ChallengeResponses={"USERNAME": "ada@example.com", "SOFTWARE_TOKEN_MFA_CODE": totp_code(secret)},
    )
    assert signed_in["AuthenticationResult"]["AccessToken"]


def test_a_replayed_request_is_not_checked_again() -> None:
    # The stack's journal replays requests answered with success once; their codes have expired since.
    assert moto_fit._code_accepted("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", "000000") is False
    with moto_fit.replaying():
        assert moto_fit._code_accepted("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", "000000") is True
    assert moto_fit._code_accepted("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", "000000") is False
