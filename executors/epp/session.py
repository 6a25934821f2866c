"""EPP over TLS (RFC 5734): framing, one session, and a pool of sessions per accreditation.

- **Framing**: every frame is preceded by a 4-byte big-endian length that
  counts itself and the frame.
- **Session**: connect (TLS, the server's certificate checked against
  ``ca_file``, a client certificate if configured), read the ``<greeting>``,
  ``<login>`` with the object URIs and the RGP extension URI; then commands
  one at a time; ``<logout>`` at the end.
- **Pool**: at most ``sessions`` sessions per accreditation (the registry's
  session limit); a caller waits up to ``timeout_seconds`` for a free one.
  An idle session sends ``<hello>`` every ``hello_seconds`` (before the
  server's idle timeout); a session that dropped is replaced (re-login) and
  the command sent again on the new one, once.

A timeout or a connection failure is a :class:`TransientBackendError` and the
session is discarded (its stream is in an unknown state). Secrets (the
password) never reach a log line or an error message.
"""

from __future__ import annotations

import logging
import socket
import ssl
import struct
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

from executors.backends.base import TransientBackendError
from executors.epp import frames
from provisioning.settings import EppServer

log = logging.getLogger(__name__)

HEADER = struct.Struct("!I")
MAX_FRAME = 16 * 1024 * 1024

FrameHook = Callable[[bytes], None]


class SessionDropped(TransientBackendError):
    """The server closed the connection, or it broke."""


class SessionTimeout(TransientBackendError):
    """The server did not answer in time."""


def client_context(server: EppServer) -> ssl.SSLContext:
    """TLS context of a client of ``server``: its CA file (or the system's), a client
    certificate when configured, TLS 1.2 at least."""
    context = ssl.create_default_context(cafile=server.ca_file)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if server.cert_file:
        context.load_cert_chain(server.cert_file, server.key_file)
    return context


def read_frame(sock: socket.socket | ssl.SSLSocket) -> bytes:
    """One frame (without its header); SessionDropped at end of stream."""
    header = _read_exactly(sock, HEADER.size)
    (length,) = HEADER.unpack(header)
    if not HEADER.size < length <= MAX_FRAME:
        raise frames.ProtocolError(f"epp: frame length {length} is out of range")
    return _read_exactly(sock, length - HEADER.size)


def write_frame(sock: socket.socket | ssl.SSLSocket, data: bytes) -> None:
    sock.sendall(HEADER.pack(len(data) + HEADER.size) + data)


def _read_exactly(sock: socket.socket | ssl.SSLSocket, size: int) -> bytes:
    chunks: list[bytes] = []
    remaining = size
    while remaining:
        chunk = sock.recv(min(remaining, 65536))
        if not chunk:
            raise SessionDropped("epp: the server closed the session")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


class Session:
    """One logged-in EPP session. Not thread-safe: the pool hands it to one caller."""

    def __init__(
        self,
        server: EppServer,
        context: ssl.SSLContext,
        *,
        frame_hook: FrameHook | None = None,
    ) -> None:
        self.server = server
        self.context = context
        self.frame_hook = frame_hook
        self.sock: ssl.SSLSocket | None = None
        self.greeting: frames.Greeting | None = None
        self.last_used = time.monotonic()
        self.commands = 0
        self.broken = False

    # --- transport -------------------------------------------------------------

    def _exchange(self, frame: bytes, what: str) -> bytes:
        if self.sock is None or self.broken:
            raise SessionDropped(f"epp: {what}: the session is not open")
        if self.frame_hook is not None:
            self.frame_hook(frame)
        try:
            write_frame(self.sock, frame)
            answer = read_frame(self.sock)
        except frames.ProtocolError:
            self.discard()
            raise
        except TimeoutError:
            self.discard()
            raise SessionTimeout(
                f"epp: {what}: no answer within {self.server.timeout_seconds}s"
            ) from None
        except SessionDropped:
            self.discard()
            raise
        except (OSError, ssl.SSLError) as exc:
            self.discard()
            raise SessionDropped(f"epp: {what}: connection failed: {exc}") from None
        self.last_used = time.monotonic()
        self.commands += 1
        return answer

    def open(self) -> Session:
        """Connect, read the greeting and log in."""
        server = self.server
        try:
            raw = socket.create_connection(
                (server.host, server.port), timeout=server.timeout_seconds
            )
        except TimeoutError:
            raise SessionTimeout(
                f"epp: connecting to {server.host}:{server.port} timed out"
            ) from None
        except OSError as exc:
            raise SessionDropped(
                f"epp: cannot connect to {server.host}:{server.port}: {exc}"
            ) from None
        try:
            self.sock = self.context.wrap_socket(
                raw, server_hostname=server.server_name or server.host
            )
            self.sock.settimeout(server.timeout_seconds)
            self.greeting = frames.parse_greeting(read_frame(self.sock))
        except TimeoutError:
            raw.close()
            raise SessionTimeout(f"epp: {server.host}:{server.port}: no greeting in time") from None
        except (OSError, ssl.SSLError) as exc:
            raw.close()
            raise SessionDropped(
                f"epp: TLS with {server.host}:{server.port} failed: {exc}"
            ) from None
        except frames.ProtocolError:
            raw.close()
            raise
        missing = [uri for uri in frames.OBJECT_URIS if uri not in self.greeting.objects]
        if missing:
            self.discard()
            raise frames.ProtocolError(f"epp: the server does not offer {missing}")
        extensions = [uri for uri in frames.EXTENSION_URIS if uri in self.greeting.extensions]
        frame = frames.login(
            server.client_id,
            server.password.get_secret_value(),
            f"login-{uuid.uuid4().hex[:12]}",
            extensions=extensions,
        )
        response = frames.parse_response(self._exchange(frame, "login"))
        if not response.ok:
            self.discard()
            raise frames.error_for(response, f"login as {server.client_id}")
        return self

    def command(self, frame: bytes, what: str) -> frames.Response:
        """Send one command; its response (whatever the result code)."""
        return frames.parse_response(self._exchange(frame, what))

    def hello(self) -> frames.Greeting:
        return frames.parse_greeting(self._exchange(frames.hello(), "hello"))

    def logout(self) -> None:
        """Log out and close; never raises."""
        if self.sock is not None and not self.broken:
            try:
                self.command(frames.logout(f"logout-{uuid.uuid4().hex[:12]}"), "logout")
            except Exception as exc:  # noqa: BLE001 - closing anyway
                log.debug("epp: logout failed: %s", exc)
        self.discard()

    def discard(self) -> None:
        self.broken = True
        if self.sock is not None:
            with suppress(OSError):
                self.sock.close()


