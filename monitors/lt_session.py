"""A libtorrent session fit for gathering metadata, and nothing more.

libtorrent's defaults are made for a file-sharing client: it listens on every
interface, maps ports through UPnP and NAT-PMP, multicasts on the LAN (LSD) and
bootstraps its DHT from public hosts. A monitor wants none of that unasked, so
every session the swarm sources use is built here, with each of those turned off
and only what the operator configured turned on. Nothing here saves session
state: libtorrent's saved state would hold DHT node addresses, and peer IPs are
never stored (see docs/swarm.md).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

import libtorrent as lt

from common.errors import SwarmSessionError

# The alerts the fetcher and the DHT walker act on; everything else stays unposted.
ALERT_MASK = (
    lt.alert_category.error
    | lt.alert_category.status
    | lt.alert_category.dht_operation
    | lt.alert_category.stats
    | lt.alert_category.storage
)

_HOST_PORT = re.compile(r"^(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<host>[^\s:\[\]]+)):(?P<port>\d{1,5})$")


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A host and port an operator wrote down (a peer to try, a DHT bootstrap node)."""

    host: str
    port: int

    def for_libtorrent(self) -> str:
        """``host:port`` as libtorrent's settings read it (IPv6 in brackets)."""
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


@dataclass(frozen=True, slots=True)
class SessionPlan:
    """What a swarm session may do; everything not named here stays off."""

    listen_interface: str = "127.0.0.1"  # an IP literal: the only address listened on
    listen_port: int = 0  # 0: the kernel picks a free port
    dht: bool = False
    # Nodes named by IP join the routing table directly (libtorrent never adds its
    # "router" nodes to the table, which would starve a small private DHT); nodes named
    # by host become libtorrent's bootstrap routers. Empty: no bootstrap at all.
    dht_bootstrap: tuple[Endpoint, ...] = ()
    # Loopback and private-network DHT nodes, several on one IP, ids not derived from
    # the IP: what a test network or a LAN looks like. Off for the public DHT.
    dht_allow_local_nodes: bool = False
    # How long this node caches the sample it hands to BEP 51 queries (libtorrent's
    # default is 6 h); only test nodes that must show fresh announces lower it.
    dht_sample_interval: int | None = None
    dht_announce_interval: int | None = None
    download_rate_limit: int = 0  # bytes/s for the session, 0: unlimited (metadata is small)


def parse_endpoint(text: object) -> Endpoint:
    """``host:port`` or ``[v6]:port`` to an Endpoint; ValueError says what is wrong."""
    if not isinstance(text, str):
        raise ValueError(f"{text!r} is not a 'host:port' string")
    match = _HOST_PORT.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not 'host:port' (IPv6 as '[addr]:port')")
    port = int(match["port"])
    if not 0 < port < 65536:
        raise ValueError(f"{text!r} has port {port}, outside 1-65535")
    host = match["v6"] or match["host"]
    if match["v6"]:
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise ValueError(f"{text!r} has no valid IPv6 address in brackets") from None
    return Endpoint(host, port)


def parse_ip_endpoint(text: object) -> Endpoint:
    """Like :func:`parse_endpoint` but the host must be an IP literal (peers: no lookups)."""
    endpoint = parse_endpoint(text)
    try:
        ipaddress.ip_address(endpoint.host)
    except ValueError:
        raise ValueError(f"{text!r} must name an IP address, not a host name") from None
    return endpoint


def session_settings(plan: SessionPlan) -> dict[str, object]:
    """The settings pack for ``plan``: a pure function, so tests can read what is asked."""
    try:
        address = ipaddress.ip_address(plan.listen_interface)
    except ValueError:
        raise SwarmSessionError(
            f"listen interface {plan.listen_interface!r} is not an IP address"
        ) from None
    host = f"[{address}]" if address.version == 6 else str(address)
    routers = [e.for_libtorrent() for e in plan.dht_bootstrap if not is_ip(e.host)]
    settings: dict[str, object] = {
        "listen_interfaces": f"{host}:{plan.listen_port}",
        "listen_system_port_fallback": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "enable_lsd": False,
        "enable_dht": plan.dht,
        # Never the public default (dht.libtorrent.org): only what was configured.
        "dht_bootstrap_nodes": ",".join(routers),
        "alert_mask": int(ALERT_MASK),
        "alert_queue_size": 10000,
        "download_rate_limit": plan.download_rate_limit,
        # No upload limit: torrents run in upload_mode holding no piece, so there is no
        # payload to send, and a limit would throttle the protocol messages too.
        "upload_rate_limit": 0,
        "active_downloads": -1,
        "active_seeds": 0,
        "active_limit": -1,
        "dht_read_only": False,
    }
    if plan.dht_allow_local_nodes:
        settings.update(
            dht_restrict_routing_ips=False,
            dht_restrict_search_ips=False,
            dht_enforce_node_id=False,
            dht_prefer_verified_node_ids=False,
            dht_ignore_dark_internet=False,
        )
    if plan.dht_sample_interval is not None:
        settings["dht_sample_infohashes_interval"] = plan.dht_sample_interval
    if plan.dht_announce_interval is not None:
        settings["dht_announce_interval"] = plan.dht_announce_interval
    return settings


def open_session(plan: SessionPlan) -> lt.session:
    """A started session listening only where ``plan`` says; raise if it cannot listen."""
    settings = session_settings(plan)
    known = lt.default_settings()
    unknown = sorted(k for k in settings if k not in known)
    if unknown:
        raise SwarmSessionError(f"this libtorrent ({lt.__version__}) lacks settings {unknown}")
    try:
        session = lt.session(settings)
    except RuntimeError as exc:
        raise SwarmSessionError(f"libtorrent could not start a session: {exc}") from None
    if not session.is_listening():
        raise SwarmSessionError(
            f"libtorrent could not listen on {settings['listen_interfaces']}; "
            "is the address configured on this machine?"
        )
    if plan.dht:
        for endpoint in plan.dht_bootstrap:
            if is_ip(endpoint.host):
                session.add_dht_node((endpoint.host, endpoint.port))
    return session


def is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def stat_values(session: lt.session, names: tuple[str, ...], timeout_ms: int = 2000) -> dict:
    """Session counters by name (``net.recv_payload_bytes``...), read from a fresh
    session_stats_alert; other alerts popped meanwhile are returned under ``"_alerts"``."""
    session.post_session_stats()
    others = []
    waited = 0
    while waited < timeout_ms:
        session.wait_for_alert(100)
        waited += 100
        for alert in session.pop_alerts():
            if isinstance(alert, lt.session_stats_alert):
                values = alert.values
                found = {name: int(values.get(name, 0)) for name in names}
                found["_alerts"] = others
                return found
            others.append(alert)
    raise SwarmSessionError("libtorrent did not report its session counters in time")
