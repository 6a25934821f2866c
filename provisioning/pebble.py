"""Pebble, Let's Encrypt's ACME test server, and pebble-challtestsrv, on loopback.

Both are built with ``go install`` (pinned version) into the cache the local stack
keeps its Kafka jars in (``cache_dir()/pebble-<version>``, with GOBIN, GOPATH,
GOCACHE and GOMODCACHE under it): once per cache, a file lock serializing
concurrent first builds. :func:`running_pebble` starts both on free loopback ports:

- pebble-challtestsrv answers DNS (A records default to 127.0.0.1, no AAAA) and
  HTTP-01 on loopback; its management API sets TXT records and HTTP-01 responses
  (what :class:`~executors.backends.acme_hooks.ChallTestSrvHook` calls);
- Pebble resolves names through it (``-dnsserver``), validates HTTP-01 on its port,
  skips its random validation sleeps (``PEBBLE_VA_NOSLEEP``), rejects no valid
  nonce (``PEBBLE_WFE_NONCEREJECT=0``) and reuses no authorization
  (``PEBBLE_AUTHZREUSE=0``); it serves TLS with the test certificate its module
  ships (``test/certs/localhost``, signed by ``test/certs/pebble.minica.pem``: the
  ``ca_bundle`` a client trusts).

A fresh Pebble has a fresh root: fetch it from the management interface
(``/roots/0``) to verify what it issued.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import ssl
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from provisioning.errors import MissingToolError, StackError
from provisioning.localstack import (
    _CHILDREN,
    _cmdline,
    _file_lock,
    _pid_alive,
    _port_answers,
    _stop_group,
    cache_dir,
    check_port_free,
    free_port,
)

PEBBLE_VERSION = "v2.10.3"
PEBBLE_MODULE = "github.com/letsencrypt/pebble/v2"
_COMMANDS = ("pebble", "pebble-challtestsrv")


@dataclass(frozen=True)
class PebbleInstall:
    root: Path

    @property
    def bin(self) -> Path:
        return self.root / "bin"

    @property
    def source(self) -> Path:
        """The module's source in the module cache (its test certificates)."""
        return (
            self.root
            / "go"
            / "pkg"
            / "mod"
            / "github.com"
            / "letsencrypt"
            / (f"pebble/v2@{PEBBLE_VERSION}")
        )

    @property
    def ca_bundle(self) -> Path:
        return self.source / "test" / "certs" / "pebble.minica.pem"


def ensure_pebble(timeout: float = 600.0) -> PebbleInstall:
    """Pebble and pebble-challtestsrv built with ``go install`` into the cache (once)."""
    install = PebbleInstall(cache_dir() / f"pebble-{PEBBLE_VERSION}")
    done = install.root / ".complete"
    if done.exists():
        return install
    go = shutil.which("go")
    if go is None:
        raise MissingToolError("go is not installed or not on PATH: it builds Pebble (ACME tests)")
    with _file_lock(install.root.parent / f"{install.root.name}.lock"):
        if done.exists():
            return install
        env = {
            **os.environ,
            "GOBIN": str(install.bin),
            "GOPATH": str(install.root / "go"),
            "GOCACHE": str(install.root / "go-build"),
            "GOMODCACHE": str(install.root / "go" / "pkg" / "mod"),
            "GOFLAGS": "-modcacherw",  # the cache can be removed with rm -rf
            "GO111MODULE": "on",
        }
        result = subprocess.run(
            [go, "install", *(f"{PEBBLE_MODULE}/cmd/{c}@{PEBBLE_VERSION}" for c in _COMMANDS)],
            capture_output=True,
            text=True,
            check=False,
            env=env,
            cwd=install.root.parent,  # no go.mod of the caller's directory
            timeout=timeout,
        )
        missing = [c for c in _COMMANDS if not (install.bin / c).exists()]
        if result.returncode != 0 or missing or not install.ca_bundle.exists():
            raise StackError(
                f"go install of Pebble {PEBBLE_VERSION} failed:\n"
                + (result.stdout + result.stderr)[-2000:]
            )
        done.write_text(PEBBLE_VERSION + "\n")
    return install


