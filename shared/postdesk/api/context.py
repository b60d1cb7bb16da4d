"""What every route works with (settings, adapters, the agents) and who is asking."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from postdesk.agents.model import Agent, Role, require_role
from postdesk.agents.store import AgentStore
from postdesk.agents.tokens import require_scope
from postdesk.api.http import ApiRequest
from postdesk.aws.s3 import S3BlobStore
from postdesk.errors import CrossSiteRefused
from postdesk.ports import Ports
from postdesk.settings import Settings

if TYPE_CHECKING:
    from postdesk.auth.sign_in import ActiveSession


@dataclass(frozen=True, slots=True)
class ApiContext:
    settings: Settings
    ports: Ports
    agents: AgentStore
    blobs: S3BlobStore


# The session cookie (docs/sign-in.md): a random id; HttpOnly, Secure, SameSite=Strict, Path=/.
SESSION_COOKIE = "__Host-postdesk_session"
# Requests that change nothing need no CSRF token.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "X-CSRF-Token"


def authenticated(request: ApiRequest, context: ApiContext, role: Role = Role.AGENT) -> Agent:
    """The agent asking, if their role allows ``role``: by the API token of an ``Authorization:
    Bearer`` header (within the token's scope), or else by the session cookie (a change must carry
    the session's CSRF token, and a request from another origin is refused)."""
    authorization = request.header("authorization") or ""
    scheme, _, token = authorization.partition(" ")
    bearer = scheme.lower() == "bearer"
    if not bearer and request.cookie(SESSION_COOKIE):
        agent = signed_in_session(request, context).agent
    else:
        access = context.agents.authenticate_token(token.strip() if bearer else "")
        # The owner's role first: an agent refused an admin route hears that their role does not
        # allow it, not that another token's scope would.
        require_role(access.agent, role)
        require_scope(access.scope, request.method, role)
        agent = access.acting_agent
    require_role(agent, role)
    return agent


def signed_in_session(request: ApiRequest, context: ApiContext) -> ActiveSession:
    """The session of the request's cookie, checked (auth/sign_in.py ``check_session``): from the
    desk's own origin, and, for a method that may change something, with its CSRF token.
    SignInRefused without a valid session, CrossSiteRefused without the token or from elsewhere."""
    from postdesk.auth.sign_in import check_session, csrf_matches
    from postdesk.errors import SignInRefused
    from postdesk.runtime import sign_in_desk

    require_own_origin(request, context)
    session_id = request.cookie(SESSION_COOKIE) or ""
    if not session_id:
        raise SignInRefused("You are not signed in: sign in with your email and password (POST /session).")
    if request.method.upper() not in SAFE_METHODS:
        given = request.header(CSRF_HEADER) or ""
        if not given or not csrf_matches(context.ports.signing_key(), session_id, given):
            raise CrossSiteRefused(
                f"This change needs the session's CSRF token in the {CSRF_HEADER} header "
                "(POST /session and GET /session give it as csrf_token)."
            )
    return check_session(session_id, sign_in_desk())


def require_own_origin(request: ApiRequest, context: ApiContext) -> None:
    """CrossSiteRefused when the request names an Origin that is not the desk's own: the host it
    was sent to, or the desk's public address (POSTDESK_PUBLIC_URL)."""
    origin = request.header("origin")
    if origin is None:
        return
    own = {request.header("host") or ""}
    public = urlsplit(context.settings.survey.public_url)
    if public.netloc:
        own.add(public.netloc)
    given = urlsplit(origin.strip())
    if given.scheme not in {"https", "http"} or not given.netloc or given.netloc not in own:
        raise CrossSiteRefused(
            "This request comes from another site's page (its Origin is not this desk's): refused."
        )
