"""The blob store: raw mail, attachments and long bodies in the mail bucket."""

from __future__ import annotations

import os
from collections.abc import Iterable
from functools import cache
from typing import IO, Any
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from postdesk.aws.clients import client
from postdesk.mail.filenames import content_disposition

# DeleteObjects takes at most this many keys per request.
_DELETE_BATCH = 1000


def _upload_client(region: str) -> Any:
    """S3 with Signature Version 4 and the region's own endpoint, for forms a browser posts: the
    legacy signature is refused by newer regions, and the global endpoint redirects (and a redirected
    POST loses its body) while a new bucket's name spreads. The local stack's endpoint, when set, is
    addressed by path (moto on 127.0.0.1 has no bucket host names)."""
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or None
    return _form_client(region, endpoint)


@cache
def _form_client(region: str, endpoint: str | None) -> Any:
    style = "path" if endpoint else "virtual"
    return boto3.session.Session().client(
        "s3",
        region_name=region,
        endpoint_url=endpoint or f"https://s3.{region}.amazonaws.com",
        config=Config(signature_version="s3v4", s3={"addressing_style": style}),
    )


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

    def presigned_post(self, key: str, max_bytes: int, seconds: int) -> dict[str, Any]:
        """A short-lived form (``url`` and ``fields``) a browser POSTs one file of at most
        ``max_bytes`` with, to exactly ``key``. The type is fixed to octet-stream: what the browser
        says is not trusted, and an upload is never served as it is."""
        fields = {"Content-Type": "application/octet-stream"}
        conditions: list[Any] = [
            {"Content-Type": "application/octet-stream"},
            ["content-length-range", 1, max_bytes],
        ]
        post: dict[str, Any] = _upload_client(self._region).generate_presigned_post(
            self.bucket, key, Fields=fields, Conditions=conditions, ExpiresIn=seconds
        )
        return post

    def upload_origin(self) -> str:
        """Where browsers POST their uploads (``https://<bucket>.s3...``; the local stack's moto): the
        console's Content-Security-Policy lets it connect there. Made here, without a request."""
        url = urlsplit(_upload_client(self._region).generate_presigned_post(self.bucket, "origin")["url"])
        return f"{url.scheme}://{url.netloc}"

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
