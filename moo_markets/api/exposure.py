"""Is the Dagster webserver behind the API reachable from the internet?

The API's token guards the API's own writes only. Dagster's webserver has no
authentication: its GraphQL (what the UI uses) launches, stops and toggles
every job. Where the API can reach it without credentials, so can anyone on
that network, and a public address makes that network the internet.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from moo_markets.core.settings import Settings


def public_addresses(host: str) -> list[str]:
    """The publicly routable addresses ``host`` stands for; empty when all are loopback,
    private or link-local, or when the name does not resolve (nothing to judge)."""
    try:
        addresses = {ipaddress.ip_address(host.strip("[]"))}
    except ValueError:
        try:
            infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
        except OSError:
            return []
        addresses = {ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos}
    return sorted(str(address) for address in addresses if address.is_global)


def dagster_exposure_warning(settings: Settings) -> str | None:
    """One line for the start-up log when the webserver is public and no token is set."""
    if settings.api_token is not None:
        return None
    public = public_addresses(urlsplit(settings.dagster_url).hostname or "")
    if not public:
        return None
    return (
        f"the Dagster webserver {settings.dagster_url_for_logs} is on a public address "
        f"({', '.join(public)}) and MOO_MARKETS_API_TOKEN is not set: anyone who reaches it "
        "can launch, stop and toggle every job through its GraphQL, which has no "
        "authentication; bind it to a private address and put an authenticating proxy in "
        "front of the UI (README: Production deployment)"
    )
