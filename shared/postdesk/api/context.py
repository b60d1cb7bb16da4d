"""What every route works with (settings, adapters, the agents) and who is asking."""

from __future__ import annotations

from dataclasses import dataclass

from postdesk.agents.model import Agent, Role, require_role
from postdesk.agents.store import AgentStore
from postdesk.api.http import ApiRequest
from postdesk.aws.s3 import S3BlobStore
from postdesk.ports import Ports
from postdesk.settings import Settings


@dataclass(frozen=True, slots=True)
class ApiContext:
    settings: Settings
    ports: Ports
    agents: AgentStore
    blobs: S3BlobStore


def authenticated(request: ApiRequest, context: ApiContext, role: Role = Role.AGENT) -> Agent:
    """The agent whose bearer token came with the request, if its role allows ``role``."""
    authorization = request.header("authorization") or ""
    scheme, _, token = authorization.partition(" ")
    agent = context.agents.authenticate(token.strip() if scheme.lower() == "bearer" else "")
    require_role(agent, role)
    return agent
