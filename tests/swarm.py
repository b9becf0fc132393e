"""Real peers on 127.0.0.1 for the swarm tests: a transmission-daemon seed, libtorrent
DHT nodes, and the one ``free_port`` every test that listens takes its port from (a
torrent to seed comes from ``torrent_fixtures.transmission_create``). Every helper binds
to 127.0.0.1 only; the tests that use them also run inside a loopback-only network
namespace (``loopback_only``)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import libtorrent as lt

from monitors.lt_session import Endpoint, SessionPlan, session_settings, stat_values

LOOPBACK = "127.0.0.1"

# Benign payload: a holiday photo index and a Linux install note, a few pieces long.
BENIGN_FILES = {
    "Holiday.Photos.2024/index.txt": "beach_001.jpg\nbeach_002.jpg\nmountain_trail_003.jpg\n" * 900,
    "Holiday.Photos.2024/notes/readme.txt": "Photos from the summer trip; see index.txt.\n" * 500,
    "Holiday.Photos.2024/debian-install-notes.txt": "Install Debian 12 from the netinst image.\n"
    * 700,
}


def free_port() -> int:
    """A port free for both TCP and UDP on 127.0.0.1 right now (a small race we accept in
    tests): peers, trackers and Airflow's servers all take theirs from here."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind((LOOPBACK, 0))
            port = tcp.getsockname()[1]
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            try:
                udp.bind((LOOPBACK, port))
            except OSError:
                continue
        return port
    raise RuntimeError("no port free for both TCP and UDP on 127.0.0.1")


def write_payload(root: Path, files: dict[str, str] = BENIGN_FILES) -> Path:
    """Write the benign files under ``root``; return the torrent's top folder."""
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root / next(iter(files)).split("/")[0]


