"""Every test runs with fake AWS credentials and no endpoint: nothing can reach a real account."""

from __future__ import annotations

import os

for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
    os.environ.pop(name, None)
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_REGION": "eu-west-1",
        "POWERTOOLS_METRICS_NAMESPACE": "Postdesk",
        "POWERTOOLS_SERVICE_NAME": "postdesk",
    }
)
