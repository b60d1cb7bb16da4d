"""The infra tests deploy the template on moto: with moto_fit's patches, so that a Ref to the event
bus is its name there, as in CloudFormation (postdesk_tools/moto_fit.py, patch 7)."""

from __future__ import annotations

import pytest

from postdesk_tools import moto_fit


@pytest.fixture(autouse=True)
def _moto_fit() -> None:
    moto_fit.apply()
