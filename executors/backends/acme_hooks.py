"""How the ACME backend answers challenges: a hook that publishes and withdraws them.

A :class:`ChallengeHook` publishes a DNS-01 TXT value (at ``_acme-challenge.<name>``)
or an HTTP-01 response (at ``/.well-known/acme-challenge/<token>``) before the
backend tells the CA to validate, and withdraws it afterwards. Two hooks exist:

- ``challtestsrv``: pebble-challtestsrv's management API (tests, the local stack);
- ``webroot``: HTTP-01 files under the root of a web server serving the names
  (no DNS-01, so no wildcards).

A DNS provider's API is a third class with the same four methods, added to
:data:`HOOKS`.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from executors.backends.base import PolicyError, TransientBackendError
from provisioning.settings import AcmeAccount


class ChallengeHook(Protocol):
    kinds: frozenset[str]  # the challenge types it can answer: "dns-01", "http-01"

    def publish_dns01(self, name: str, value: str) -> None: ...

    def withdraw_dns01(self, name: str) -> None: ...

    def publish_http01(self, token: str, content: str) -> None: ...

    def withdraw_http01(self, token: str) -> None: ...


def dns01_record(name: str) -> str:
    """The TXT record's name for ``name`` (a wildcard's ``*.`` left out), with a final dot."""
    return f"_acme-challenge.{name.removeprefix('*.')}."


class ChallTestSrvHook:
    """pebble-challtestsrv's management API (``/set-txt``, ``/add-http01``, ...)."""

    kinds = frozenset({"dns-01", "http-01"})

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout

    def _post(self, path: str, body: dict[str, str]) -> None:
        request = urllib.request.Request(  # noqa: S310 - a configured http(s) URL
            self.url + path, data=json.dumps(body).encode(), method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout):  # noqa: S310
                pass
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise TransientBackendError(f"acme: challenge hook {path}: {exc}") from exc

    def publish_dns01(self, name: str, value: str) -> None:
        self._post("/set-txt", {"host": dns01_record(name), "value": value})

    def withdraw_dns01(self, name: str) -> None:
        self._post("/clear-txt", {"host": dns01_record(name)})

    def publish_http01(self, token: str, content: str) -> None:
        self._post("/add-http01", {"token": token, "content": content})

    def withdraw_http01(self, token: str) -> None:
        self._post("/del-http01", {"token": token})


class WebrootHook:
    """HTTP-01 files under ``<webroot>/.well-known/acme-challenge/``."""

    kinds = frozenset({"http-01"})

    def __init__(self, webroot: str) -> None:
        self.directory = Path(webroot) / ".well-known" / "acme-challenge"

    def publish_dns01(self, name: str, value: str) -> None:
        raise PolicyError(f"acme: the webroot hook cannot answer DNS-01 (for {name})")

    def withdraw_dns01(self, name: str) -> None:
        return None

    def publish_http01(self, token: str, content: str) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            (self.directory / token).write_text(content)
        except OSError as exc:
            raise TransientBackendError(f"acme: webroot: {exc}") from exc

    def withdraw_http01(self, token: str) -> None:
        (self.directory / token).unlink(missing_ok=True)


def _challtestsrv(account: AcmeAccount) -> ChallengeHook:
    assert account.challenge_url is not None
    return ChallTestSrvHook(account.challenge_url)


def _webroot(account: AcmeAccount) -> ChallengeHook:
    assert account.webroot is not None
    return WebrootHook(account.webroot)


HOOKS: dict[str, Callable[[AcmeAccount], ChallengeHook]] = {
    "challtestsrv": _challtestsrv,
    "webroot": _webroot,
}


def hook_for(account: AcmeAccount) -> ChallengeHook:
    return HOOKS[account.challenge_hook](account)


__all__ = ["HOOKS", "ChallTestSrvHook", "ChallengeHook", "WebrootHook", "dns01_record", "hook_for"]
