"""A real Kafka broker (KRaft, single node) and a real PostgreSQL, on loopback, without Docker;
optionally a schema registry (Apicurio Registry, Confluent-compatible API).

Kafka is the official Apache broker and the registry Apicurio's released
application, both fetched once from Maven Central with Maven into a cache outside
the repository; PostgreSQL comes from the system's packages
(installed with apt-get when missing and we are root). Both run from a state
directory that holds their data, logs and pid files, so that ``down`` stops only
what ``up`` started. ``up`` is idempotent; a half-started stack is cleaned up.

The same code serves ``make up`` (a long-lived stack on configurable ports) and
the test fixtures (a throwaway stack on free ports in a temporary directory, removed
with its PostgreSQL cluster when it stops).
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import json
import logging
import os
import pwd
import random
import shlex
import shutil
import signal
import socket
import subprocess
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from provisioning.errors import MissingToolError, PortInUseError, StackError

if TYPE_CHECKING:
    from provisioning.pebble import PebbleDaemon

KAFKA_VERSION = "4.1.1"
LOG4J_VERSION = "2.24.3"
REGISTRY_VERSION = "3.0.9"  # io.apicurio:apicurio-registry-app, runs on Java 17
REGISTRY_ARTIFACT = f"io.apicurio:apicurio-registry-app:{REGISTRY_VERSION}:tar.gz:all"
REGISTRY_COMPATIBILITY = "BACKWARD"  # Apicurio's own default is NONE
CCOMPAT_PATH = "/apis/ccompat/v7"  # the Confluent-compatible API
JAVA_MIN_MAJOR = 17
PG_USER = "postgres"

# Brokers this process started, by pid: holding the handle lets stop() reap the child
# (and keeps Python from warning that a running subprocess was garbage-collected).
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}

_POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.provisioning</groupId>
  <artifactId>kafka-broker-classpath</artifactId>
  <version>1</version>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>{kafka}</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-slf4j-impl</artifactId>
      <version>{log4j}</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-core</artifactId>
      <version>{log4j}</version>
    </dependency>
  </dependencies>
</project>
"""

_LOG4J2 = """status = warn
appender.out.type = Console
appender.out.name = out
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = {level}
rootLogger.appenderRef.out.ref = out
logger.kafka.name = kafka.server.KafkaRaftServer
logger.kafka.level = info
"""


