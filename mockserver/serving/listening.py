"""The listening socket, bound before anything else: a port in use or a host that cannot be bound is
known at once, as one clear message, and the banner is printed only when the mock really listens."""

from __future__ import annotations

import errno
import socket

BACKLOG = 2048
MAX_PORT = 65535


class StartupError(Exception):
    """The server cannot start; the message says why and what to do (one line)."""


def bind_listening(host: str, port: int) -> socket.socket:
    """A socket bound to host:port and listening (port 0: a free port), inheritable by worker processes."""
    if not 0 <= port <= MAX_PORT:
        raise StartupError(_not_a_port(port))
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
        sock.listen(BACKLOG)
    except OSError as error:
        sock.close()
        raise StartupError(_explain(error, host, port)) from None
    except OverflowError:  # a port number Python's socket refuses outright
        sock.close()
        raise StartupError(_not_a_port(port)) from None
    sock.set_inheritable(True)
    return sock


def _explain(error: OSError, host: str, port: int) -> str:
    if error.errno == errno.EADDRINUSE:
        return f"port {port} on {host} is already in use (another server?); choose another with --port"
    if error.errno == errno.EADDRNOTAVAIL:
        return (f"cannot listen on {host}: no interface of this machine has that address; "
                "use --host 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)")
    if error.errno == errno.EACCES:
        return f"not allowed to listen on port {port} (ports below 1024 need privileges); choose another"
    if isinstance(error, socket.gaierror):
        return f"cannot listen on {host}: not a host name or address of this machine; use --host 127.0.0.1"
    return f"cannot listen on {host}:{port}: {error.strerror or error}"


def _not_a_port(port: int) -> str:
    return f"port {port} is not a port number (1-{MAX_PORT}); choose one with --port"
