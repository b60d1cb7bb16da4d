"""The one module that changes moto's behaviour, so that it can serve a desk for a week on one machine
(the local stack) and the tests in parallel, and deploy the template and sign people in as Cognito
does. The first six changes keep what moto answers exactly as it was (only time and memory change);
the last four answer as AWS does where moto did not. Written against moto 5.2.5 alone: on any
other version :func:`apply` refuses loudly, because each patch replaces a piece of that version's
code.

1. **No instance tracking.** ``BaseModel.__new__`` appends every model instance (every DynamoDB item,
   every copy of one, every S3 object, every schedule) to its class's ``instances_tracked`` list, for
   moto's dashboard, and only a reset empties it: a long-running server keeps every object it ever made.
   Here nothing is tracked (the dashboard, ``/moto-api/data.json``, lists nothing).
2. **Transactions back up what they name.** ``transact_write_items`` deep-copied every table a
   transaction touched, for its rollback: quadratic in the table's size. Here it copies the items the
   transaction names (at most 100) and puts exactly those back when it is cancelled. It also runs one
   at a time, as DynamoDB runs each atomically (moto's backend takes no lock of its own).
3. **A query reads one partition.** ``Table.query`` without an index filtered every item of the
   table by its hash key; here it is handed the one partition. A query of a global secondary index is
   handed the items whose index hash attributes hold the queried values, picked by a plain comparison
   (moto sorted every item of the table by key before filtering them: 60 ms a query on 30,000 guards
in one process, 9 ms with this).
4. **SES counts each recipient once.** ``send_raw_email`` appends the To/Cc/Bcc addresses of the raw
   mail to the ``Destinations`` it was given and refuses more than 50 of that list, so a mail to 25
   people, named in both, was refused. SES takes 50 recipients; here the given destinations that the
   headers name already are left out before moto appends the headers' addresses, so each recipient is
   counted (and recorded) once and the limit of 50 is SES's.
5. **DynamoDB Streams at the address botocore uses.** botocore sends DynamoDB Streams calls for an
   ARN with an account to ``<account>.streams-ddb.<region>.amazonaws.com``, which moto's in-process
   mock does not know (it answers "Not yet implemented"); that address is added to the service's
   (moto's server routes by the target header and never needed it).
6. **Stream records for 24 hours.** A table's stream kept every record it ever made; DynamoDB keeps
   them 24 hours. Here older records are dropped as new ones come (the sequence numbers of the rest
   stay what they were), so a week of mail does not pile up in memory.
7. **A bus's Ref is its name.** moto's ``EventBus`` model has no ``physical_resource_id``, so its
   CloudFormation gave a ``Ref`` to an ``AWS::Events::EventBus`` as the model object itself: a
   function's environment then held it, and Lambda's ListFunctions failed to serialise it. Here the
   ``Ref`` is the bus's name, as CloudFormation gives it.
8. **Real TOTP codes.** moto hands every user one fixed secret that is not even base32
   ("asdfasdfasdf") and, unless an environment variable says otherwise, accepts any code. Here
   AssociateSoftwareToken (with an access token or a sign-in session) gives the user a fresh random
   base32 secret of 32 characters, kept on moto's user; VerifySoftwareToken and the
   SOFTWARE_TOKEN_MFA challenge check an RFC 6238 code (``postdesk_tools/totp.py``; one 30-second
   step of slack either side) against that user's secret and refuse a wrong one as Cognito does
   (``EnableSoftwareTokenMFAException`` and ``CodeMismatchException``, the challenge's session kept
   for another try); the challenge's USERNAME must be the session's user. As in Cognito, a user
   whose only enabled factor is TOTP is asked for a code even when it is not marked preferred.
   Codes are not checked again in a replay: ``replaying()`` marks the stack's journal replay,
   whose requests were checked when they were first answered; it also sets the clock moto's
   Cognito stamps tokens with to the time each request was first answered, so that a restarted
   stack knows the tokens it issued before (an access token is its own key in moto's pool).
9. **Cognito in CloudFormation.** moto's CloudFormation has no model for a user pool, its client,
   domain or identity provider: it skipped them, and a ``Fn::GetAtt`` of the pool's ARN (the API
   role's policy) failed the stack. Here each is made through moto's Cognito, and its ``Ref`` and
   attributes are CloudFormation's (the pool's id and ARN, the client's id, the domain, the
   provider's name).
10. **RevokeToken.** moto has no RevokeToken (it answers "not implemented"). Here revoking a refresh
    token through its app client (ClientId, and ClientSecret for a client that has one) marks it
    revoked, as a global sign-out marks every one of the user's, and ends the access and id tokens
    made from it (those that carry its ``origin_jti``): REFRESH_TOKEN_AUTH with it is refused and
    GetUser with those access tokens is refused, while the user's other sign-ins go on. As Cognito
    does, a client without token revocation is refused (UnsupportedOperationException), an access or
    id token is not revocable (UnsupportedTokenTypeException), another client's refresh token is
    refused (NotAuthorizedException), and an unknown or already revoked one answers success (RFC 7009).

Offered upstream, each would be a small change in moto itself; until then this module pins them.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

TARGET_VERSION = "5.2.5"

_applied = threading.Lock()
_state: dict[str, bool] = {"applied": False}
# Transactions one at a time, across every table and account of the process.
_transactions = threading.Lock()
# The partition a base-table query of this thread reads instead of the whole table.
_query = threading.local()


class UnsupportedMotoVersion(RuntimeError):
    """moto is not the version these patches were written against."""


def apply() -> None:
    """Patch moto (once per process). Raises UnsupportedMotoVersion on another version of moto."""
    import moto

    if moto.__version__ != TARGET_VERSION:
        raise UnsupportedMotoVersion(
            f"postdesk_tools/moto_fit.py patches moto {TARGET_VERSION}, but moto {moto.__version__} is "
            "installed. Check each patch against the new version's source (core/common_models.py "
            "BaseModel.__new__, dynamodb/models/__init__.py transact_write_items, dynamodb/models/"
            "table.py Table.query and StreamShard, ses/models.py SESBackend.send_raw_email, "
            "dynamodbstreams/urls.py, events/models.py EventBus, cognitoidp/models.py "
            "CognitoIdpBackend's associate_software_token, verify_software_token, "
            "respond_to_auth_challenge and initiate_auth, CognitoIdpUserPool's refresh_tokens, "
            "access_tokens and id_tokens, cloudformation/parsing.py get_model_list) and update "
            "TARGET_VERSION, or pin moto back in requirements-dev.txt."
        )
    with _applied:
        if _state["applied"]:
            return
        _stop_instance_tracking()
        _back_up_named_items_only()
        _query_one_partition()
        _count_each_recipient_once()
        _route_stream_endpoints()
        _keep_stream_records_a_day()
        _ref_event_buses_by_name()
        _check_real_totp_codes()
        _cognito_in_cloudformation()
        _revoke_tokens()
        _state["applied"] = True


# -- 1. instance tracking ---------------------------------------------------------------------------


def _untracked_new(cls: type, *args: Any, **kwargs: Any) -> Any:
    return object.__new__(cls)


def _stop_instance_tracking() -> None:
    from moto.core.common_models import BaseModel

    BaseModel.__new__ = staticmethod(_untracked_new)  # type: ignore[method-assign]
    pending: list[type] = [BaseModel]
    while pending:
        model = pending.pop()
        tracked = getattr(model, "instances_tracked", None)
        if isinstance(tracked, list):
            tracked.clear()
        pending.extend(model.__subclasses__())


# -- 2. transactions ------------------------------------------------------------------------------------


def _back_up_named_items_only() -> None:
    from moto.dynamodb.models import DynamoDBBackend

    DynamoDBBackend.transact_write_items = _transact_write_items  # type: ignore[method-assign,assignment]


def _key_of(backend: Any, operation: str, body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    table_name: str = body["TableName"]
    if operation != "Put":
        key: dict[str, Any] = body["Key"]
        return table_name, key
    table = backend.get_table(table_name)
    attributes = body["Item"]
    key = {table.hash_key_attr: attributes[table.hash_key_attr]}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = attributes[table.range_key_attr]
    return table_name, key


class _ItemBackups:
    """The items a transaction named, as they were before it: an item object, or None for absent."""

    def __init__(self, backend: Any) -> None:
        self._backend = backend
        self._saved: dict[tuple[str, str], tuple[Any, Any, Any, Any]] = {}

    def save(self, table_name: str, key: dict[str, Any]) -> None:
        identity = (table_name, str(sorted(key.items())))
        if identity in self._saved or table_name not in self._backend.tables:
            return
        table = self._backend.get_table(table_name)
        hash_value, range_value = self._backend.get_keys_value(table, key)
        current = table.get_item(hash_value, range_value)
        self._saved[identity] = (table, hash_value, range_value, copy.deepcopy(current))

    def restore(self) -> None:
        for table, hash_value, range_value, item in self._saved.values():
            if item is None:
                table.delete_item(hash_value, range_value)
            elif range_value is not None:
                table.items[hash_value][range_value] = item
            else:
                table.items[hash_value] = item


def _transact_write_items(backend: Any, transact_items: list[dict[str, Any]]) -> None:
    """moto 5.2.5's transact_write_items, with a rollback of the named items instead of whole tables,
    one transaction at a time. Every answer (errors, their order, ALL_OLD items) is moto's own."""
    from moto.dynamodb.comparisons import get_filter_expression
    from moto.dynamodb.exceptions import (
        ConditionalCheckFailed,
        MockValidationException,
        MultipleTransactionsException,
        TooManyTransactionsException,
        TransactionCanceledException,
        TransactWriteSingleOpException,
    )

    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    with _transactions:
        backups = _ItemBackups(backend)
        target_items: set[tuple[str, str]] = set()
        errors: list[tuple[str | None, str | None, dict[str, Any] | None]] = []
        for entry in transact_items:
            original_item: dict[str, Any] | None = None
            # Transactions do not perform multiple operations on one item (moto checks this first).
            if len(list(entry.keys())) > 1:
                raise TransactWriteSingleOpException
            try:
                operation, body = next(iter(entry.items()))
                if operation not in {"ConditionCheck", "Put", "Delete", "Update"}:
                    raise ValueError("Unsupported transaction operation")
                table_name, key = _key_of(backend, operation, body)
                identity = (str(table_name), str(dict(sorted(key.items()))))
                if identity in target_items:
                    raise MultipleTransactionsException()
                target_items.add(identity)
                condition = body.get("ConditionExpression")
                names = body.get("ExpressionAttributeNames")
                values = body.get("ExpressionAttributeValues")
                current = backend.get_item(table_name, key)
                if condition is not None and not get_filter_expression(condition, names, values).expr(
                    current
                ):
                    if body.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
                        original_item = current.to_json()["Attributes"]
                    raise ConditionalCheckFailed(item=original_item)
                if operation != "ConditionCheck":
                    backups.save(table_name, key)
                if operation == "Put":
                    backend.put_item(
                        table_name,
                        body["Item"],
                        condition_expression=condition,
                        expression_attribute_names=names,
                        expression_attribute_values=values,
                    )
                elif operation == "Delete":
                    backend.delete_item(
                        table_name,
                        key,
                        condition_expression=condition,
                        expression_attribute_names=names,
                        expression_attribute_values=values,
                    )
                elif operation == "Update":
                    backend.update_item(
                        table_name,
                        key,
                        update_expression=body["UpdateExpression"],
                        condition_expression=condition,
                        expression_attribute_names=names,
                        expression_attribute_values=values,
                    )
                errors.append((None, None, None))
            except (MultipleTransactionsException, MockValidationException):
                backups.restore()
                raise
            except ConditionalCheckFailed as failed:
                errors.append(("ConditionalCheckFailed", str(failed.message), original_item))
            except Exception as error:
                errors.append((type(error).__name__, str(error), original_item))
        if any(code is not None for code, _, _ in errors):
            backups.restore()
            raise TransactionCanceledException(errors)