def cache_dir() -> Path:
    """Where downloads are kept: ``$PROVISIONING_CACHE_DIR`` or the XDG cache."""
    explicit = os.environ.get("PROVISIONING_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "provisioning"


def default_stack_dir() -> Path:
    """Where ``make up`` keeps the stack's state: ``$XDG_STATE_HOME/provisioning/stack``."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "provisioning" / "stack"


# --------------------------------------------------------------------------- helpers


def _others_can_traverse(path: Path) -> bool:
    """Whether a user other than the owner can reach ``path`` (every existing ancestor o+x)."""
    for ancestor in [path, *path.parents]:
        if ancestor.exists() and not ancestor.stat().st_mode & 0o001:
            return False
    return True


def postgres_home_for(home: Path) -> Path | None:
    """Where the PostgreSQL cluster of the stack in ``home`` lives, if not in ``home/postgres``.

    Running as root, the server runs as the ``postgres`` user; when ``home`` is closed to
    other users (root's home, pytest's temporary directories), the cluster goes under that
    user's home instead, in ``provisioning-stack/<key>``: the key is a hash of the stack
    directory's path, so each stack has its own cluster whatever its port, and a stack
    started again in the same directory finds its data again.
    """
    if os.geteuid() != 0 or _others_can_traverse(home):
        return None
    try:
        pg_home = Path(pwd.getpwnam(PG_USER).pw_dir)
    except KeyError:  # Postgres.start says what is missing
        return None
    key = hashlib.sha256(str(home.resolve()).encode()).hexdigest()[:16]
    return pg_home / "provisioning-stack" / key


def free_port(count: int = 1) -> int:
    """The first of ``count`` consecutive TCP ports on 127.0.0.1 that can be bound now.

    The ports lie below the kernel's ephemeral range: a port from that range can be
    taken by any client socket (a Kafka or PostgreSQL connection) between this pick and
    the server's bind, and the server then fails to start."""
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    picker = random.Random()  # noqa: S311 - a port pick, not a secret
    for _ in range(100):
        first = picker.randrange(10_000, max(10_001, low - count))
        if all(_bindable(first + offset) for offset in range(count)):
            return first
    raise PortInUseError(f"no {count} consecutive free ports found on 127.0.0.1")


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def check_port_free(port: int, what: str, variable: str) -> None:
    """Raise PortInUseError naming the port and the variable that moves it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            raise PortInUseError(
                f"port {port} on 127.0.0.1 is already taken, so {what} cannot listen there; "
                f"stop whatever uses it or set {variable} to a free port"
            ) from None


def _port_answers(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _require(program: str, hint: str) -> str:
    path = shutil.which(program)
    if path is None:
        raise MissingToolError(f"{program} is not installed or not on PATH: {hint}")
    return path


def _java_major(java: str) -> int:
    out = subprocess.run([java, "-version"], capture_output=True, text=True, check=False)
    text = out.stderr + out.stdout
    for token in text.replace('"', " ").split():
        head = token.split(".")[0].split("-")[0]
        if head.isdigit() and "." in token:
            major = int(head)
            return int(token.split(".")[1]) if major == 1 else major
    raise MissingToolError(f"could not read the Java version from: {text.strip()[:200]}")


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


def _first_existing(*paths: str) -> str | None:
    return next((path for path in paths if Path(path).exists()), None)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


# --------------------------------------------------------------------------- Kafka


def _check_java(what: str = "the local stack") -> str:
    java = _require("java", f"install OpenJDK {JAVA_MIN_MAJOR}+ (apt-get install openjdk-17-jre)")
    if _java_major(java) < JAVA_MIN_MAJOR:
        raise MissingToolError(f"{what} needs Java {JAVA_MIN_MAJOR}+; {java} is older")
    return java


def ensure_kafka_jars() -> Path:
    """The broker's classpath directory, downloaded with Maven on first use."""
    root = cache_dir() / f"kafka-{KAFKA_VERSION}"
    libs = root / "libs"
    done = root / ".complete"
    if done.exists():
        return libs
    _check_java(f"Kafka {KAFKA_VERSION}")
    mvn = _require("mvn", "install Maven (apt-get install maven) to fetch the Kafka broker jars")
    with _file_lock(root.with_suffix(".lock")):
        if done.exists():
            return libs
        work = root / "build"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        (work / "pom.xml").write_text(_POM.format(kafka=KAFKA_VERSION, log4j=LOG4J_VERSION))
        staging = root / "libs.partial"
        shutil.rmtree(staging, ignore_errors=True)
        result = subprocess.run(
            [
                mvn,
                "-B",
                "-q",
                "-f",
                str(work / "pom.xml"),
                "dependency:copy-dependencies",
                "-DincludeScope=runtime",
                f"-DoutputDirectory={staging}",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            shutil.rmtree(staging, ignore_errors=True)
            raise StackError(
                f"Maven could not fetch org.apache.kafka:kafka_2.13:{KAFKA_VERSION}:\n"
                + (result.stdout + result.stderr)[-2000:]
            )
        shutil.rmtree(libs, ignore_errors=True)
        staging.rename(libs)
        done.write_text(KAFKA_VERSION + "\n")
    return libs


@dataclass
class _JavaDaemon:
    """A server the stack starts in its own process group, its pid and log under ``home``."""

    home: Path
    NAME: ClassVar[str] = "daemon"  # the pid and log files' name

    @property
    def _pidfile(self) -> Path:
        return self.home / f"{self.NAME}.pid"

    @property
    def log(self) -> Path:
        return self.home / f"{self.NAME}.log"

    def pid(self) -> int | None:
        """The running server's pid: the pid file's, if that process is ours."""
        try:
            pid = int(self._pidfile.read_text())
        except (FileNotFoundError, ValueError):
            return None
        if _pid_alive(pid) and str(self.home) in _cmdline(pid):
            return pid
        return None

    def stop(self, timeout: float = 30.0) -> bool:
        pid = self.pid()
        if pid is None:
            self._pidfile.unlink(missing_ok=True)
            return False
        _stop_group(pid, timeout)
        self._pidfile.unlink(missing_ok=True)
        return True


@dataclass
class Kafka(_JavaDaemon):
    """One KRaft broker+controller on 127.0.0.1, state under ``home``."""

    NAME: ClassVar[str] = "kafka"
    port: int = 9092
    controller_port: int = 9093
    heap: str = "512m"
    port_variable: str = "PROVISIONING_KAFKA_PORT"

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 90.0) -> None:
        if self.pid() is not None:
            return
        check_port_free(self.port, "Kafka", self.port_variable)
        check_port_free(
            self.controller_port, "the Kafka controller", "PROVISIONING_KAFKA_CONTROLLER_PORT"
        )
        libs = ensure_kafka_jars()
        java = _require("java", f"install OpenJDK {JAVA_MIN_MAJOR}+")
        self.home.mkdir(parents=True, exist_ok=True)
        data = self.home / "kafka-data"
        config = self.home / "server.properties"
        config.write_text(self._server_properties(data))
        log4j = self.home / "log4j2.properties"
        log4j.write_text(_LOG4J2.format(level="warn"))
        base = [
            java,
            f"-Xmx{self.heap}",
            "-Xms128m",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={log4j}",
            "-cp",
            f"{libs}/*",
        ]
        if not (data / "meta.properties").exists():
            cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
            fmt = subprocess.run(
                [
                    *base,
                    "kafka.tools.StorageTool",
                    "format",
                    f"--cluster-id={cluster_id}",
                    "-c",
                    str(config),
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            if fmt.returncode != 0:
                raise StackError(f"formatting Kafka storage failed:\n{fmt.stdout}{fmt.stderr}")
        with self.log.open("ab") as out:
            proc = subprocess.Popen(
                [*base, "kafka.Kafka", str(config)],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                cwd=self.home,
            )
        _CHILDREN[proc.pid] = proc
        self._pidfile.write_text(str(proc.pid))
        try:
            self._wait_ready(proc, timeout)
        except BaseException:
            self.stop()
            raise

    def _server_properties(self, data: Path) -> str:
        return "\n".join(
            [
                "process.roles=broker,controller",
                "node.id=1",
                f"controller.quorum.voters=1@127.0.0.1:{self.controller_port}",
                f"listeners=PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
                f"advertised.listeners=PLAINTEXT://127.0.0.1:{self.port}",
                "controller.listener.names=CONTROLLER",
                "inter.broker.listener.name=PLAINTEXT",
                "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                f"log.dirs={data}",
                "num.partitions=1",
                "auto.create.topics.enable=true",
                "offsets.topic.replication.factor=1",
                "offsets.topic.num.partitions=4",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "transaction.state.log.num.partitions=4",
                "share.coordinator.state.topic.replication.factor=1",
                "share.coordinator.state.topic.min.isr=1",
                "group.initial.rebalance.delay.ms=0",
                "log.retention.hours=168",
                "",
            ]
        )

    def _wait_ready(self, proc: subprocess.Popen[bytes], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise StackError(f"Kafka exited with code {proc.returncode}:\n{_tail(self.log)}")
            if _port_answers(self.port) and self._admin_answers():
                return
            time.sleep(0.3)
        raise StackError(f"Kafka did not answer within {timeout:.0f}s:\n{_tail(self.log)}")

    def _admin_answers(self) -> bool:
        try:
            from confluent_kafka.admin import AdminClient  # noqa: PLC0415 - optional at import
        except ImportError:  # without the client, a listening port is the best we can check
            return True
        # its librdkafka lines (a broker still starting) are records of logger "kafka", as
        # every client's in provisioning/kafka.py, not lines of their own on stderr
        config: dict[str, Any] = {
            "bootstrap.servers": self.bootstrap,
            "socket.timeout.ms": 2000,
            "logger": logging.getLogger("kafka"),
        }
        admin = AdminClient(config)
        try:
            admin.list_topics(timeout=2)
        except Exception:  # noqa: BLE001 - any failure means "not ready yet"
            return False
        return True


# --------------------------------------------------------------------------- schema registry


def ensure_registry_app() -> Path:
    """The directory of Apicurio Registry's runner jar, downloaded with Maven on first use.

    One download per cache (a file lock serializes concurrent first starts); a failed
    or interrupted one leaves nothing behind that looks complete.
    """
    root = cache_dir() / f"apicurio-registry-{REGISTRY_VERSION}"
    app = root / "app"
    done = root / ".complete"
    if done.exists():
        return app
    _check_java()
    mvn = _require("mvn", "install Maven (apt-get install maven) to fetch the schema registry")
    with _file_lock(root.parent / f"{root.name}.lock"):
        if done.exists():
            return app
        work = root / "build"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        result = subprocess.run(
            [
                mvn,
                "-B",
                "-q",
                "dependency:copy",
                f"-Dartifact={REGISTRY_ARTIFACT}",
                f"-DoutputDirectory={work}",
            ],
            capture_output=True,
            text=True,
            check=False,
            cwd=work,  # no project: a pom.xml in the caller's directory must not be read
        )
        archives = sorted(work.glob("*.tar.gz"))
        if result.returncode != 0 or not archives:
            shutil.rmtree(work, ignore_errors=True)
            raise StackError(
                f"Maven could not fetch {REGISTRY_ARTIFACT}:\n"
                + (result.stdout + result.stderr)[-2000:]
            )
        staging = root / "app.partial"
        shutil.rmtree(staging, ignore_errors=True)
        with tarfile.open(archives[0]) as archive:
            archive.extractall(staging, filter="data")
        if not list(staging.glob("*-runner.jar")):
            raise StackError(f"{archives[0].name} holds no *-runner.jar")
        shutil.rmtree(app, ignore_errors=True)
        staging.rename(app)
        shutil.rmtree(work, ignore_errors=True)
        done.write_text(REGISTRY_VERSION + "\n")
    return app


@dataclass
class SchemaRegistry(_JavaDaemon):
    """Apicurio Registry on 127.0.0.1:``port``, in-memory storage, state (log, pid) under ``home``.

    Its schemas live in memory: a restart starts empty (the ids in messages already
    written no longer resolve).
    """

    NAME: ClassVar[str] = "registry"
    port: int = 8081
    heap: str = "512m"
    port_variable: str = "PROVISIONING_SCHEMA_REGISTRY_PORT"

    @property
    def url(self) -> str:
        """The Confluent-compatible API: what PROVISIONING_SCHEMA_REGISTRY_URL points at."""
        return f"http://127.0.0.1:{self.port}{CCOMPAT_PATH}"

    def start(self, timeout: float = 120.0) -> None:
        if self.pid() is not None:
            return
        check_port_free(self.port, "the schema registry", self.port_variable)
        app = ensure_registry_app()
        java = _check_java()
        self.home.mkdir(parents=True, exist_ok=True)
        (runner,) = app.glob("*-runner.jar")
        command = [
            java,
            f"-Xmx{self.heap}",
            "-Xms64m",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-Djava.awt.headless=true",
            f"-Dprovisioning.stack={self.home}",  # how pid() knows the process is ours
            "-Dquarkus.http.host=127.0.0.1",
            f"-Dquarkus.http.port={self.port}",
            "-Dapicurio.storage.kind=sql",
            "-Dapicurio.storage.sql.kind=h2",  # H2 in memory: Apicurio's default
            "-jar",
            str(runner),
        ]
        with self.log.open("ab") as out:
            proc = subprocess.Popen(
                command,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                cwd=self.home,
            )
        _CHILDREN[proc.pid] = proc
        self._pidfile.write_text(str(proc.pid))
        try:
            self._wait_ready(proc, timeout)
            self.set_compatibility(REGISTRY_COMPATIBILITY)
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self, proc: subprocess.Popen[bytes], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise StackError(
                    f"the schema registry exited with code {proc.returncode}:\n{_tail(self.log)}"
                )
            if self.ready():
                return
            time.sleep(0.3)
        raise StackError(
            f"the schema registry did not answer within {timeout:.0f}s:\n{_tail(self.log)}"
        )

    def ready(self) -> bool:
        """Whether its readiness check answers UP."""
        try:
            with urllib.request.urlopen(
                f"http://127.0.0.1:{self.port}/health/ready", timeout=2
            ) as response:
                return bool(response.status == 200)
        except (OSError, ValueError):
            return False

    def set_compatibility(self, level: str) -> None:
        """The global compatibility rule, through the Confluent-compatible API."""
        request = urllib.request.Request(  # noqa: S310 - our own http://127.0.0.1 URL
            f"{self.url}/config",
            data=json.dumps({"compatibility": level}).encode(),
            headers={"Content-Type": "application/vnd.schemaregistry.v1+json"},
            method="PUT",
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                answer = json.loads(response.read() or b"{}")
        except (OSError, ValueError) as exc:
            raise StackError(
                f"could not set the registry's compatibility to {level}: {exc}"
            ) from exc
        if answer.get("compatibilityLevel", answer.get("compatibility")) != level:
            raise StackError(f"the registry kept compatibility {answer} instead of {level}")


def _stop_group(pid: int, timeout: float) -> None:
    """SIGTERM the process group ``pid`` leads, SIGKILL it after ``timeout`` s; reap it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
    child = _CHILDREN.pop(pid, None)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child is not None and child.poll() is not None:
            break
        if child is None and not _pid_alive(pid):
            break
        time.sleep(0.1)
    else:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        if child is not None:
            child.wait()


# --------------------------------------------------------------------------- PostgreSQL


def postgres_bindir() -> Path:
    """The PostgreSQL server's bin directory; installs the server with apt-get if missing."""
    found = _find_postgres_bindir()
    if found is not None:
        return found
    apt = shutil.which("apt-get")
    if os.geteuid() != 0 or apt is None:
        raise MissingToolError(
            "the PostgreSQL server is not installed: install it with your package manager "
            "(apt-get install postgresql) and run again"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for args in ([apt, "update", "-q"], [apt, "install", "-y", "-q", "postgresql"]):
        result = subprocess.run(args, capture_output=True, text=True, env=env, check=False)
        if result.returncode != 0:
            raise MissingToolError(
                f"installing PostgreSQL with {' '.join(args)} failed:\n{result.stderr[-1500:]}"
            )
    found = _find_postgres_bindir()
    if found is None:
        raise MissingToolError("apt-get installed postgresql but no server binaries were found")
    return found


def _find_postgres_bindir() -> Path | None:
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if candidates:
        return candidates[-1].parent
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).resolve().parent if pg_ctl else None


@dataclass
class Postgres:
    """A PostgreSQL cluster the project owns, listening on 127.0.0.1:``port``.

    PostgreSQL refuses to run as root, so when we are root the server runs as the
    ``postgres`` system user and its directory is handed to that user.
    """

    home: Path
    port: int = 5432
    database: str = "provisioning"
    fast: bool = False  # fsync off: for throwaway test clusters only
    port_variable: str = "PROVISIONING_POSTGRES_PORT"
    _bindir: Path | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"postgresql://{PG_USER}@127.0.0.1:{self.port}/{self.database}"

    def admin_url(self, database: str = "postgres") -> str:
        return f"postgresql://{PG_USER}@127.0.0.1:{self.port}/{database}"

    @property
    def data(self) -> Path:
        return self.home / "postgres-data"

    @property
    def log(self) -> Path:
        return self.home / "postgres.log"

    def _bin(self, name: str) -> str:
        if self._bindir is None:
            self._bindir = postgres_bindir()
        return str(self._bindir / name)

    def _as_owner(self, args: list[str]) -> list[str]:
        if os.geteuid() != 0:
            return args
        try:
            pwd.getpwnam(PG_USER)
        except KeyError:
            raise MissingToolError(
                f"running as root, PostgreSQL needs the '{PG_USER}' system user, which is missing"
            ) from None
        runuser = shutil.which("runuser") or _first_existing("/usr/sbin/runuser", "/sbin/runuser")
        if runuser is None:
            raise MissingToolError("running as root needs runuser (util-linux) to start PostgreSQL")
        return [runuser, "-u", PG_USER, "--", *args]

    def _run(self, args: list[str], what: str) -> str:
        result = subprocess.run(self._as_owner(args), capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise StackError(f"{what} failed:\n{result.stdout}{result.stderr}\n{_tail(self.log)}")
        return result.stdout

    def running(self) -> bool:
        if not (self.data / "PG_VERSION").exists():
            return False
        result = subprocess.run(
            self._as_owner([self._bin("pg_ctl"), "status", "-D", str(self.data)]),
            capture_output=True,
            text=True,
            check=False,
        )
        return result.returncode == 0

    def start(self) -> None:
        if self.running():
            return
        check_port_free(self.port, "PostgreSQL", self.port_variable)
        self.home.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            entry = pwd.getpwnam(PG_USER)
            os.chown(self.home, entry.pw_uid, entry.pw_gid)
            self.home.chmod(0o755)
        try:
            if not (self.data / "PG_VERSION").exists():
                self._run(
                    [
                        self._bin("initdb"),
                        "-D",
                        str(self.data),
                        "-U",
                        PG_USER,
                        "--auth=trust",
                        "--encoding=UTF8",
                        "--no-locale",
                        "--no-instructions",
                    ],
                    "initdb",
                )
            options = [
                f"-p {self.port}",
                "-c listen_addresses=127.0.0.1",
                f"-k {self.home}",
                "-c max_connections=200",
            ]
            if self.fast:
                options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
            self._run(
                [
                    self._bin("pg_ctl"),
                    "start",
                    "-w",
                    "-t",
                    "60",
                    "-D",
                    str(self.data),
                    "-l",
                    str(self.log),
                    "-o",
                    " ".join(options),
                ],
                "starting PostgreSQL",
            )
            self._ensure_database()
        except BaseException:
            self.stop()
            raise

    def _ensure_database(self) -> None:
        createdb = [self._bin("createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", PG_USER]
        result = subprocess.run(
            self._as_owner([*createdb, self.database]), capture_output=True, text=True, check=False
        )
        if result.returncode != 0 and "already exists" not in result.stderr:
            raise StackError(f"creating database {self.database!r} failed: {result.stderr}")

    def stop(self) -> bool:
        if not self.running():
            return False
        self._run(
            [self._bin("pg_ctl"), "stop", "-w", "-m", "fast", "-D", str(self.data)],
            "stopping PostgreSQL",
        )
        return True


# --------------------------------------------------------------------------- the stack


@dataclass
class LocalStack:
    """Kafka and PostgreSQL together, as ``make up`` / ``make down`` run them."""

    home: Path
    kafka_port: int = 9092
    kafka_controller_port: int = 9093
    postgres_port: int = 5432
    fast: bool = False
    postgres_home: Path | None = None  # default: <home>/postgres
    with_registry: bool = False  # also start the schema registry
    registry_port: int = 8081
    with_acme: bool = False  # also start Pebble, the ACME test CA, for alpha-ssl
    acme_port: int = 14000  # the first of Pebble's six ports

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> LocalStack:
        """The stack the ``PROVISIONING_*`` variables of ``environ`` (default: ours) name."""
        env = os.environ if environ is None else environ

        def port(name: str, default: int) -> int:
            raw = env.get(name, str(default))
            if not raw.isdigit() or not 0 < int(raw) < 65536:
                raise StackError(f"{name}: {raw!r} is not a port number in 1..65535")
            return int(raw)

        kafka_port = port("PROVISIONING_KAFKA_PORT", 9092)
        explicit = env.get("PROVISIONING_STACK_DIR")
        home = Path(explicit) if explicit else default_stack_dir()
        return cls(
            home=home,
            kafka_port=kafka_port,
            kafka_controller_port=port("PROVISIONING_KAFKA_CONTROLLER_PORT", kafka_port + 1),
            postgres_port=port("PROVISIONING_POSTGRES_PORT", 5432),
            postgres_home=postgres_home_for(home),
            with_registry=_flag(env, "PROVISIONING_SCHEMA_REGISTRY"),
            registry_port=port("PROVISIONING_SCHEMA_REGISTRY_PORT", 8081),
            with_acme=_flag(env, "PROVISIONING_STACK_ACME"),
            acme_port=port("PROVISIONING_PEBBLE_PORT", 14000),
        )

    @property
    def kafka(self) -> Kafka:
        return Kafka(self.home / "kafka", self.kafka_port, self.kafka_controller_port)

    @property
    def postgres(self) -> Postgres:
        home = self.postgres_home or self.home / "postgres"
        return Postgres(home, self.postgres_port, fast=self.fast)

    @property
    def registry(self) -> SchemaRegistry:
        return SchemaRegistry(self.home / "registry", self.registry_port)

    @property
    def acme(self) -> PebbleDaemon:
        from provisioning.pebble import PebbleDaemon  # noqa: PLC0415 - it imports this module

        return PebbleDaemon(self.home / "pebble", self.acme_port)

    def env(self) -> dict[str, str]:
        """The settings a component needs to use this stack: the components log in as
        provisioning_app (db/roles.sql: no rights but turning into their roles), the
        migrations and operator commands as the owner. The registry's URL when the
        stack has one (asked for, or running); with Pebble, alpha-ssl's certificates
        on it (PROVISIONING_BACKENDS, PROVISIONING_ACME_ACCOUNTS)."""
        env = {
            "PROVISIONING_KAFKA_BOOTSTRAP_SERVERS": self.kafka.bootstrap,
            "PROVISIONING_DATABASE_URL": self.postgres.url.replace(
                f"://{PG_USER}@", "://provisioning_app@", 1
            ),
            "PROVISIONING_ADMIN_DATABASE_URL": self.postgres.url,
        }
        if self.with_registry or self.registry.pid() is not None:
            env["PROVISIONING_SCHEMA_REGISTRY_URL"] = self.registry.url
        if self.with_acme or self.acme.pid() is not None:
            env.update(self.acme.settings_env())
        return env

    def up(self, *, with_kafka: bool = True) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        postgres, kafka, registry = self.postgres, self.kafka, self.registry
        started_postgres = not postgres.running()
        started_kafka = with_kafka and kafka.pid() is None
        # Check every port first, so a taken one fails before anything starts.
        if started_postgres:
            check_port_free(postgres.port, "PostgreSQL", postgres.port_variable)
        if started_kafka:
            check_port_free(kafka.port, "Kafka", kafka.port_variable)
            check_port_free(
                kafka.controller_port, "the Kafka controller", "PROVISIONING_KAFKA_CONTROLLER_PORT"
            )
        if self.with_registry and registry.pid() is None:
            check_port_free(registry.port, "the schema registry", registry.port_variable)
        if postgres.home != self.home / "postgres":  # say whose cluster it is
            postgres.home.mkdir(parents=True, exist_ok=True)
            (postgres.home / "stack-dir").write_text(f"{self.home.resolve()}\n")
        postgres.start()
        try:
            if with_kafka:
                kafka.start()
            if self.with_registry:
                registry.start()
            if self.with_acme:
                self.acme.start()
        except BaseException:
            if started_kafka:
                kafka.stop()
            if started_postgres:
                postgres.stop()
            raise
        (self.home / "env").write_text(
            "".join(f"export {key}={shlex.quote(value)}\n" for key, value in self.env().items())
        )

    def down(self) -> list[str]:
        """Stop what runs; the data stays, for the next ``up``."""
        stopped = []
        if self.acme.stop():
            stopped.append("pebble")
        if self.registry.stop():
            stopped.append("schema registry")
        if self.kafka.stop():
            stopped.append("kafka")
        if self.postgres.stop():
            stopped.append("postgres")
        return stopped

    def remove(self) -> None:
        """Stop the stack and delete its state: its directory and its PostgreSQL cluster,
        wherever that lives. For throwaway stacks (tests, benchmarks)."""
        self.down()
        for path in (self.postgres.home, self.home):
            shutil.rmtree(path, ignore_errors=True)

    def status(self) -> dict[str, str]:
        kafka_pid = self.kafka.pid()
        status = {
            "kafka": f"running on {self.kafka.bootstrap} (pid {kafka_pid})"
            if kafka_pid
            else "stopped",
            "postgres": f"running: {self.postgres.url}" if self.postgres.running() else "stopped",
        }
        registry_pid = self.registry.pid()
        if registry_pid is not None:
            status["registry"] = f"running: {self.registry.url} (pid {registry_pid})"
        elif self.with_registry:
            status["registry"] = "stopped"
        if self.acme.pid() is not None:
            status["pebble"] = f"running: {self.acme.pebble().directory_url}"
        elif self.with_acme:
            status["pebble"] = "stopped"
        return status


def _flag(env: Mapping[str, str], name: str) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw in {"", "0", "false", "no", "off"}:
        return False
    if raw in {"1", "true", "yes", "on"}:
        return True
    raise StackError(f"{name}: {raw!r} is not one of 1, true, yes, on, 0, false, no, off")


@contextlib.contextmanager
def temporary_stack(*, with_kafka: bool = True) -> Iterator[LocalStack]:
    """A throwaway stack on free ports in a temporary directory, removed afterwards with
    its PostgreSQL cluster (also when that had to live in the postgres user's home).

    For tests and benchmarks: it never touches the ``make up`` stack, and trades
    durability for speed (fsync off).
    """
    home = Path(tempfile.mkdtemp(prefix="provisioning-stack-"))
    home.chmod(0o755)  # PostgreSQL runs as the postgres user when we are root
    stack = LocalStack(
        home=home,
        kafka_port=free_port(),
        kafka_controller_port=free_port(),
        postgres_port=free_port(),
        fast=True,
        postgres_home=postgres_home_for(home),  # when $TMPDIR is closed to it
    )
    try:
        stack.up(with_kafka=with_kafka)
        yield stack
    finally:
        stack.remove()


@contextlib.contextmanager
def temporary_registry() -> Iterator[SchemaRegistry]:
    """A throwaway schema registry on a free port, its directory removed afterwards.

    Apart from the stack's services: the tests start it only when a test needs it.
    """
    home = Path(tempfile.mkdtemp(prefix="provisioning-registry-"))
    registry = SchemaRegistry(home, free_port())
    try:
        registry.start()
        yield registry
    finally:
        registry.stop()
        shutil.rmtree(home, ignore_errors=True)


__all__ = [
    "KAFKA_VERSION",
    "REGISTRY_VERSION",
    "Kafka",
    "LocalStack",
    "Postgres",
    "SchemaRegistry",
    "cache_dir",
    "ensure_kafka_jars",
    "ensure_registry_app",
    "free_port",
    "postgres_bindir",
    "postgres_home_for",
    "temporary_registry",
    "temporary_stack",
]
