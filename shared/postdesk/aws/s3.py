"""The blob store: raw mail, attachments and long bodies in the mail bucket."""

from __future__ import annotations

from botocore.exceptions import ClientError

from postdesk.aws.clients import client


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
            safe = filename.replace('"', "").replace("\\", "")
            parameters["ResponseContentDisposition"] = f'attachment; filename="{safe}"'
        url: str = client("s3", self._region).generate_presigned_url(
            "get_object", Params=parameters, ExpiresIn=seconds
        )
        return url
