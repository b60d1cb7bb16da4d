"""Where a webhook may deliver: an https URL on a public address. Private, loopback, link-local (the
instance metadata service at 169.254.169.254), multicast and reserved addresses are refused, when the
URL is given and again when each delivery connects (a name may resolve elsewhere later). The local
stack and the tests allow http://127.0.0.1 and http://localhost (POSTDESK_WEBHOOKS_ALLOW_LOCAL)."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from postdesk.errors import Invalid

MAX_URL_LENGTH = 2000
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class EndpointRefused(Invalid):
    """The webhook's URL is not one the desk delivers to."""


def check_url(url: str, allow_local: bool) -> str:
    """``url`` if the desk may deliver to it; EndpointRefused saying why otherwise. Names are
    resolved at delivery (:func:`check_address`), literal addresses are checked here too."""
    if not url or len(url) > MAX_URL_LENGTH or any(c.isspace() for c in url):
        raise EndpointRefused(f"url must be an absolute https URL of at most {MAX_URL_LENGTH} characters")
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.username or parts.password:
        raise EndpointRefused("url must not carry a user name or password (the signature authenticates)")
    local = allow_local and host in LOCAL_HOSTS
    if parts.scheme != "https" and not (local and parts.scheme == "http"):
        raise EndpointRefused("url must start with https://")
    if not host:
        raise EndpointRefused("url has no host")
    try:
        port = parts.port
    except ValueError as error:
        raise EndpointRefused("url has an invalid port") from error
    if port is not None and not local and port not in (443, 8443):
        raise EndpointRefused("url may name port 443 or 8443 only")
    if not local:
        if host in LOCAL_HOSTS or host.endswith(".localhost") or host.endswith(".internal"):
            raise EndpointRefused("url must name a public host")
        try:
            check_address(host, allow_local=False)
        except ValueError:
            if "." not in host:
                raise EndpointRefused("url must name a public host with a domain") from None
    return url


def check_address(address: str, allow_local: bool) -> None:
    """Raise EndpointRefused when the IP ``address`` is not public (ValueError: not an IP address)."""
    ip = ipaddress.ip_address(address)
    if allow_local and ip.is_loopback:
        return
    if not ip.is_global or ip.is_multicast or ip.is_reserved or ip.is_loopback or ip.is_link_local:
        raise EndpointRefused(f"url resolves to a private or reserved address ({ip})")
