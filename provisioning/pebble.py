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
from provisioning.localstack import _file_lock, _port_answers, cache_dir, free_port

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
    base = free_port(6)
    acme, management, tls_port, dns, http01, challtest = range(base, base + 6)
    certs = install.source / "test" / "certs" / "localhost"
    config = {
        "pebble": {
            "listenAddress": f"127.0.0.1:{acme}",
            "managementListenAddress": f"127.0.0.1:{management}",
            "certificate": str(certs / "cert.pem"),
            "privateKey": str(certs / "key.pem"),
            "httpPort": http01,
            "tlsPort": tls_port,
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
    started: list[subprocess.Popen[bytes]] = []
    try:
        challtest_log = home / "challtestsrv.log"
        with challtest_log.open("wb") as out:
            proc = subprocess.Popen(
                [
                    str(install.bin / "pebble-challtestsrv"),
                    "-management", f"127.0.0.1:{challtest}",
                    "-dnsserver", f"127.0.0.1:{dns}",
                    "-http01", f"127.0.0.1:{http01}",
                    "-https01", "",
                    "-tlsalpn01", "",
                    "-doh", "",
                    "-defaultIPv4", "127.0.0.1",
                    "-defaultIPv6", "",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        started.append(proc)
        _wait_port(challtest, proc, "pebble-challtestsrv", challtest_log)
        pebble_log = home / "pebble.log"
        with pebble_log.open("wb") as out:
            proc = subprocess.Popen(
                [
                    str(install.bin / "pebble"),
                    "-config", str(home / "pebble-config.json"),
                    "-dnsserver", f"127.0.0.1:{dns}",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=home,
                start_new_session=True,
            )  # fmt: skip
        started.append(proc)
        _wait_port(acme, proc, "pebble", pebble_log)
        _wait_port(management, proc, "pebble (management)", pebble_log)
        yield Pebble(
            directory_url=f"https://127.0.0.1:{acme}/dir",
            management_url=f"https://127.0.0.1:{management}",
            challtestsrv_url=f"http://127.0.0.1:{challtest}",
            ca_bundle=str(install.ca_bundle),
            home=home,
        )
    finally:
        for proc in reversed(started):
            _stop(proc)
        if own_home:
            shutil.rmtree(home, ignore_errors=True)


__all__ = ["PEBBLE_VERSION", "Pebble", "PebbleInstall", "ensure_pebble", "running_pebble"]
