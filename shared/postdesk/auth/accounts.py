"""The admin side of people's accounts in the stack's Cognito user pool: making an account with a
temporary password, a new temporary password, disabling and enabling, signing out everywhere,
setting a password, and the second factor's state. Accounts are deactivated, never deleted: the
audit and the tickets keep naming them.

The user name in the pool is the email address (the pool's UsernameAttributes is email). Cognito's
errors become desk errors in words; the desk mails the temporary password itself (MessageAction
SUPPRESS), in its own template, through its own outbound mail."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from postdesk.aws.clients import client
from postdesk.errors import ConfigurationError, Conflict, Invalid, NotFound, PostdeskError
from postdesk.mail.compose import clean_header_text

# The characters Cognito counts as symbols in a password.
_SYMBOLS = "^$*.[]{}()?-\"!@#%&/\\,><':;|_~`+="


@dataclass(frozen=True, slots=True)
class PasswordPolicy:
    """The user pool's password policy, as infra/template.json gives the pool (UserPool, Policies
    PasswordPolicy; a test holds the two together). The desk checks a new password against it
    before Cognito does, so that a refusal names what the password lacks in the desk's words, and a
    refused try does not use up a sign-in step."""

    minimum_length: int
    upper_case: bool
    lower_case: bool
    digit: bool
    symbol: bool

    def _classes(self) -> tuple[tuple[str, str], ...]:
        """Each kind of character the policy asks for: its name, and the characters that are of it."""
        kinds = (
            (self.upper_case, "an upper-case letter", string.ascii_uppercase),
            (self.lower_case, "a lower-case letter", string.ascii_lowercase),
            (self.digit, "a digit", string.digits),
            (self.symbol, "a symbol", _SYMBOLS),
        )
        return tuple((name, characters) for asked, name, characters in kinds if asked)

    def rules(self) -> str:
        """The policy in words: "at least 12 characters, with an upper-case letter, ... and a digit"."""
        kinds = [name for name, _ in self._classes()]
        with_kinds = f", with {_and(kinds)}" if kinds else ""
        return f"at least {self.minimum_length} characters{with_kinds}"

    def shortfalls(self, password: str) -> list[str]:
        """What ``password`` lacks against the policy, in words (none when it meets it)."""
        found: list[str] = []
        if len(password) < self.minimum_length:
            found.append(
                f"it has {len(password)} character{'' if len(password) == 1 else 's'}, "
                f"and needs {self.minimum_length} characters or more"
            )
        lacking = [name for name, characters in self._classes() if not any(c in characters for c in password)]
        if lacking:
            found.append("it has no " + _and([name.split(" ", 1)[1] for name in lacking], "no "))
        return found

    def refusal(self, password: str) -> str | None:
        """Why the policy refuses ``password``, in words, or None when it meets the policy."""
        found = self.shortfalls(password)
        if not found:
            return None
        return f"The new password is not accepted: {'; '.join(found)}. A password needs {self.rules()}."


def _and(items: list[str], each: str = "") -> str:
    """``items`` as a list in words: "a, b and c" (``each`` before every item but the first)."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join([items[0], *(each + item for item in items[1:-1])]) + f" and {each}{items[-1]}"


PASSWORD_POLICY = PasswordPolicy(
    minimum_length=12, upper_case=True, lower_case=True, digit=True, symbol=False
)
# Temporary passwords are longer than the minimum, so that a policy made a little stricter still
# accepts them, and carry no symbol, so that no mail client or keyboard turns one into something else.
TEMPORARY_PASSWORD_LENGTH = 20
_PASSWORD_CLASSES = (string.ascii_uppercase, string.ascii_lowercase, string.digits)
# Letters and digits that cannot be mistaken for one another when typed from a mail.
_READABLE = "".join(
    character for character in string.ascii_letters + string.digits if character not in "Il1O0o"
)


class AccountNotFound(NotFound):
    """The user pool has no account with that address."""


class AccountExists(Conflict):
    """The user pool already has an account with that address."""


class InvalidPassword(Invalid):
    """The password does not meet the pool's policy."""


def temporary_password() -> str:
    """A password that meets the pool's policy: TEMPORARY_PASSWORD_LENGTH characters from the OS
    generator, at least one of each required class."""
    while True:
        password = "".join(secrets.choice(_READABLE) for _ in range(TEMPORARY_PASSWORD_LENGTH))
        if all(any(character in group for character in password) for group in _PASSWORD_CLASSES):
            return password