@dataclass(frozen=True)
class Pebble:
    """A running Pebble and its challenge test server."""

    directory_url: str  # https://127.0.0.1:<port>/dir
    management_url: str  # https://127.0.0.1:<port> (roots, intermediates)
    challtestsrv_url: str  # http://127.0.0.1:<port> (set-txt, add-http01, add-a, ...)
    ca_bundle: str  # PEM file: the CA of Pebble's own TLS certificate
    home: Path

    def _management(self, path: str) -> str:
        with urllib.request.urlopen(  # noqa: S310 - our own loopback https URL
            self.management_url + path,
            context=_tls_context(self.ca_bundle),
            timeout=10,
        ) as response:
            text: str = response.read().decode()
            return text

    def root_pem(self) -> str:
        """The root certificate this Pebble issues under (fresh per start)."""
        return self._management("/roots/0")

    def challtestsrv(self, path: str, body: dict[str, object]) -> None:
        """POST ``body`` to the challenge test server's management API."""
        request = urllib.request.Request(  # noqa: S310 - our own loopback URL
            self.challtestsrv_url + path, data=json.dumps(body).encode(), method="POST"
        )
        with urllib.request.urlopen(request, timeout=10):  # noqa: S310
            pass


def _tls_context(ca_bundle: str) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=ca_bundle)


