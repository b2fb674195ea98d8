#!/usr/bin/env python3
"""Technote 003's multicast test, as a check that runs inside the cluster.

Technote 003 "Multicast Testing" sent datagrams with mtools (msend/mreceive) between containers on
different nodes to show that IPv4 multicast crosses the Weave overlay; Firefly and Qserv cannot work
without it. This script does the same with the Python 3 standard library only. The program runs it
from a ConfigMap in two pods on two different nodes (official python image, non-root, read-only root
filesystem): one pod sends, the other receives, and the operator reads the receiver's log.

Usage:
    python3 multicast-check.py send [--count N]
    python3 multicast-check.py receive [--once]

    send            every INTERVAL seconds, send the datagram
                    "lsst-k8s multicast-check seq=<n> from=<hostname>" to GROUP:PORT, forever; log the
                    first send and every 10th. With --count N, send N datagrams and exit (0 when all N
                    went out, 1 when any send failed).
    receive         join GROUP on all interfaces (INADDR_ANY) and, at the end of every WINDOW seconds,
                    print exactly one line to stdout:
                        multicast: OK received <n> datagram(s) from <senders> in <WINDOW>s
                        multicast: FAILED no datagram in <WINDOW>s (group <GROUP>:<PORT>)
                    <senders> is a comma-separated, sorted list of <hostname>@<source address>. Only
                    this script's own datagrams count; anything else arriving on the port is ignored.
                    With --once, report one window and exit: 0 on OK, 1 on FAILED.
                    When the group cannot be joined at all (no multicast route, for instance) it prints
                    "multicast: FAILED cannot join group <GROUP>:<PORT>: <reason>" and exits 1
                    (also when PORT cannot be bound).

Environment (each one validated; a bad value is reported naming the variable, and the exit status is 2):
    GROUP       IPv4 multicast group, 224.0.0.0/4          (default 239.255.42.99, administratively scoped)
    PORT        UDP port, 1-65535                          (default 4446)
    INTERVAL    seconds between sends, > 0                 (default 1)
    WINDOW      seconds per receiver report, > 0           (default 30)
    TTL         multicast TTL of sent datagrams, 1-255     (default 2: the overlay is one hop, with room
                                                            for one router)

SIGTERM (and SIGINT) stop either mode cleanly with exit status 0. Nothing is written to disk.
Exit statuses: 0 success or stopped, 1 multicast failed, 2 bad configuration or usage.
"""

from __future__ import annotations

import argparse
import ipaddress
import math
import os
import signal
import socket
import struct
import sys
import time
from dataclasses import dataclass
from types import FrameType
from typing import Callable, NoReturn, Optional, TypeVar

PROG = "multicast-check"
PAYLOAD_PREFIX = "lsst-k8s multicast-check "
LOG_EVERY = 10
MAX_DATAGRAM = 65535

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

T = TypeVar("T")


class ConfigError(Exception):
    """A bad environment variable; the message names it."""


class Stopped(Exception):
    """Raised from the signal handler so that a blocking send, sleep or receive ends at once."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


@dataclass(frozen=True)
class Config:
    group: str
    port: int
    interval: float
    window: float
    ttl: int


# ---- configuration ------------------------------------------------------------------------------------


def _env(name: str, default: str, parse: Callable[[str], T], expected: str) -> T:
    """The value of environment variable `name` (or `default` when unset or empty), parsed and checked."""
    raw = os.environ.get(name, "").strip() or default
    try:
        return parse(raw)
    except ValueError:
        raise ConfigError(f"{name} must be {expected}, got {raw!r}") from None


def _multicast_group(raw: str) -> str:
    address = ipaddress.IPv4Address(raw)  # ValueError for anything that is not a dotted-quad IPv4 address
    if not address.is_multicast:
        raise ValueError(raw)
    return str(address)


def _int_between(low: int, high: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        value = int(raw, 10)
        if not low <= value <= high:
            raise ValueError(raw)
        return value

    return parse


def _positive_seconds(raw: str) -> float:
    value = float(raw)
    if not math.isfinite(value) or value <= 0:
        raise ValueError(raw)
    return value


def load_config() -> Config:
    return Config(
        group=_env("GROUP", "239.255.42.99", _multicast_group, "an IPv4 multicast address (224.0.0.0/4)"),
        port=_env("PORT", "4446", _int_between(1, 65535), "an integer UDP port from 1 to 65535"),
        interval=_env("INTERVAL", "1", _positive_seconds, "a number of seconds greater than 0"),
        window=_env("WINDOW", "30", _positive_seconds, "a number of seconds greater than 0"),
        ttl=_env("TTL", "2", _int_between(1, 255), "an integer from 1 to 255"),
    )


# ---- output -------------------------------------------------------------------------------------------


def say(line: str) -> None:
    """One line on stdout, flushed at once: the pod's log is read while the script still runs."""
    print(line, flush=True)


def log(line: str) -> None:
    print(f"{PROG}: {line}", file=sys.stderr, flush=True)


