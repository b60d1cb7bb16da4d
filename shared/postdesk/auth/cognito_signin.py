"""The user side of Cognito: what a person's sign-in asks the user pool, through its app client
(no secret; USER_PASSWORD_AUTH and REFRESH_TOKEN_AUTH): the password, the steps Cognito asks for
(a new password, a TOTP code), enrolling a TOTP authenticator, refreshing and revoking tokens,
reading the user behind an access token, signing out everywhere. These calls need no IAM
permission: Cognito authorizes them by the client id and the user's own tokens.

Cognito's errors become desk errors in words. A wrong address and a wrong password say the same,
as the pool's PreventUserExistenceErrors does."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from postdesk.auth.accounts import PASSWORD_POLICY
from postdesk.aws.clients import client
from postdesk.errors import ConfigurationError, Invalid, SignInRefused, TooManyRequests

WRONG_PASSWORD = "The email or password is not right."  # noqa: S105 - words, not a password
PASSWORD_RULES = PASSWORD_POLICY.rules()
# Cognito's policy refused a password the desk's copy of it accepts (the pool was made stricter):
# the desk says what it knows, never Cognito's own text.
_POLICY_REFUSED = f"The new password is not accepted by the user pool's policy: it needs {PASSWORD_RULES}."


class WrongPassword(SignInRefused):
    """The address has no account, or the password is not its password (the same words for both)."""

    def __init__(self) -> None:
        super().__init__(WRONG_PASSWORD)


class WrongCode(SignInRefused):
    """The TOTP code is not the one the authenticator shows now."""

    def __init__(self) -> None:
        super().__init__(
            "The code is not right: send the 6 digits your authenticator app shows now for this desk."
        )


class StepExpired(SignInRefused):
    """Cognito no longer knows the step (it lasts a few minutes, and a few tries)."""

    def __init__(self) -> None:
        super().__init__(
            "This sign-in took too long or was tried too often: start again with your email and password."
        )


class SignedOut(SignInRefused):
    """The tokens no longer work: signed out, revoked, or the account disabled."""

    def __init__(self) -> None:
        super().__init__("Your session has ended (signed out, or the account was changed): sign in again.")


class PasswordRefused(Invalid):
    """The new password does not meet the pool's policy."""


@dataclass(frozen=True, slots=True)
class Tokens:
    """What a successful sign-in gives. A refresh keeps the refresh token it was given."""

    access_token: str
    id_token: str
    refresh_token: str
    expires_in: int


@dataclass(frozen=True, slots=True)
class Challenge:
    """A further step Cognito asks for: ``name`` (NEW_PASSWORD_REQUIRED, SOFTWARE_TOKEN_MFA, ...),
    the ``session`` string that continues it, and the user name Cognito wants back."""

    name: str
    session: str
    username: str


@dataclass(frozen=True, slots=True)
class CognitoUser:
    """The user behind an access token, as GetUser answers."""

    username: str
    email: str
    two_step: bool


SignInAnswer = Tokens | Challenge