def _wait_port(port: int, proc: subprocess.Popen[bytes], what: str, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise StackError(f"{what} exited at start:\n{log.read_text()[-2000:]}")
        if _port_answers(port):
            return
        time.sleep(0.05)
    raise StackError(f"{what} did not listen on port {port} within 30 s")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


@dataclass(frozen=True)
class PebblePorts:
    """Six consecutive loopback ports from ``base``."""

    base: int

    @property
    def acme(self) -> int:
        return self.base

    @property
    def management(self) -> int:
        return self.base + 1

    @property
    def tls_alpn(self) -> int:  # Pebble needs one; challtestsrv does not serve it
        return self.base + 2

    @property
    def dns(self) -> int:
        return self.base + 3

    @property
    def http01(self) -> int:
        return self.base + 4

    @property
    def challtestsrv(self) -> int:
        return self.base + 5

    def all(self) -> range:
        return range(self.base, self.base + 6)


def _pebble_of(install: PebbleInstall, ports: PebblePorts, home: Path) -> Pebble:
    return Pebble(
        directory_url=f"https://127.0.0.1:{ports.acme}/dir",
        management_url=f"https://127.0.0.1:{ports.management}",
        challtestsrv_url=f"http://127.0.0.1:{ports.challtestsrv}",
        ca_bundle=str(install.ca_bundle),
        home=home,
    )


def _launch(
    install: PebbleInstall,
    ports: PebblePorts,
    home: Path,
    eab_keys: Mapping[str, str] | None,
    started: list[subprocess.Popen[bytes]],
) -> None:
    """Start challtestsrv, then Pebble (appended to ``started`` as they start)."""
    certs = install.source / "test" / "certs" / "localhost"
    config = {
        "pebble": {
            "listenAddress": f"127.0.0.1:{ports.acme}",
            "managementListenAddress": f"127.0.0.1:{ports.management}",
            "certificate": str(certs / "cert.pem"),
            "privateKey": str(certs / "key.pem"),
            "httpPort": ports.http01,
            "tlsPort": ports.tls_alpn,
            "ocspResponderURL": "",
            "externalAccountBindingRequired": bool(eab_keys),
            "externalAccountMACKeys": dict(eab_keys or {}),
            "retryAfter": {"authz": 1, "order": 1},
        }
    }
    (home / "pebble-config.json").write_text(json.dumps(config, indent=2))
    env = {
        **os.environ,
        "PEBBLE_VA_NOSLEEP": "1",
        "PEBBLE_WFE_NONCEREJECT": "0",
        "PEBBLE_AUTHZREUSE": "0",
    }
    challtest_log = home / "challtestsrv.log"
    with challtest_log.open("ab") as out:
        proc = subprocess.Popen(
            [
                str(install.bin / "pebble-challtestsrv"),
                "-management", f"127.0.0.1:{ports.challtestsrv}",
                "-dnsserver", f"127.0.0.1:{ports.dns}",
                "-http01", f"127.0.0.1:{ports.http01}",
                "-https01", "",
                "-tlsalpn01", "",
                "-doh", "",
                "-defaultIPv4", "127.0.0.1",
                "-defaultIPv6", "",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
    started.append(proc)
    _wait_port(ports.challtestsrv, proc, "pebble-challtestsrv", challtest_log)
    pebble_log = home / "pebble.log"
    with pebble_log.open("ab") as out:
        proc = subprocess.Popen(
            [
                str(install.bin / "pebble"),
                "-config", str(home / "pebble-config.json"),
                "-dnsserver", f"127.0.0.1:{ports.dns}",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=home,
            start_new_session=True,
        )  # fmt: skip
    started.append(proc)
    _wait_port(ports.acme, proc, "pebble", pebble_log)
    _wait_port(ports.management, proc, "pebble (management)", pebble_log)


@contextlib.contextmanager
def running_pebble(
    home: Path | None = None, *, eab_keys: Mapping[str, str] | None = None
) -> Iterator[Pebble]:
    """Pebble and pebble-challtestsrv on free loopback ports until the context ends.

    ``eab_keys`` (key id → base64url MAC key): Pebble then requires an external
    account binding with one of them at newAccount."""
    install = ensure_pebble()
    own_home = home is None
    home = home or Path(tempfile.mkdtemp(prefix="provisioning-pebble-"))
    home.mkdir(parents=True, exist_ok=True)
    ports = PebblePorts(free_port(6))
    started: list[subprocess.Popen[bytes]] = []
    try:
        _launch(install, ports, home, eab_keys, started)
        yield _pebble_of(install, ports, home)
    finally:
        for proc in reversed(started):
            _stop(proc)
        if own_home:
            shutil.rmtree(home, ignore_errors=True)


@dataclass(frozen=True)
class PebbleDaemon:
    """Pebble and pebble-challtestsrv for the local stack (``stack up --with-acme``): left
    running in the background, their pids in ``home``, on ports from ``base_port``
    (``PROVISIONING_PEBBLE_PORT``, six consecutive ports)."""

    home: Path
    base_port: int = 14000
    port_variable: str = "PROVISIONING_PEBBLE_PORT"

    @property
    def ports(self) -> PebblePorts:
        return PebblePorts(self.base_port)

    def pebble(self) -> Pebble:
        install = PebbleInstall(cache_dir() / f"pebble-{PEBBLE_VERSION}")
        return _pebble_of(install, self.ports, self.home)

    def _pidfile(self, name: str) -> Path:
        return self.home / f"{name}.pid"

    def pid(self, name: str = "pebble") -> int | None:
        """The pid of ``name`` (pebble or pebble-challtestsrv) if it runs."""
        try:
            pid = int(self._pidfile(name).read_text())
        except (OSError, ValueError):
            return None
        if _pid_alive(pid) and name in _cmdline(pid):
            return pid
        return None

    def start(self) -> None:
        """Idempotent: nothing happens while both run."""
        if self.pid("pebble") is not None and self.pid("pebble-challtestsrv") is not None:
            return
        self.stop()
        for port in self.ports.all():
            check_port_free(port, "Pebble", self.port_variable)
        install = ensure_pebble()
        self.home.mkdir(parents=True, exist_ok=True)
        started: list[subprocess.Popen[bytes]] = []
        try:
            _launch(install, self.ports, self.home, None, started)
        except BaseException:
            for proc in reversed(started):
                _stop(proc)
            raise
        for name, proc in zip(("pebble-challtestsrv", "pebble"), started, strict=True):
            _CHILDREN[proc.pid] = proc  # stop() reaps it (no warning for a running child)
            self._pidfile(name).write_text(f"{proc.pid}\n")

    def stop(self) -> bool:
        stopped = False
        for name in ("pebble", "pebble-challtestsrv"):
            pid = self.pid(name)
            if pid is not None:
                _stop_group(pid, 10.0)
                stopped = True
            self._pidfile(name).unlink(missing_ok=True)
        return stopped

    def settings_env(self, accreditation: str = "alpha-ssl") -> dict[str, str]:
        """PROVISIONING_BACKENDS and PROVISIONING_ACME_ACCOUNTS that put ``accreditation``'s
        certificates on this Pebble."""
        pebble = self.pebble()
        account = {
            "directory_url": pebble.directory_url,
            "ca_bundle": pebble.ca_bundle,
            "challenge_hook": "challtestsrv",
            "challenge_url": pebble.challtestsrv_url,
            "prefer": "http-01",
        }
        return {
            "PROVISIONING_BACKENDS": json.dumps({accreditation: {"ca": "acme"}}),
            "PROVISIONING_ACME_ACCOUNTS": json.dumps({accreditation: account}),
        }


__all__ = [
    "PEBBLE_VERSION",
    "Pebble",
    "PebbleDaemon",
    "PebbleInstall",
    "PebblePorts",
    "ensure_pebble",
    "running_pebble",
]
