"""Every AWS API call the code makes, with the function it ran for.

``botocore.client.BaseClient._make_api_call`` is the one door every boto3 client, resource,
paginator and PynamoDB connection goes through, so patching it for the length of a ``with`` sees
every call (moto answers behind it, at the HTTP layer)::

    with recording_api_calls() as recorder:
        with recorder.function("ingest"):
            ...                      # calls made here are labelled "ingest"
        ...                          # calls made here have function None (the test's own set-up)
    recorder.calls                   # every ApiCall, in order
    recorder.of(function="ingest", service="dynamodb")
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from botocore.client import BaseClient
from botocore.exceptions import ClientError


@dataclass(frozen=True, slots=True)
class ApiCall:
    """One API call: ``service`` is botocore's service name ("dynamodb", "sesv2"), ``iam_prefix`` the
    prefix of its IAM actions ("dynamodb", "ses"), ``operation`` the API's name ("TransactWriteItems"),
    ``params`` exactly what the client sent (table names, keys, buckets: the resources it touched)."""

    function: str | None
    service: str
    iam_prefix: str
    operation: str
    params: Mapping[str, Any]
    # What AWS answered (None when it raised), and the error code when it raised.
    response: Mapping[str, Any] | None = None
    error: str | None = None


@dataclass
class ApiCallRecorder:
    calls: list[ApiCall] = field(default_factory=list)
    current: str | None = None

    @contextmanager
    def function(self, name: str | None) -> Iterator[None]:
        """Label the calls made inside with ``name`` (the Lambda function they run for)."""
        previous, self.current = self.current, name
        try:
            yield
        finally:
            self.current = previous

    def of(
        self, function: str | None = None, service: str | None = None, operation: str | None = None
    ) -> list[ApiCall]:
        """The calls that match every criterion given."""
        return [
            call
            for call in self.calls
            if (function is None or call.function == function)
            and (service is None or call.service == service)
            and (operation is None or call.operation == operation)
        ]

    def counts(self) -> Counter[tuple[str | None, str, str]]:
        """How many calls of each (function, service, operation)."""
        return Counter((call.function, call.service, call.operation) for call in self.calls)


@contextmanager
def recording_api_calls() -> Iterator[ApiCallRecorder]:
    recorder = ApiCallRecorder()
    original = BaseClient._make_api_call

    def recording(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        model = client.meta.service_model
        function, service, prefix = recorder.current, model.service_name, model.signing_name
        try:
            response = original(client, operation, params)
        except Exception as error:
            code = error.response.get("Error", {}).get("Code") if isinstance(error, ClientError) else None
            recorder.calls.append(
                ApiCall(function, service, prefix, operation, params, error=code or type(error).__name__)
            )
            raise
        recorder.calls.append(ApiCall(function, service, prefix, operation, params, response=response))
        return response

    BaseClient._make_api_call = recording  # type: ignore[method-assign]
    try:
        yield recorder
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]