# -- 3. base-table queries -------------------------------------------------------------------------------


def _query_one_partition() -> None:
    from moto.dynamodb.models.table import Table

    all_items: Callable[[Any], list[Any]] = Table.all_items
    query: Callable[..., Any] = Table.query

    def partition_or_all(table: Any) -> list[Any]:
        chosen = getattr(_query, "partition", None)
        if chosen is not None and chosen[0] is table:
            return list(chosen[1])
        return all_items(table)

    def query_one_partition(table: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        # moto passes index_name as the 8th argument (after the hash key's seven), or by name.
        index_name = kwargs.get("index_name", args[6] if len(args) > 6 else None)
        if index_name is not None:
            conditions = kwargs.get("hash_key_conditions") or []
            if not conditions:
                return query(table, hash_key, *args, **kwargs)
            with _reading(table, _index_partition(_unsorted_items(table), conditions)):
                return query(table, hash_key, *args, **kwargs)
        if hash_key is None:
            return query(table, hash_key, *args, **kwargs)
        with _reading(table, _partition(table, hash_key)):
            return query(table, hash_key, *args, **kwargs)

    Table.all_items = partition_or_all  # type: ignore[method-assign,assignment]
    Table.query = query_one_partition  # type: ignore[method-assign,assignment]


def _unsorted_items(table: Any) -> Iterator[Any]:
    """Every item of the table as it is stored (``Table.all_items`` sorts them all by key first,
    which is most of a query's cost on a large table; moto sorts what the query picks anyway)."""
    for found in list(table.items.values()):
        if isinstance(found, dict):
            yield from list(found.values())
        else:
            yield found


def _index_partition(items: Iterable[Any], conditions: list[tuple[str, Any]]) -> list[Any]:
    """The items whose index hash attributes hold the queried values (moto checks them again, with
    the rest of the query): compared as type and raw value, a fraction of moto's per-item cost."""
    wanted = [(name, value.type, value.value) for name, value in conditions]
    found = []
    for item in items:
        attrs = getattr(item, "attrs", None)
        if attrs is None:
            continue
        for name, kind, raw in wanted:
            held = attrs.get(name)
            if held is None or held.type != kind or held.value != raw:
                break
        else:
            found.append(item)
    return found


def _partition(table: Any, hash_key: Any) -> list[Any]:
    found = table.items.get(hash_key)
    if found is None:
        return []
    return list(found.values()) if table.range_key_attr else [found]


@contextmanager
def _reading(table: Any, items: list[Any]) -> Iterator[None]:
    _query.partition = (table, items)
    try:
        yield
    finally:
        _query.partition = None


# -- 4. SES recipients -------------------------------------------------------------------------------------


def _count_each_recipient_once() -> None:
    import email
    from email.utils import getaddresses

    from moto.ses.models import SESBackend

    send_raw_email: Callable[..., Any] = SESBackend.send_raw_email

    def send_to_each_once(backend: Any, source: Any, destinations: list[str], raw_data: str) -> Any:
        message = email.message_from_string(raw_data)
        named = [message[header] for header in ("TO", "CC", "BCC") if header in message]
        in_headers = {address.lower() for _, address in getaddresses(named) if address}
        others = [
            destination
            for destination in destinations
            if getaddresses([destination])[0][1].lower() not in in_headers
        ]
        return send_raw_email(backend, source, others, raw_data)

    SESBackend.send_raw_email = send_to_each_once  # type: ignore[method-assign,assignment]


# -- 5. DynamoDB Streams endpoints ---------------------------------------------------------------

STREAMS_ACCOUNT_ENDPOINT = r"https?://(.+)\.streams-ddb\.(.+)\.amazonaws\.com"


def _route_stream_endpoints() -> None:
    import re

    from moto import backend_index
    from moto.dynamodbstreams import urls

    if STREAMS_ACCOUNT_ENDPOINT not in urls.url_bases:
        urls.url_bases.append(STREAMS_ACCOUNT_ENDPOINT)
        backend_index.backend_url_patterns.append(("dynamodbstreams", re.compile(STREAMS_ACCOUNT_ENDPOINT)))


# -- 6. stream records expire -----------------------------------------------------------------------

STREAM_RECORD_SECONDS = 24 * 3600


def _keep_stream_records_a_day() -> None:
    from moto.dynamodb.models.table import StreamShard

    add: Callable[..., None] = StreamShard.add

    def add_and_forget_old(shard: Any, old: Any, new: Any) -> None:
        add(shard, old, new)
        if not shard.items:
            return
        # A day before the record just made (moto's clock, as the record's own time says).
        now = shard.items[-1].record["dynamodb"]["ApproximateCreationDateTime"]
        stale = 0
        for record in shard.items:
            created = record.record["dynamodb"]["ApproximateCreationDateTime"]
            if (now - created).total_seconds() <= STREAM_RECORD_SECONDS:
                break
            stale += 1
        if stale:
            # StreamShard.get counts positions from starting_sequence_number: move it with the cut.
            del shard.items[:stale]
            shard.starting_sequence_number += stale

    StreamShard.add = add_and_forget_old  # type: ignore[method-assign,assignment]


# -- 7. an event bus's Ref ----------------------------------------------------------------------------


def _bus_name(bus: Any) -> str:
    return str(bus.name)


def _ref_event_buses_by_name() -> None:
    from moto.events.models import EventBus

    EventBus.physical_resource_id = property(_bus_name)  # type: ignore[attr-defined]


# -- 8. real TOTP ---------------------------------------------------------------------------------------

# Cognito's secrets are 32 base32 characters (160 bits), as RFC 4226 recommends for HMAC-SHA1.
TOTP_SECRET_CHARACTERS = 32
_BASE32_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
# While a journal is replayed (moto_server), codes are not checked again: the journal holds only
# requests that were answered with success, and their codes have expired since.
_replay = threading.local()


@contextmanager
def replaying(answered_at: float | None = None) -> Iterator[None]:
    """Requests made inside are replays of requests moto once answered with success: their TOTP codes
    are taken as they were then (each was checked when it was first answered), and Cognito's clock
    reads ``answered_at`` (Unix seconds; None: the present), so that the tokens it issues again
    carry the times, and so the text, of those it issued then."""
    previous = getattr(_replay, "active", False), getattr(_replay, "at", None)
    _replay.active, _replay.at = True, answered_at
    try:
        yield
    finally:
        _replay.active, _replay.at = previous


class _CognitoClock:
    """What moto's Cognito models read as ``time``: the real clock, or a replay's."""

    @staticmethod
    def time() -> float:
        at = getattr(_replay, "at", None)
        return time.time() if at is None else float(at)


def _code_accepted(secret: str, code: str) -> bool:
    from postdesk_tools.totp import code_matches

    return bool(getattr(_replay, "active", False)) or code_matches(secret, code)


def _new_totp_secret() -> str:
    # moto's seeded generator, which the stack's journal replays under the seed a request first ran
    # with: a restarted stack holds the same secret the authenticator app was given.
    from moto.moto_api._internal import mock_random

    return "".join(mock_random.choice(_BASE32_ALPHABET) for _ in range(TOTP_SECRET_CHARACTERS))


def _cognito_error(error_type: str, message: str) -> Exception:
    from moto.core.exceptions import JsonRESTError

    return JsonRESTError(error_type, message)


def _user_of_access_token(backend: Any, access_token: str) -> tuple[Any, str, Any]:
    """(user, username, pool) of an access token the backend issued; NotAuthorized as moto answers."""
    from moto.cognitoidp.exceptions import NotAuthorizedError

    for user_pool in backend.user_pools.values():
        if access_token in user_pool.access_tokens:
            _, username = user_pool.access_tokens[access_token]
            return backend.admin_get_user(user_pool.id, username), username, user_pool
    raise NotAuthorizedError(access_token)


def _associate_software_token(backend: Any, access_token: str, session: str) -> dict[str, str]:
    """A fresh secret for the user of the access token or sign-in session, kept on moto's user as
    pending until VerifySoftwareToken proves an authenticator holds it (a secret already verified
    stays in use until then)."""
    from moto.cognitoidp.exceptions import NotAuthorizedError

    if session:
        if session not in backend.sessions:
            raise NotAuthorizedError(session)
        username, user_pool = backend.sessions[session]
        user = backend.admin_get_user(user_pool.id, username)
    else:
        user, _, _ = _user_of_access_token(backend, access_token)
    secret = _new_totp_secret()
    user.totp_pending_secret = secret
    return {"SecretCode": secret, "Session": session} if session else {"SecretCode": secret}


def _verify_software_token(
    backend: Any, access_token: str, session: str, user_code: str, friendly_device_name: str
) -> dict[str, str]:
    """The code checked against the user's pending secret (or the verified one, when none is
    pending): a match makes it the user's secret; a mismatch is Cognito's
    EnableSoftwareTokenMFAException."""
    from moto.cognitoidp.exceptions import InvalidParameterException, ResourceNotFoundError
    from moto.moto_api._internal import mock_random

    if session:
        if session not in backend.sessions:
            raise ResourceNotFoundError(session)
        username, user_pool = backend.sessions[session]
        user = backend.admin_get_user(user_pool.id, username)
    else:
        user, username, user_pool = _user_of_access_token(backend, access_token)
    secret = getattr(user, "totp_pending_secret", None) or getattr(user, "totp_secret", None)
    if not secret:
        raise InvalidParameterException("AssociateSoftwareToken has not been called for this user.")
    if not _code_accepted(secret, user_code or ""):
        raise _cognito_error(
            "EnableSoftwareTokenMFAException", "Code mismatch and fail enable Software Token MFA"
        )
    user.totp_secret = secret
    user.totp_pending_secret = None
    user.token_verified = True
    new_session = str(mock_random.uuid4())
    backend.sessions[new_session] = (username, user_pool)
    return {"Status": "SUCCESS", "Session": new_session}


def _answer_software_token_challenge(
    backend: Any, session: str, client_id: str, responses: dict[str, str]
) -> dict[str, Any]:
    """moto's SOFTWARE_TOKEN_MFA branch of RespondToAuthChallenge, with the code checked against the
    user's verified secret, and the USERNAME held to the session's user."""
    from moto.cognitoidp.exceptions import (
        CodeMismatchException,
        InvalidParameterException,
        NotAuthorizedError,
        ResourceNotFoundError,
    )
    from moto.cognitoidp.utils import check_secret_hash

    if session not in backend.sessions:
        raise ResourceNotFoundError(session)
    session_username, user_pool = backend.sessions[session]
    client = user_pool.clients.get(client_id)
    if not client:
        raise ResourceNotFoundError(client_id)
    username = responses.get("USERNAME") or ""
    user = backend.admin_get_user(user_pool.id, username)
    if user is not user_pool._get_user(session_username):
        raise NotAuthorizedError("Invalid session for the user.")
    code = responses.get("SOFTWARE_TOKEN_MFA_CODE")
    if not code:
        raise InvalidParameterException("Missing required parameter SOFTWARE_TOKEN_MFA_CODE")
    if client.generate_secret and not check_secret_hash(
        client.secret, client.id, username, responses.get("SECRET_HASH")
    ):
        raise NotAuthorizedError(responses.get("SECRET_HASH"))
    secret = getattr(user, "totp_secret", None)
    if not secret:
        raise _cognito_error(
            "SoftwareTokenMFANotFoundException", "Software Token MFA does not exist for the user."
        )
    if not _code_accepted(secret, code):
        # The session stays: Cognito lets the code be typed again within the session's life.
        raise CodeMismatchException("Invalid code or auth state for the user.")
    del backend.sessions[session]
    return backend._log_user_in(user_pool, client, username)  # type: ignore[no-any-return]


@contextmanager
def _only_factor_preferred(user: Any) -> Iterator[None]:
    """Cognito asks for a user's one enabled factor even when none is marked preferred; moto asks only
    for a preferred one. For the call inside, TOTP counts as preferred when it is the only factor."""
    only_totp = (
        user is not None
        and user.software_token_mfa_enabled
        and not user.sms_mfa_enabled
        and not user.preferred_mfa_setting
    )
    if not only_totp:
        yield
        return
    user.preferred_mfa_setting = "SOFTWARE_TOKEN_MFA"
    try:
        yield
    finally:
        user.preferred_mfa_setting = ""


def _user_signing_in(backend: Any, client_id: str, auth_parameters: dict[str, str] | None) -> Any:
    username = (auth_parameters or {}).get("USERNAME")
    if not username:
        return None
    for user_pool in backend.user_pools.values():
        if client_id in user_pool.clients:
            return user_pool._get_user(username)
    return None


def _check_real_totp_codes() -> None:
    from moto.cognitoidp import models
    from moto.cognitoidp.models import CognitoIdpBackend

    # Tokens are stamped by this clock (CognitoIdpUserPool.create_jwt), which a replay sets.
    models.time = _CognitoClock  # type: ignore[attr-defined,assignment]

    respond: Callable[..., dict[str, Any]] = CognitoIdpBackend.respond_to_auth_challenge
    initiate: Callable[..., dict[str, Any]] = CognitoIdpBackend.initiate_auth
    admin_initiate: Callable[..., dict[str, Any]] = CognitoIdpBackend.admin_initiate_auth

    def respond_checking_codes(
        backend: Any, session: str, client_id: str, challenge_name: str, responses: dict[str, str]
    ) -> dict[str, Any]:
        if challenge_name == "SOFTWARE_TOKEN_MFA":
            return _answer_software_token_challenge(backend, session, client_id, responses or {})
        return respond(backend, session, client_id, challenge_name, responses)

    def initiate_asking_the_only_factor(
        backend: Any, client_id: str, auth_flow: str, auth_parameters: dict[str, str]
    ) -> dict[str, Any]:
        with _only_factor_preferred(_user_signing_in(backend, client_id, auth_parameters)):
            return initiate(backend, client_id, auth_flow, auth_parameters)

    def admin_initiate_asking_the_only_factor(
        backend: Any, user_pool_id: str, client_id: str, auth_flow: str, auth_parameters: dict[str, str]
    ) -> dict[str, Any]:
        with _only_factor_preferred(_user_signing_in(backend, client_id, auth_parameters)):
            return admin_initiate(backend, user_pool_id, client_id, auth_flow, auth_parameters)

    CognitoIdpBackend.associate_software_token = _associate_software_token  # type: ignore[method-assign,assignment]
    CognitoIdpBackend.verify_software_token = _verify_software_token  # type: ignore[method-assign,assignment]
    CognitoIdpBackend.respond_to_auth_challenge = respond_checking_codes  # type: ignore[method-assign,assignment]
    CognitoIdpBackend.initiate_auth = initiate_asking_the_only_factor  # type: ignore[method-assign,assignment]
    CognitoIdpBackend.admin_initiate_auth = admin_initiate_asking_the_only_factor  # type: ignore[method-assign,assignment]


# -- 9. Cognito in CloudFormation ---------------------------------------------------------------------

# The CloudFormation properties of a pool that Cognito's CreateUserPool does not take as they are.
_POOL_PROPERTIES_ASIDE = frozenset({"UserPoolName", "EnabledMfas", "DeletionProtection", "UserPoolTags"})


def _cognito_backend(account_id: str, region_name: str) -> Any:
    from moto.cognitoidp.models import cognitoidp_backends

    return cognitoidp_backends[account_id][region_name]


class _CognitoResource:
    """What the CloudFormation models of Cognito's resources share: each is made through Cognito's
    API (``made_by_cognito``) from the resource's properties, and answers the attributes of its
    ``ATTRIBUTES``. A mixin, not a CloudFormationModel: moto lists only that class's direct
    subclasses as models, so each model names CloudFormationModel itself."""

    NAME_TYPE: ClassVar[str]
    TYPE: ClassVar[str]
    # Attribute name -> its value, read from the model.
    ATTRIBUTES: ClassVar[dict[str, Callable[[Any], Any]]] = {}

    def __init__(self, made: Any) -> None:
        # Each model keeps what Cognito made under its own name (the stack's snapshots pickle it so).
        raise NotImplementedError

    @classmethod
    def cloudformation_name_type(cls) -> str:
        return cls.NAME_TYPE

    @classmethod
    def cloudformation_type(cls) -> str:
        return cls.TYPE

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in cls.ATTRIBUTES

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        return self.ATTRIBUTES[attribute_name](self)

    @staticmethod
    def made_by_cognito(backend: Any, resource_name: str, properties: dict[str, Any]) -> Any:
        """What Cognito's API made for the resource (what the model is made with)."""
        raise NotImplementedError

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> Any:
        properties = dict(cloudformation_json.get("Properties", {}))
        return cls(cls.made_by_cognito(_cognito_backend(account_id, region_name), resource_name, properties))


def _pool_issuer(model: Any) -> str:
    return f"cognito-idp.{model.pool.region}.amazonaws.com/{model.pool.id}"


def _cognito_models() -> list[type]:
    """CloudFormation models of moto's pool, client, domain and identity provider. Each holds what
    Cognito's API made (the same objects the API then answers about): Ref gives the pool's id, the
    client's id, the domain, the provider's name, as CloudFormation does; the pool has Arn,
    ProviderName and ProviderURL."""
    from moto.core.common_models import CloudFormationModel

    class CognitoUserPoolResource(_CognitoResource, CloudFormationModel):
        NAME_TYPE = "UserPoolName"
        TYPE = "AWS::Cognito::UserPool"
        ATTRIBUTES: ClassVar[dict[str, Callable[[Any], Any]]] = {
            "Arn": lambda model: model.pool.arn,
            "ProviderName": _pool_issuer,
            "ProviderURL": lambda model: f"https://{_pool_issuer(model)}",
            "UserPoolId": lambda model: model.pool.id,
        }

        def __init__(self, pool: Any) -> None:
            self.pool = pool

        @property
        def physical_resource_id(self) -> str:
            return str(self.pool.id)

        @staticmethod
        def made_by_cognito(backend: Any, resource_name: str, properties: dict[str, Any]) -> Any:
            name = properties.get("UserPoolName", resource_name)
            enabled = properties.get("EnabledMfas", [])
            config = {key: value for key, value in properties.items() if key not in _POOL_PROPERTIES_ASIDE}
            pool = backend.create_user_pool(name, config)
            if "SOFTWARE_TOKEN_MFA" in enabled:
                pool.token_mfa_config = {"Enabled": True}
            return pool

        @classmethod
        def delete_from_cloudformation_json(
            cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
        ) -> None:
            backend = _cognito_backend(account_id, region_name)
            backend.user_pools.pop(resource_name, None)

    class CognitoUserPoolClientResource(_CognitoResource, CloudFormationModel):
        NAME_TYPE = "ClientName"
        TYPE = "AWS::Cognito::UserPoolClient"
        ATTRIBUTES: ClassVar[dict[str, Callable[[Any], Any]]] = {
            "ClientId": lambda model: model.user_pool_client.id,
            "Name": lambda model: model.user_pool_client.extended_config.get("ClientName", ""),
        }

        def __init__(self, user_pool_client: Any) -> None:
            self.user_pool_client = user_pool_client

        @property
        def physical_resource_id(self) -> str:
            return str(self.user_pool_client.id)

        @staticmethod
        def made_by_cognito(backend: Any, resource_name: str, properties: dict[str, Any]) -> Any:
            pool_id = properties.pop("UserPoolId")
            generate_secret = bool(properties.pop("GenerateSecret", False))
            properties.setdefault("ClientName", resource_name)
            return backend.create_user_pool_client(pool_id, generate_secret, properties)

    class CognitoUserPoolDomainResource(_CognitoResource, CloudFormationModel):
        NAME_TYPE = "Domain"
        TYPE = "AWS::Cognito::UserPoolDomain"

        def __init__(self, domain: str) -> None:
            self.domain = domain

        @property
        def physical_resource_id(self) -> str:
            return self.domain

        @staticmethod
        def made_by_cognito(backend: Any, resource_name: str, properties: dict[str, Any]) -> Any:
            made = backend.create_user_pool_domain(
                properties["UserPoolId"], properties["Domain"], properties.get("CustomDomainConfig")
            )
            return str(made.domain)

    class CognitoIdentityProviderResource(_CognitoResource, CloudFormationModel):
        NAME_TYPE = "ProviderName"
        TYPE = "AWS::Cognito::UserPoolIdentityProvider"

        def __init__(self, name: str) -> None:
            self.name = name

        @property
        def physical_resource_id(self) -> str:
            return self.name

        @staticmethod
        def made_by_cognito(backend: Any, resource_name: str, properties: dict[str, Any]) -> Any:
            pool_id = properties.pop("UserPoolId")
            name = properties.pop("ProviderName")
            backend.create_identity_provider(pool_id, name, properties)
            return str(name)

    return [
        CognitoUserPoolResource,
        CognitoUserPoolClientResource,
        CognitoUserPoolDomainResource,
        CognitoIdentityProviderResource,
    ]


def _cognito_in_cloudformation() -> None:
    from moto.cloudformation import parsing

    for model in _cognito_models():
        # At module level under its own name, as pickle finds a class (the stack's snapshots).
        model.__module__ = __name__
        model.__qualname__ = model.__name__
        globals()[model.__name__] = model
    # moto reads its list of models once, from CloudFormationModel's subclasses.
    parsing.get_model_list.cache_clear()
    parsing.get_model_map.cache_clear()
    parsing.get_name_type_map.cache_clear()


def rsa_private_key_from_der(der: bytes) -> Any:
    """An RSA private key from the DER bytes a snapshot holds (moto_server pickles a user pool's
    signing key so: cryptography's keys do not pickle). Here, at module level of a module always
    imported under its own name, so that pickle finds it."""
    from cryptography.hazmat.primitives import serialization

    return serialization.load_der_private_key(der, password=None)


def rsa_public_key_from_der(der: bytes) -> Any:
    """An RSA public key from a snapshot's DER bytes (see rsa_private_key_from_der)."""
    from cryptography.hazmat.primitives import serialization

    return serialization.load_der_public_key(der)


# -- 10. RevokeToken ------------------------------------------------------------------------------------


def _origin_jti(token: str) -> str:
    """The ``origin_jti`` claim of a token moto issued (its signature is moto's own: not checked)."""
    import base64
    import json

    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return ""
    return str(claims.get("origin_jti", "")) if isinstance(claims, dict) else ""


def _revoke_token(backend: Any, token: str, client_id: str, client_secret: str | None) -> None:
    """Revoke the refresh token ``token`` of the app client ``client_id`` and end the access and id
    tokens issued from it (see the module's docstring, 10)."""
    from moto.cognitoidp.exceptions import NotAuthorizedError, ResourceNotFoundError

    user_pool = next((pool for pool in backend.user_pools.values() if client_id in pool.clients), None)
    if user_pool is None:
        raise ResourceNotFoundError(client_id)
    client = user_pool.clients[client_id]
    if not client.extended_config.get("EnableTokenRevocation", True):
        raise _cognito_error(
            "UnsupportedOperationException", "Token revocation is not enabled for this client."
        )
    if client.generate_secret and client_secret != client.secret:
        raise NotAuthorizedError("Client secret is not right for this client.")
    if token in user_pool.access_tokens or token in user_pool.id_tokens:
        raise _cognito_error("UnsupportedTokenTypeException", "Only refresh tokens can be revoked.")
    issued = user_pool.refresh_tokens.get(token)
    if issued is None:
        return
    issued_to, _, origin = issued
    if issued_to != client_id:
        raise NotAuthorizedError("The token was not issued to this client.")
    user_pool.refresh_tokens[token] = None
    for tokens in (user_pool.access_tokens, user_pool.id_tokens):
        for made in [made for made in tokens if _origin_jti(made) == origin]:
            del tokens[made]


def _revoke_tokens() -> None:
    from moto.cognitoidp.models import RegionAgnosticBackend
    from moto.cognitoidp.responses import CognitoIdpResponse
    from moto.core.responses import EmptyResult

    def revoke_token(response: Any) -> Any:
        client_id = str(response._get_param("ClientId") or "")
        # RevokeToken is unsigned, so the region is not known: the backend whose pool has the client.
        backend = RegionAgnosticBackend(response.current_account, response.region)._find_backend_for_clientid(
            client_id
        )
        _revoke_token(
            backend, str(response._get_param("Token") or ""), client_id, response._get_param("ClientSecret")
        )
        return EmptyResult()

    CognitoIdpResponse.revoke_token = revoke_token  # type: ignore[attr-defined]
