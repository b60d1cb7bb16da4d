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
from typing import Any

from botocore.exceptions import ClientError

from postdesk.aws.clients import client
from postdesk.errors import ConfigurationError, Conflict, Invalid, NotFound, PostdeskError
from postdesk.mail.compose import clean_header_text

# The pool's password policy (infra/template.json, UserPool Policies): at least 12 characters, with
# upper case, lower case and a digit. Temporary passwords are longer than the minimum, so that a
# policy made a little stricter still accepts them, and carry no symbol, so that no mail client
# or keyboard turns one into something else.
TEMPORARY_PASSWORD_LENGTH = 20
_PASSWORD_CLASSES = (string.ascii_uppercase, string.ascii_lowercase, string.digits)
# Letters and digits that cannot be mistaken for one another when typed from a mail.
_READABLE = "".join(
    character for character in string.ascii_letters + string.digits if character not in "Il1O0o"
)
_PASSWORD_RULES = "at least 12 characters, with an upper-case letter, a lower-case letter and a digit"  # noqa: S105


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
        words, when it does not meet the pool's policy."""
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
        return InvalidPassword(f"the password needs {_PASSWORD_RULES}")
    if code == "InvalidParameterException":
        message = error.response.get("Error", {}).get("Message", "")
        return Invalid(f"Cognito refused the request for {shown!r}: {clean_header_text(message, limit=200)}")
    if code in ("ResourceNotFoundException",):
        return ConfigurationError("the desk's user pool does not exist (POSTDESK_USER_POOL_ID)")
    return PostdeskError(f"Cognito answered {code or 'an error'} for {shown!r}")
