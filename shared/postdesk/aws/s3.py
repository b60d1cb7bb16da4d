"""The blob store: raw mail, attachments and long bodies in the mail bucket."""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO

from botocore.exceptions import ClientError

from postdesk.aws.clients import client
from postdesk.mail.filenames import content_disposition

# DeleteObjects takes at most this many keys per request.
_DELETE_BATCH = 1000


class BlobNotFound(KeyError):
    """No object under that key."""


class S3BlobStore:
    def __init__(self, bucket: str, region: str) -> None:
        self.bucket = bucket
        self._region = region

    def get(self, key: str) -> bytes:
        try:
            response = client("s3", self._region).get_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise BlobNotFound(key) from error
            raise
        body: bytes = response["Body"].read()
        return body

    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Write ``data`` (idempotent: keys are derived from content or from the delivery)."""
        client("s3", self._region).put_object(
            Bucket=self.bucket, Key=key, Body=data, ContentType=content_type
        )

    def presigned_url(self, key: str, seconds: int, filename: str | None = None) -> str:
        """A short-lived GET link, served as a download so a browser never renders it in our origin."""
        parameters: dict[str, str] = {"Bucket": self.bucket, "Key": key}
        if filename:
            parameters["ResponseContentDisposition"] = content_disposition(filename)
        url: str = client("s3", self._region).generate_presigned_url(
            "get_object", Params=parameters, ExpiresIn=seconds
        )
        return url

    def upload(self, key: str, data: IO[bytes], content_type: str) -> None:
        """Write what ``data`` holds (read from where it stands; multipart when it is large)."""
        client("s3", self._region).upload_fileobj(
            data, self.bucket, key, ExtraArgs={"ContentType": content_type}
        )

    def keys_under(self, prefix: str) -> list[str]:
        """Every key that starts with ``prefix``, in key order."""
        pages = (
            client("s3", self._region)
            .get_paginator("list_objects_v2")
            .paginate(Bucket=self.bucket, Prefix=prefix)
        )
        return [entry["Key"] for page in pages for entry in page.get("Contents", [])]

    def delete_keys(self, keys: Iterable[str]) -> None:
        """Delete these objects (a key with no object is no error)."""
        wanted = sorted(set(keys))
        s3 = client("s3", self._region)
        for start in range(0, len(wanted), _DELETE_BATCH):
            batch = wanted[start : start + _DELETE_BATCH]
            answer = s3.delete_objects(
                Bucket=self.bucket, Delete={"Objects": [{"Key": key} for key in batch], "Quiet": True}
            )
            errors = answer.get("Errors") or []
            if errors:
                first = errors[0]
                raise RuntimeError(
                    f"S3 kept {len(errors)} object(s) it was asked to delete: {first.get('Code')} "
                    f"{first.get('Message')}"
                )