class CognitoSignIn:
    """A person's calls to the user pool, through its app client."""

    def __init__(self, client_id: str, region: str) -> None:
        self._client_id = client_id
        self._region = region

    def password(self, email: str, password: str) -> SignInAnswer:
        """Sign in with an address and a password: the tokens, or the next step Cognito asks for.
        WrongPassword for an unknown address or a wrong password."""
        answer = self._call(
            "initiate_auth",
            AuthFlow="USER_PASSWORD_AUTH",
            ClientId=self._client_id,
            AuthParameters={"USERNAME": email, "PASSWORD": password},
        )
        return _answer(answer, email, None)

    def new_password(self, challenge: Challenge, email: str, new_password: str) -> SignInAnswer:
        """Answer NEW_PASSWORD_REQUIRED (a temporary password's first sign-in). PasswordRefused,
        naming what the password lacks, when it does not meet the pool's policy: checked before
        Cognito is asked, so that the refused try does not use up the step."""
        refusal = PASSWORD_POLICY.refusal(new_password)
        if refusal:
            raise PasswordRefused(refusal)
        return self._respond("NEW_PASSWORD_REQUIRED", challenge, email, {"NEW_PASSWORD": new_password})

    def totp_code(self, challenge: Challenge, email: str, code: str) -> SignInAnswer:
        """Answer SOFTWARE_TOKEN_MFA with the authenticator's code. WrongCode for a wrong one."""
        return self._respond("SOFTWARE_TOKEN_MFA", challenge, email, {"SOFTWARE_TOKEN_MFA_CODE": code})

    def _respond(
        self, challenge_name: str, challenge: Challenge, email: str, responses: dict[str, str]
    ) -> SignInAnswer:
        """Answer the step ``challenge_name`` with ``responses``. The name is given, not read from
        ``challenge``: a challenge rebuilt from a stored step carries the step's kind instead."""
        answer = self._call(
            "respond_to_auth_challenge",
            ClientId=self._client_id,
            ChallengeName=challenge_name,
            Session=challenge.session,
            ChallengeResponses={"USERNAME": challenge.username, **responses},
        )
        return _answer(answer, email, None)

    def refresh(self, refresh_token: str) -> Tokens:
        """New access and id tokens for a refresh token. SignedOut once it is revoked."""
        answer = self._call(
            "initiate_auth",
            AuthFlow="REFRESH_TOKEN_AUTH",
            ClientId=self._client_id,
            AuthParameters={"REFRESH_TOKEN": refresh_token},
            refused=SignedOut,
        )
        tokens = _answer(answer, "", refresh_token)
        if not isinstance(tokens, Tokens):
            raise SignedOut
        return tokens

    def revoke(self, refresh_token: str) -> None:
        """Revoke a refresh token and the access tokens made from it."""
        self._call("revoke_token", Token=refresh_token, ClientId=self._client_id, refused=SignedOut)

    def user(self, access_token: str) -> CognitoUser:
        """The user behind ``access_token``. SignedOut when it was signed out or is disabled."""
        answer = self._call("get_user", AccessToken=access_token, refused=SignedOut)
        attributes = {item["Name"]: item["Value"] for item in answer.get("UserAttributes", [])}
        return CognitoUser(
            username=str(answer.get("Username", "")),
            email=str(attributes.get("email", "")),
            two_step="SOFTWARE_TOKEN_MFA" in (answer.get("UserMFASettingList") or []),
        )

    def sign_out_everywhere(self, access_token: str) -> None:
        """Revoke every refresh token of the user behind ``access_token`` (GlobalSignOut)."""
        self._call("global_sign_out", AccessToken=access_token, refused=SignedOut)

    def start_totp(self, *, access_token: str = "", session: str = "") -> tuple[str, str]:
        """Begin enrolling a TOTP authenticator, for a signed-in user (``access_token``) or in a
        sign-in step (``session``): the base32 secret, and the session continuing the step ("" for
        a signed-in user)."""
        where = {"AccessToken": access_token} if access_token else {"Session": session}
        answer = self._call("associate_software_token", **where, refused=SignedOut)
        return str(answer["SecretCode"]), str(answer.get("Session", ""))

    def verify_totp(self, code: str, *, access_token: str = "", session: str = "") -> str:
        """Check the first code of the authenticator being enrolled; the session continuing the
        step ("" for a signed-in user). WrongCode for a wrong code."""
        where = {"AccessToken": access_token} if access_token else {"Session": session}
        answer = self._call(
            "verify_software_token", **where, UserCode=code, FriendlyDeviceName="Postdesk", refused=SignedOut
        )
        if answer.get("Status") != "SUCCESS":
            raise WrongCode
        return str(answer.get("Session", ""))

    def prefer_totp(self, access_token: str, enabled: bool) -> None:
        """Turn the verified authenticator on as the user's second factor (or off)."""
        self._call(
            "set_user_mfa_preference",
            AccessToken=access_token,
            SoftwareTokenMfaSettings={"Enabled": enabled, "PreferredMfa": enabled},
            refused=SignedOut,
        )

    def _call(self, operation: str, refused: type[SignInRefused] = WrongPassword, **arguments: Any) -> Any:
        if not self._client_id:
            raise ConfigurationError("this desk has no user pool client (POSTDESK_USER_POOL_CLIENT_ID)")
        try:
            return getattr(client("cognito-idp", self._region), operation)(**arguments)
        except ClientError as error:
            raise _in_words(error, refused) from None


def _answer(answer: Any, email: str, refresh_token: str | None) -> SignInAnswer:
    result = answer.get("AuthenticationResult")
    if result:
        return Tokens(
            access_token=str(result["AccessToken"]),
            id_token=str(result.get("IdToken", "")),
            refresh_token=str(result.get("RefreshToken") or refresh_token or ""),
            expires_in=int(result.get("ExpiresIn", 3600)),
        )
    parameters = answer.get("ChallengeParameters") or {}
    return Challenge(
        name=str(answer.get("ChallengeName", "")),
        session=str(answer.get("Session", "")),
        username=str(parameters.get("USERNAME") or parameters.get("USER_ID_FOR_SRP") or email),
    )


def _in_words(error: ClientError, refused: type[SignInRefused]) -> Exception:
    code = error.response.get("Error", {}).get("Code", "")
    message = str(error.response.get("Error", {}).get("Message", ""))
    if code in {"CodeMismatchException", "EnableSoftwareTokenMFAException"}:
        return WrongCode()
    if code == "ExpiredCodeException":
        return StepExpired()
    if code == "PasswordHistoryPolicyViolationException":
        return PasswordRefused(
            "The new password is not accepted: it was used before; choose one you have not used."
        )
    if code == "InvalidPasswordException":
        return PasswordRefused(_POLICY_REFUSED)
    if code in {"TooManyRequestsException", "LimitExceededException", "TooManyFailedAttemptsException"}:
        return TooManyRequests("The sign-in service is busy: try again in a minute.", 60)
    if code == "PasswordResetRequiredException":
        return SignInRefused(
            "This account needs a new password: ask for a reset code (POST /session/password-reset)."
        )
    if code in {"NotAuthorizedException", "UserNotFoundException", "UserNotConfirmedException"}:
        # Cognito says "Invalid session" when a step's session has expired or was used up.
        if "session" in message.lower() and refused is WrongPassword:
            return StepExpired()
        return refused()
    if code == "ResourceNotFoundException" and refused is WrongPassword:
        # Moto's answer for a step's session it no longer holds.
        return StepExpired()
    if code == "InvalidParameterException":
        if "software token" in message.lower():
            return WrongCode()
        if "password" in message.lower():
            return PasswordRefused(_POLICY_REFUSED)
        # An address Cognito cannot take as a user name is no account's address.
        if refused is WrongPassword:
            return WrongPassword()
    # Not the caller's doing: the error as it is (a missing pool or client is a 503 in words).
    unforeseen: Exception = error
    return unforeseen
