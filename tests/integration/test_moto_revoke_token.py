"""moto_fit's RevokeToken (postdesk_tools/moto_fit.py, patch 10): a revoked refresh token no longer
refreshes, the access tokens made from it stop, the user's other sign-ins go on, and the refusals
are Cognito's."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from postdesk_tools import moto_fit

REGION = "eu-west-1"
PASSWORD = "Correct-Horse-42"
EMAIL = "sam@example.com"


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
        pool_id = cognito.create_user_pool(PoolName="desk", UsernameAttributes=["email"])["UserPool"]["Id"]
        client_id = cognito.create_user_pool_client(
            UserPoolId=pool_id,
            ClientName="console",
            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            EnableTokenRevocation=True,
        )["UserPoolClient"]["ClientId"]
        cognito.admin_create_user(
            UserPoolId=pool_id,
            Username=EMAIL,
            UserAttributes=[{"Name": "email", "Value": EMAIL}],
            MessageAction="SUPPRESS",
        )
        cognito.admin_set_user_password(UserPoolId=pool_id, Username=EMAIL, Password=PASSWORD, Permanent=True)
        yield Pool(cognito, pool_id, client_id)


def _sign_in(pool: Pool, client_id: str | None = None) -> dict[str, str]:
    answer = pool.cognito.initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH",
        ClientId=client_id or pool.client_id,
        AuthParameters={"USERNAME": EMAIL, "PASSWORD": PASSWORD},
    )
    return dict(answer["AuthenticationResult"])


def _refresh(pool: Pool, refresh_token: str) -> dict[str, Any]:
    return dict(
        pool.cognito.initiate_auth(
            AuthFlow="REFRESH_TOKEN_AUTH",
            ClientId=pool.client_id,
            AuthParameters={"REFRESH_TOKEN": refresh_token},
        )["AuthenticationResult"]
    )


def _error_code(call: Any) -> str:
    with pytest.raises(ClientError) as raised:
        call()
    return str(raised.value.response["Error"]["Code"])


def test_a_revoked_refresh_token_refreshes_no_more_and_its_access_tokens_stop(pool: Pool) -> None:
    revoked = _sign_in(pool)
    refreshed = _refresh(pool, revoked["RefreshToken"])  # an access token made from it later
    other = _sign_in(pool)
    assert pool.cognito.get_user(AccessToken=revoked["AccessToken"])["Username"]

    pool.cognito.revoke_token(Token=revoked["RefreshToken"], ClientId=pool.client_id)

    assert _error_code(lambda: _refresh(pool, revoked["RefreshToken"])) == "NotAuthorizedException"
    for access_token in (revoked["AccessToken"], refreshed["AccessToken"]):
        assert _error_code(lambda t=access_token: pool.cognito.get_user(AccessToken=t)) == (
            "NotAuthorizedException"
        )
    # The user's other sign-in is not touched
    assert pool.cognito.get_user(AccessToken=other["AccessToken"])["Username"]
    assert _refresh(pool, other["RefreshToken"])["AccessToken"]
    # Revoking again, or a token never issued, answers success (RFC 7009)
    pool.cognito.revoke_token(Token=revoked["RefreshToken"], ClientId=pool.client_id)
    pool.cognito.revoke_token(Token="not-a-token-of-this-pool", ClientId=pool.client_id)


def test_only_a_refresh_token_of_the_same_client_is_revoked(pool: Pool) -> None:
    tokens = _sign_in(pool)
    other_client = pool.cognito.create_user_pool_client(
        UserPoolId=pool.pool_id, ClientName="other", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]

    assert (
        _error_code(lambda: pool.cognito.revoke_token(Token=tokens["AccessToken"], ClientId=pool.client_id))
        == "UnsupportedTokenTypeException"
    )
    assert (
        _error_code(lambda: pool.cognito.revoke_token(Token=tokens["RefreshToken"], ClientId=other_client))
        == "NotAuthorizedException"
    )
    assert _refresh(pool, tokens["RefreshToken"])["AccessToken"]


def test_a_client_without_token_revocation_or_with_a_wrong_secret_is_refused(pool: Pool) -> None:
    closed = pool.cognito.create_user_pool_client(
        UserPoolId=pool.pool_id,
        ClientName="closed",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"],
        EnableTokenRevocation=False,
    )["UserPoolClient"]["ClientId"]
    secret_client = pool.cognito.create_user_pool_client(
        UserPoolId=pool.pool_id, ClientName="server", GenerateSecret=True
    )["UserPoolClient"]

    assert (
        _error_code(lambda: pool.cognito.revoke_token(Token="any", ClientId=closed))
        == "UnsupportedOperationException"
    )
    assert (
        _error_code(
            lambda: pool.cognito.revoke_token(
                Token="any", ClientId=secret_client["ClientId"], ClientSecret="not-the-secret-of-this-client"
            )
        )
        == "NotAuthorizedException"
    )
    pool.cognito.revoke_token(
        Token="any", ClientId=secret_client["ClientId"], ClientSecret=secret_client["ClientSecret"]
    )
