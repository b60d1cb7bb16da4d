"""The agent console: pages served by the same app as the API (a Chalice blueprint)."""

from __future__ import annotations

from chalice import Blueprint

blueprint = Blueprint(__name__)