@dataclass(frozen=True, slots=True)
class TransmissionSeed:
    peer_port: int
    rpc_port: int
    process: subprocess.Popen

    def remote(self, *args: str, timeout: float = 20) -> str:
        done = subprocess.run(
            ["transmission-remote", f"{LOOPBACK}:{self.rpc_port}", *args],
            check=True,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        return done.stdout


def _transmission_settings(download: Path, peer_port: int, rpc_port: int) -> dict:
    return {
        "bind-address-ipv4": LOOPBACK,
        "bind-address-ipv6": "::1",
        "peer-port": peer_port,
        "peer-port-random-on-start": False,
        "port-forwarding-enabled": False,
        "dht-enabled": False,
        "lpd-enabled": False,
        "pex-enabled": False,
        "utp-enabled": False,
        "blocklist-enabled": False,
        "rpc-enabled": True,
        "rpc-bind-address": LOOPBACK,
        "rpc-port": rpc_port,
        "rpc-authentication-required": False,
        "rpc-whitelist-enabled": True,
        "rpc-whitelist": LOOPBACK,
        "rpc-host-whitelist-enabled": False,
        "download-dir": str(download),
        "incomplete-dir-enabled": False,
        "start-added-torrents": True,
        "ratio-limit-enabled": False,
        "idle-seeding-limit-enabled": False,
        "encryption": 1,
        "message-level": 2,
    }


@contextmanager
def transmission_seed(workdir: Path, torrent: Path, download: Path) -> Iterator[TransmissionSeed]:
    """transmission-daemon with its own config dir, seeding ``torrent`` from ``download``."""
    if shutil.which("transmission-daemon") is None:
        raise RuntimeError("transmission-daemon is not installed (apt install transmission-daemon)")
    config = workdir / "transmission-config"
    config.mkdir(parents=True)
    peer_port, rpc_port = free_port(), free_port()
    settings = _transmission_settings(download, peer_port, rpc_port)
    (config / "settings.json").write_text(json.dumps(settings, indent=2))
    log = open(workdir / "transmission.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        ["transmission-daemon", "--foreground", "--config-dir", str(config)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    seed = TransmissionSeed(peer_port, rpc_port, process)
    try:
        _wait_for_rpc(seed)
        seed.remote("--add", str(torrent), "--download-dir", str(download))
        _wait_until_seeding(seed)
        yield seed
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _wait_for_rpc(seed: TransmissionSeed, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if seed.process.poll() is not None:
            raise RuntimeError(f"transmission-daemon exited with {seed.process.returncode}")
        try:
            seed.remote("--list", timeout=5)
            return
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
            time.sleep(0.2)
    raise RuntimeError("transmission-daemon's RPC did not answer in time")


def _wait_until_seeding(seed: TransmissionSeed, timeout: float = 60) -> None:
    """Until transmission has verified the payload (100 %) and is seeding it."""
    deadline = time.monotonic() + timeout
    listing = ""
    while time.monotonic() < deadline:
        listing = seed.remote("--torrent", "all", "--info")
        if "Percent Done: 100%" in listing and "State: Seeding" in listing:
            return
        if "State: Idle" in listing and "Percent Done: 100%" in listing:
            return
        time.sleep(0.3)
    raise RuntimeError(f"transmission did not start seeding:\n{listing}")


# --- libtorrent DHT nodes ---------------------------------------------------------------


def dht_node_settings(*, seeding: bool = False) -> dict[str, object]:
    """A test DHT node: our job's session settings, local nodes allowed, fresh samples;
    a seeding node may also seed (our job's sessions allow no active seed)."""
    plan = SessionPlan(
        listen_interface=LOOPBACK,
        dht=True,
        dht_allow_local_nodes=True,
        dht_sample_interval=0,
        dht_announce_interval=5,
    )
    settings = session_settings(plan)
    if seeding:
        settings.update(active_seeds=5)
    return settings


@dataclass
class DhtNode:
    session: lt.session

    @property
    def endpoint(self) -> Endpoint:
        return Endpoint(LOOPBACK, self.session.listen_port())

    def meet(self, other: DhtNode) -> None:
        self.session.add_dht_node((LOOPBACK, other.endpoint.port))

    def counters(self, *names: str) -> dict[str, int]:
        return stat_values(self.session, names)

    def count(self, name: str) -> int:
        return self.counters(name)[name]

    def announce(self, infohash: str) -> None:
        """Announce ourselves as a peer for ``infohash`` (no torrent needed)."""
        self.session.dht_announce(lt.sha1_hash(bytes.fromhex(infohash)), self.endpoint.port, 0)


def start_dht_network(*, seeding: bool = False) -> tuple[DhtNode, DhtNode]:
    """Two nodes that know each other (the second may seed); returns once both
    have the other in their routing tables."""
    plain, second = start_dht_node(), start_dht_node(seeding=seeding)
    plain.meet(second)
    second.meet(plain)
    wait_for(
        lambda: plain.count("dht.dht_nodes") >= 1 and second.count("dht.dht_nodes") >= 1,
        20,
        "two DHT nodes to know each other",
    )
    return plain, second


def announce_until_stored(announcer: DhtNode, store: DhtNode, infohashes: list[str]) -> None:
    """Announce until ``store`` holds at least that many torrents (UDP may drop one)."""

    def stored() -> bool:
        if store.count("dht.dht_torrents") >= len(infohashes):
            return True
        for infohash in infohashes:
            announcer.announce(infohash)
        return False

    wait_for(stored, 30, f"{len(infohashes)} announces to be stored", every=0.5)


def start_dht_node(*, seeding: bool = False) -> DhtNode:
    return DhtNode(lt.session(dht_node_settings(seeding=seeding)))


def seed_with_libtorrent(node: DhtNode, torrent: bytes, content_parent: Path) -> str:
    """Seed ``torrent`` (its files under ``content_parent``) from ``node``; its v1 hex.

    The torrent itself stays off the DHT (announce it with :func:`announce_until_stored`):
    a torrent on the DHT looks its own peers up, finds its own address, connects to
    itself and bans the address, and as every test peer is 127.0.0.1, that would ban
    the fetcher too (it did, in about one run in five).
    """
    params = lt.load_torrent_buffer(torrent)
    params.save_path = str(content_parent)
    params.flags |= lt.torrent_flags.seed_mode | lt.torrent_flags.disable_dht
    params.flags &= ~(lt.torrent_flags.auto_managed | lt.torrent_flags.paused)
    node.session.add_torrent(params)
    return str(params.ti.info_hashes().v1)


def wait_for(predicate, timeout: float, what: str, every: float = 0.25) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def directory_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


# --- a hostile peer ------------------------------------------------------------------------


class FakeMetadataPeer:
    """A peer on 127.0.0.1 that answers BEP 9 metadata requests with ``metadata`` for any
    infohash (so, for a real hash, with bytes that cannot verify), or with ``junk`` bytes
    right after the connection opens. Counts what it served."""

    def __init__(self, metadata: bytes = b"", junk: bytes = b"") -> None:
        import threading

        self.metadata, self.junk = metadata, junk
        self.served = 0
        self.connections = 0
        self.listener = socket.create_server((LOOPBACK, 0))
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.stopping.set()
        self.thread.join(5)
        self.listener.close()

    def _serve(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            self.connections += 1
            with conn:
                conn.settimeout(2)
                with suppress(OSError, ValueError):
                    self._talk(conn)

    def _read(self, conn: socket.socket, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = conn.recv(size - len(data))
            if not chunk:
                raise ValueError("closed")
            data += chunk
        return data

    def _talk(self, conn: socket.socket) -> None:
        if self.junk:
            conn.sendall(self.junk)
            return
        first = self._read(conn, 68)
        if first[:20] != b"\x13BitTorrent protocol":
            return  # an encrypted handshake: drop it, libtorrent retries in plaintext
        infohash = first[28:48]
        reserved = bytes([0, 0, 0, 0, 0, 0x10, 0, 0])
        conn.sendall(b"\x13BitTorrent protocol" + reserved + infohash + os.urandom(20))
        hello = lt.bencode({b"m": {b"ut_metadata": 3}, b"metadata_size": len(self.metadata)})
        conn.sendall(_message(20, b"\x00" + hello))
        their_id = None
        while not self.stopping.is_set():
            length = int.from_bytes(self._read(conn, 4), "big")
            body = self._read(conn, length) if length else b""
            if not body or body[0] != 20:
                continue
            payload = lt.bdecode(body[2:])
            if not isinstance(payload, dict):
                continue
            if body[1] == 0:
                their_id = payload.get(b"m", {}).get(b"ut_metadata")
            elif body[1] == 3 and their_id and payload.get(b"msg_type") == 0:
                header = lt.bencode(
                    {b"msg_type": 1, b"piece": payload[b"piece"], b"total_size": len(self.metadata)}
                )
                conn.sendall(_message(20, bytes([their_id]) + header + self.metadata))
                self.served += 1


def _message(kind: int, body: bytes) -> bytes:
    return (len(body) + 1).to_bytes(4, "big") + bytes([kind]) + body