def seconds(value: float) -> str:
    """30.0 -> "30", 0.5 -> "0.5"."""
    return f"{value:g}"


# ---- send ---------------------------------------------------------------------------------------------


def send(config: Config, count: Optional[int]) -> int:
    hostname = socket.gethostname()
    target = (config.group, config.port)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    with sock:
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, config.ttl)
        # Loop back to this host too, so a receiver on the same node (or network namespace) hears it.
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 1)
        total = "forever" if count is None else f"{count} datagram(s)"
        say(f"{PROG}: sending to {config.group}:{config.port} from {hostname} every "
            f"{seconds(config.interval)}s, ttl {config.ttl}, {total}")
        failures = 0
        start = time.monotonic()
        seq = 0
        while count is None or seq < count:
            if seq > 0:
                # Keep to the schedule start + seq * INTERVAL, so slow sends do not add up to drift.
                time.sleep(max(0.0, start + seq * config.interval - time.monotonic()))
            seq += 1
            payload = f"{PAYLOAD_PREFIX}seq={seq} from={hostname}".encode()
            try:
                sock.sendto(payload, target)
            except OSError as e:
                failures += 1
                log(f"send seq={seq} to {config.group}:{config.port} failed: {e.strerror or e}")
                continue
            if seq == 1 or seq % LOG_EVERY == 0:
                say(f"{PROG}: sent seq={seq} to {config.group}:{config.port}")
        say(f"{PROG}: done, sent {seq - failures} of {seq} datagram(s)")
        return EXIT_OK if failures == 0 else EXIT_FAILED


# ---- receive ------------------------------------------------------------------------------------------


def _sender(data: bytes, source: str) -> Optional[str]:
    """ "<hostname>@<source address>" for this script's datagrams, None for anything else."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not text.startswith(PAYLOAD_PREFIX):
        return None
    fields = dict(f.split("=", 1) for f in text[len(PAYLOAD_PREFIX):].split() if "=" in f)
    if "seq" not in fields or not fields.get("from"):
        return None
    return f"{fields['from']}@{source}"


def _receive_window(sock: socket.socket, config: Config, deadline: float) -> str:
    """Counts this script's datagrams until `deadline` (time.monotonic()); returns the report line."""
    received = 0
    senders: set[str] = set()
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        sock.settimeout(remaining)
        try:
            data, (source, _port) = sock.recvfrom(MAX_DATAGRAM)
        except socket.timeout:
            break
        sender = _sender(data, source)
        if sender is not None:
            received += 1
            senders.add(sender)
    if received:
        return (f"multicast: OK received {received} datagram(s) from {', '.join(sorted(senders))} "
                f"in {seconds(config.window)}s")
    return f"multicast: FAILED no datagram in {seconds(config.window)}s (group {config.group}:{config.port})"


def receive(config: Config, once: bool) -> int:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    with sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        membership = struct.pack("=4s4s", socket.inet_aton(config.group), socket.inet_aton("0.0.0.0"))
        try:
            # Bound to the group address, the socket gets only that group's datagrams on PORT (Linux).
            sock.bind((config.group, config.port))
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)
        except OSError as e:
            say(f"multicast: FAILED cannot join group {config.group}:{config.port}: {e.strerror or e}")
            return EXIT_FAILED
        log(f"joined {config.group}:{config.port} on all interfaces, reporting every "
            f"{seconds(config.window)}s{' once' if once else ''}")
        deadline = time.monotonic()
        while True:
            # Windows follow one another exactly, so no datagram falls between two of them.
            deadline += config.window
            line = _receive_window(sock, config, deadline)
            say(line)
            if once:
                return EXIT_OK if line.startswith("multicast: OK") else EXIT_FAILED


# ---- main ---------------------------------------------------------------------------------------------


def _stop(signum: int, _frame: Optional[FrameType]) -> NoReturn:
    raise Stopped(signum)


def _count(raw: str) -> int:
    try:
        value = int(raw, 10)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {raw!r}")
    return value


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Send or receive IPv4 multicast datagrams to show that multicast crosses the overlay. "
                    "Configured by GROUP, PORT, INTERVAL, WINDOW and TTL (see the module docstring).",
    )
    modes = parser.add_subparsers(dest="mode", required=True, metavar="{send,receive}")
    sender = modes.add_parser("send", help="send a datagram to the group every INTERVAL seconds")
    sender.add_argument("--count", type=_count, metavar="N", help="send N datagrams (N >= 1), then exit")
    receiver = modes.add_parser("receive", help="report every WINDOW seconds what arrived from the group")
    receiver.add_argument("--once", action="store_true", help="report one window, exit 0 on OK, 1 on FAILED")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = _arguments(argv)  # exits 2 on bad usage
    try:
        config = load_config()
    except ConfigError as e:
        log(str(e))
        return EXIT_USAGE
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        if args.mode == "send":
            return send(config, args.count)
        return receive(config, args.once)
    except Stopped as e:
        log(f"stopped by {e}")
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