class CognitoAccounts:
    """The admin-side calls on one user pool."""

    def __init__(self, user_pool_id: str, region: str) -> None:
        self._pool = user_pool_id
        self._region = region

    def create(self, email: str, name: str) -> str:
        """Make the account ``email`` (verified address, display name ``name``) with a fresh
        temporary password, and return that password; Cognito sends nothing (the desk mails it).
        AccountExists when the pool already has the address."""
        password = temporary_password()
        self._call(
            "admin_create_user",
            email,
            UserPoolId=self._pool,
            Username=email,
            TemporaryPassword=password,
            MessageAction="SUPPRESS",
            DesiredDeliveryMediums=["EMAIL"],
            UserAttributes=[
                {"Name": "email", "Value": email},
                {"Name": "email_verified", "Value": "true"},
                {"Name": "name", "Value": name},
            ],
        )
        return password

    def exists(self, email: str) -> bool:
        """Whether the pool has an account with that address."""
        try:
            self._user(email)
        except AccountNotFound:
            return False
        return True

    def status(self, email: str) -> str:
        """Cognito's user status: FORCE_CHANGE_PASSWORD until the first sign-in sets a password,
        then CONFIRMED (RESET_REQUIRED, ... in between)."""
        return str(self._user(email).get("UserStatus", ""))

    def enabled(self, email: str) -> bool:
        return bool(self._user(email).get("Enabled", True))

    def new_temporary_password(self, email: str) -> str:
        """Replace the password with a fresh temporary one (the next sign-in must set its own) and
        return it."""
        password = temporary_password()
        self._set_password(email, password, permanent=False)
        return password

    def set_password(self, email: str, password: str) -> None:
        """Set a permanent password (a reset confirmed with the mailed code). InvalidPassword, in
        words naming what it lacks, when it does not meet the pool's policy."""
        refusal = PASSWORD_POLICY.refusal(password)
        if refusal:
            raise InvalidPassword(refusal)
        self._set_password(email, password, permanent=True)

    def _set_password(self, email: str, password: str, *, permanent: bool) -> None:
        self._call(
            "admin_set_user_password",
            email,
            UserPoolId=self._pool,
            Username=email,
            Password=password,
            Permanent=permanent,
        )

    def disable(self, email: str) -> None:
        """Refuse every sign-in and every refresh of the account (its sessions end at their next
        check with Cognito)."""
        self._call("admin_disable_user", email, UserPoolId=self._pool, Username=email)

    def enable(self, email: str) -> None:
        self._call("admin_enable_user", email, UserPoolId=self._pool, Username=email)

    def sign_out_everywhere(self, email: str) -> None:
        """Revoke every refresh token of the account (AdminUserGlobalSignOut)."""
        self._call("admin_user_global_sign_out", email, UserPoolId=self._pool, Username=email)

    def states(self) -> dict[str, str]:
        """Every account's state by address (ListUsers, a page of 60 at a time): ``invited`` (the
        first sign-in has not set a password yet), ``disabled``, or ``active``."""
        found: dict[str, str] = {}
        parameters: dict[str, Any] = {"UserPoolId": self._pool, "Limit": 60}
        while True:
            page = self._call("list_users", "", **parameters)
            for user in page.get("Users", ()):
                attributes = {item["Name"]: item["Value"] for item in user.get("Attributes", ())}
                address = str(attributes.get("email") or user.get("Username", "")).lower()
                if not user.get("Enabled", True):
                    found[address] = "disabled"
                elif user.get("UserStatus") == "FORCE_CHANGE_PASSWORD":
                    found[address] = "invited"
                else:
                    found[address] = "active"
            if not page.get("PaginationToken"):
                return found
            parameters["PaginationToken"] = page["PaginationToken"]

    def two_step_enabled(self, email: str) -> bool:
        """Whether the account signs in with a TOTP code as second factor."""
        user = self._user(email)
        return "SOFTWARE_TOKEN_MFA" in (user.get("UserMFASettingList") or ())

    def turn_off_two_step(self, email: str) -> None:
        self._call(
            "admin_set_user_mfa_preference",
            email,
            UserPoolId=self._pool,
            Username=email,
            SoftwareTokenMfaSettings={"Enabled": False, "PreferredMfa": False},
        )

    def _user(self, email: str) -> dict[str, Any]:
        answer: dict[str, Any] = self._call("admin_get_user", email, UserPoolId=self._pool, Username=email)
        return answer

    def _call(self, operation: str, email: str, **parameters: Any) -> Any:
        if not self._pool:
            raise ConfigurationError(
                "this desk has no user pool for people's accounts (POSTDESK_USER_POOL_ID is empty)"
            )
        cognito = client("cognito-idp", self._region)
        try:
            return getattr(cognito, operation)(**parameters)
        except ClientError as error:
            raise _desk_error(error, email) from None


def _desk_error(error: ClientError, email: str) -> PostdeskError:
    """Cognito's error as the desk's, in words; what is not the caller's doing stays a plain error."""
    code = error.response.get("Error", {}).get("Code", "")
    shown = clean_header_text(email, limit=100)
    if code == "UserNotFoundException":
        return AccountNotFound(f"the user pool has no account for {shown!r}")
    if code in ("UsernameExistsException", "AliasExistsException"):
        return AccountExists(f"the user pool already has an account for {shown!r}")
    if code == "InvalidPasswordException":
        return InvalidPassword(f"The new password is not accepted: it needs {PASSWORD_POLICY.rules()}.")
    if code == "InvalidParameterException":
        message = error.response.get("Error", {}).get("Message", "")
        return Invalid(f"Cognito refused the request for {shown!r}: {clean_header_text(message, limit=200)}")
    if code in ("ResourceNotFoundException",):
        return ConfigurationError("the desk's user pool does not exist (POSTDESK_USER_POOL_ID)")
    return PostdeskError(f"Cognito answered {code or 'an error'} for {shown!r}")