class SessionPool:
    """At most ``server.sessions`` sessions of one accreditation."""

    def __init__(
        self,
        name: str,
        server: EppServer,
        *,
        context: ssl.SSLContext | None = None,
        frame_hook: FrameHook | None = None,
    ) -> None:
        self.name = name
        self.server = server
        self.context = context or client_context(server)
        self.frame_hook = frame_hook
        self._idle: list[Session] = []
        self._count = 0
        self._closed = False
        self._condition = threading.Condition()
        self.logins = 0

    def _new(self) -> Session:
        session = Session(self.server, self.context, frame_hook=self.frame_hook).open()
        with self._condition:
            self.logins += 1
        log.info(
            "epp %s: session opened (%s)",
            self.name,
            session.greeting and session.greeting.server_id,
        )
        return session

    @contextmanager
    def session(self) -> Iterator[tuple[Session, bool]]:
        """A session for one caller and whether it was reused (it may have gone stale)."""
        deadline = time.monotonic() + self.server.timeout_seconds
        session: Session | None
        with self._condition:
            while True:
                if self._closed:
                    raise TransientBackendError(f"epp {self.name}: the session pool is closed")
                if self._idle:
                    session, reused = self._idle.pop(), True
                    break
                if self._count < self.server.sessions:
                    self._count += 1
                    session, reused = None, False
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TransientBackendError(
                        f"epp {self.name}: all {self.server.sessions} sessions busy"
                    )
                self._condition.wait(remaining)
        try:
            if session is None:
                session = self._new()
        except BaseException:
            self._release(None)
            raise
        try:
            yield session, reused
        finally:
            self._release(session)

    def _release(self, session: Session | None) -> None:
        with self._condition:
            keep = session is not None and not session.broken and not self._closed
            if keep and session is not None:
                self._idle.append(session)
            else:
                self._count -= 1
            self._condition.notify()
        if session is not None and not keep:
            session.logout()  # the pool closed meanwhile, or a no-op on a broken session

    def run(self, frame: bytes, what: str) -> frames.Response:
        """Send ``frame`` on a session; on a stale session that dropped, once more on a
        new one (safe: a command is identified by its clTRID and reconciled)."""
        for attempt in (1, 2):
            with self.session() as (session, reused):
                try:
                    return session.command(frame, what)
                except SessionDropped:
                    if attempt == 2 or not reused:
                        raise
                    log.info("epp %s: session dropped; logging in again", self.name)
        raise AssertionError("unreachable")

    def keepalive(self) -> None:
        """``<hello>`` on the idle sessions unused for ``hello_seconds``."""
        now = time.monotonic()
        with self._condition:
            due = [s for s in self._idle if now - s.last_used >= self.server.hello_seconds]
            for session in due:
                self._idle.remove(session)
        for session in due:
            try:
                session.hello()
            except TransientBackendError as exc:
                log.info("epp %s: keepalive failed (%s); session discarded", self.name, exc)
            self._release(session)

    def close(self) -> None:
        """Log out every idle session; sessions in use are closed when released."""
        with self._condition:
            self._closed = True
            idle, self._idle = self._idle, []
            self._count -= len(idle)
            self._condition.notify_all()
        for session in idle:
            session.logout()


__all__ = [
    "Session",
    "SessionDropped",
    "SessionPool",
    "SessionTimeout",
    "client_context",
    "read_frame",
    "write_frame",
]
