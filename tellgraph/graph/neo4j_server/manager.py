"""Provision, start, stop and inspect a local Neo4j 5.26 Community server.

No Docker and no server tarball: the server's jars come from Maven Central
(see ``pom.xml`` next to this file) and run with ``java -cp '<lib>/*'
org.neo4j.server.CommunityEntryPoint`` against a ``neo4j.conf`` generated from
:class:`~tellgraph.settings.Settings`. Everything lives under
``settings.neo4j_home``::

    lib-<version>/   the jars (a new version gets a new folder, so it re-provisions)
    conf/neo4j.conf  regenerated on every start
    data/            databases and transaction logs, kept across restarts
    logs/            neo4j.log, debug.log, ... and console.log (the JVM's stdout/stderr)
    run/             neo4j.pid and the lock file

This module deliberately does not import the ``neo4j`` driver: readiness is a raw
Bolt handshake, so ``tellgraph neo4j start`` works before anything else loads.
POSIX only (process sessions, signals, ``fcntl`` locks).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from tellgraph.errors import ConfigError, ProvisioningError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from rich.console import Console

    from tellgraph.settings import Settings

logger = logging.getLogger(__name__)

POM_PATH = Path(__file__).with_name("pom.xml")
ENTRY_POINT = "org.neo4j.server.CommunityEntryPoint"
ADMIN_TOOL = "org.neo4j.cli.AdminTool"
MIN_JAVA_MAJOR = 17
# Neo4j's own rule (dbms.security.auth_minimum_password_length); checked early for a clear message.
MIN_PASSWORD_LENGTH = 8
DEFAULT_STOP_TIMEOUT = 60.0
LISTEN_HOST = "127.0.0.1"

# Bolt handshake: the magic preamble, then four 4-byte proposals, best first.
# Each proposal is [0, range, minor, major]: "00 08 08 05" offers 5.8 down to 5.0,
# "00 00 04 04" offers 4.4. The server answers with the chosen version or zeros.
BOLT_MAGIC = bytes.fromhex("60 60 B0 17")
BOLT_PROPOSALS = bytes.fromhex("00 08 08 05  00 00 04 04  00 00 00 00  00 00 00 00")

_MARKER_FILE = ".tellgraph-provisioned.json"
# Neo4j's rule for database names: 3-63 characters, lowercase ASCII letters, digits, dots and dashes.
_DATABASE_NAME = re.compile(r"^[a-z][a-z0-9.-]{2,62}$")
_IMPORT_DONE = re.compile(r"IMPORT DONE.*?Imported:\s*(\d+) nodes\s+(\d+) relationships\s+(\d+) properties", re.S)
DEFAULT_IMPORT_TIMEOUT = 6 * 3600.0
_SIZE_PATTERN = re.compile(r"^[1-9][0-9]*[kKmMgG]?$")
_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

# JVM flags the stock neo4j.conf (server.jvm.additional) and launcher add. Without the
# --add-opens flags start-up dies with a LinkageError on DirectByteBuffer. The stock
# -XX:+AlwaysPreTouch is left out on purpose: it commits the whole heap up front,
# which is wasteful for a development server on a laptop.
_JVM_FLAGS = (
    "-XX:+UseG1GC",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:+UnlockExperimentalVMOptions",
    "-XX:+TrustFinalNonStaticFields",
    "-XX:+DisableExplicitGC",
    "-XX:+ExitOnOutOfMemoryError",
    "-Djdk.nio.maxCachedBufferSize=1024",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Dlog4j2.disable.jmx=true",
    "-Dfile.encoding=UTF-8",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--enable-native-access=ALL-UNNAMED",
)


@dataclass(frozen=True, slots=True)
class Status:
    """What ``tellgraph neo4j status`` reports about the local server.

    ``running``/``pid`` describe this home's process; ``bolt_ready``/``http_ready``
    say whether anything answers on the configured ports (``server_version`` comes
    from HTTP discovery, ``version`` from the settings).
    """

    running: bool
    pid: int | None
    version: str
    server_version: str | None
    bolt_url: str
    http_url: str
    browser_url: str
    bolt_ready: bool
    bolt_protocol: str | None
    http_ready: bool
    provisioned: bool
    home: Path
    data_dir: Path
    lib_dir: Path
    log_file: Path
    console_log: Path

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready view (paths as strings) for ``--json`` output."""
        values = {field.name: getattr(self, field.name) for field in fields(self)}
        return {name: str(value) if isinstance(value, Path) else value for name, value in values.items()}


@dataclass(frozen=True, slots=True)
class ImportResult:
    """The outcome of :meth:`LocalNeo4j.import_csv`: what the importer reported and how long it took."""

    database: str
    seconds: float
    nodes: int | None
    relationships: int | None
    properties: int | None
    log_file: Path

    @property
    def message(self) -> str:
        """One line for the CLI."""
        counts = ", ".join(
            f"{value:,} {name}"
            for name, value in (
                ("nodes", self.nodes),
                ("relationships", self.relationships),
                ("properties", self.properties),
            )
            if value is not None
        )
        return f"Imported {counts or 'the files'} into database {self.database!r} in {self.seconds:.1f} s"


@dataclass(frozen=True, slots=True)
class StartResult:
    """The outcome of :meth:`LocalNeo4j.start`."""

    already_running: bool
    pid: int
    seconds: float
    version: str
    bolt_url: str
    http_url: str
    browser_url: str

    @property
    def message(self) -> str:
        """One line for the CLI."""
        if self.already_running:
            return f"Neo4j {self.version} is already running (pid {self.pid}) at {self.bolt_url}"
        return (
            f"Neo4j {self.version} started in {self.seconds:.1f} s (pid {self.pid}): "
            f"{self.bolt_url}, Browser at {self.browser_url}"
        )


def java_available() -> bool:
    """Whether a ``java`` executable is on PATH (its version is checked on use)."""
    return shutil.which("java") is not None


def maven_available() -> bool:
    """Whether ``mvn`` is on PATH (needed only to download the jars once)."""
    return shutil.which("mvn") is not None


def java_major_version(java: str) -> int | None:
    """The major version of the given ``java`` executable, or None if it cannot be told."""
    try:
        done = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    # `java -version` prints to stderr: openjdk version "17.0.15" ... or "1.8.0_402" for Java 8.
    match = re.search(r'version "(\d+)(?:\.(\d+))?', done.stderr + done.stdout)
    if match is None:
        return None
    major = int(match.group(1))
    if major == 1 and match.group(2) is not None:
        major = int(match.group(2))
    return major


def bolt_handshake(*, host: str, port: int, timeout: float) -> str | None:
    """Perform the Bolt handshake and return the agreed version ("5.8"), or None.

    None means nothing listens, the peer is not a Bolt server, or it supports none
    of the proposed versions. The connection is closed right after the handshake.
    """
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(BOLT_MAGIC + BOLT_PROPOSALS)
            answer = b""
            while len(answer) < 4:
                chunk = sock.recv(4 - len(answer))
                if not chunk:
                    return None
                answer += chunk
    except OSError:
        return None
    if answer == b"\x00\x00\x00\x00":
        return None
    return f"{answer[3]}.{answer[2]}"


def port_is_free(*, host: str, port: int) -> bool:
    """Whether Neo4j could bind ``host:port``.

    Binds with SO_REUSEADDR like Neo4j's Netty and Jetty servers do, so sockets
    lingering in TIME_WAIT from our own previous run do not count as "taken".
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _http_discovery(*, url: str, timeout: float) -> dict[str, object] | None:
    """The server's discovery document at ``/`` (it names the version), or None."""
    # An explicit empty ProxyHandler: an http_proxy in the environment must not
    # intercept requests to 127.0.0.1.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    # The URL is always http://127.0.0.1:<port>/, built by LocalNeo4j.
    request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310
    try:
        with opener.open(request, timeout=timeout) as response:
            if response.status != 200:
                return None
            document = json.loads(response.read().decode("utf-8"))
    except (OSError, ValueError, urllib.error.URLError):
        return None
    return document if isinstance(document, dict) else None


def _tail(path: Path, *, lines: int = 25) -> str:
    """The last lines of a text file, or a note that it does not exist."""
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 64_000))
            text = handle.read().decode("utf-8", errors="replace")
    except OSError:
        return f"({path} does not exist)"
    return "\n".join(_ANSI_ESCAPE.sub("", text).splitlines()[-lines:])


def _maven_errors(output: str, *, lines: int = 15) -> str:
    """The telling part of Maven's output: its [ERROR] lines without the boilerplate, else the tail."""
    boilerplate = ("To see the full stack trace", "Re-run Maven", "For more information", "[Help ")
    text = _ANSI_ESCAPE.sub("", output).strip().splitlines()
    errors = []
    for line in text:
        message = line.removeprefix("[ERROR]").strip()
        if line.startswith("[ERROR]") and message and not message.startswith(boilerplate):
            errors.append(message.removesuffix("-> [Help 1]").strip())
    return "\n".join((errors or text)[-lines:])


@contextlib.contextmanager
def _locked(lock_file: Path) -> Iterator[None]:
    """Hold an exclusive lock so two ``tellgraph neo4j`` commands never race."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with lock_file.open("a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _terminal_console() -> Console | None:
    """A rich console on stderr if rich is installed and stderr is a terminal."""
    try:
        from rich.console import Console
    except ImportError:
        return None
    console = Console(stderr=True)
    return console if console.is_terminal else None


@contextlib.contextmanager
def _progress(message: str) -> Iterator[Callable[[str], None]]:
    """Log ``message`` and yield a function that updates a spinner (on a terminal only)."""
    logger.info("%s", message)
    console = _terminal_console()
    if console is None:
        yield lambda _text: None
        return
    with console.status(message) as status:
        yield lambda text: status.update(text)


# Pids this process spawned: only these may be reaped with waitpid, so we never
# steal the exit status of someone else's child (e.g. a subprocess.Popen).
_SPAWNED: set[int] = set()


def _exit_status(pid: int) -> int | None:
    """Reap ``pid`` if we spawned it and it exited: its exit code, else None."""
    if pid not in _SPAWNED:
        return None
    try:
        reaped, wait_status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        _SPAWNED.discard(pid)
        return None
    if reaped == 0:
        return None
    _SPAWNED.discard(pid)
    return os.waitstatus_to_exitcode(wait_status)


def _pid_alive(pid: int) -> bool:
    """Whether ``pid`` is a live (not zombie) process."""
    if _exit_status(pid) is not None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc (macOS): kill(0) is all we have
    # The state letter follows the parenthesised command name; Z is an unreaped zombie.
    return stat.rpartition(")")[2].split()[:1] != ["Z"]


def _cmdline(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return raw.decode("utf-8", errors="replace").split("\0")


def _spawn_detached(argv: list[str], *, log_file: Path) -> int:
    """Start ``argv`` in its own session with stdout/stderr appended to ``log_file``.

    ``os.posix_spawn`` rather than ``subprocess.Popen(start_new_session=True)``: the
    server outlives this process by design, and a Popen object garbage-collected
    while its child still runs emits a ResourceWarning (an error under pytest's
    ``filterwarnings = error``). We reap the child ourselves with ``waitpid``.
    """
    log_fd = os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        file_actions = [
            (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_DUP2, log_fd, 1),
            (os.POSIX_SPAWN_DUP2, log_fd, 2),
        ]
        # Python ignores SIGPIPE and SIGXFSZ; like Popen(restore_signals=True), give
        # the JVM the default dispositions back.
        defaults = (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
        try:
            pid = os.posix_spawn(
                argv[0], argv, dict(os.environ), file_actions=file_actions, setsid=True, setsigdef=defaults
            )
        except NotImplementedError:
            # Platforms without POSIX_SPAWN_SETSID: a new process group still keeps
            # the terminal's Ctrl-C away from the server.
            pid = os.posix_spawn(
                argv[0], argv, dict(os.environ), file_actions=file_actions, setpgroup=0, setsigdef=defaults
            )
    finally:
        os.close(log_fd)
    _SPAWNED.add(pid)
    return pid


def _quote_picocli_argument(value: str) -> str:
    """Quote ``value`` for a picocli @argument-file (Neo4j's admin tool reads them).

    Inside double quotes picocli honours backslash escapes; a leading "@" would make
    picocli read another file, and "@@" is its escape for a literal "@".
    """
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + ("@" if value.startswith("@") else "") + escaped + '"'


class LocalNeo4j:
    """The local Neo4j Community server that tellgraph provisions and runs.

    Args:
        settings: Ports, memory, version, password and ``neo4j_home`` come from here.
        lib_dir: Where the jars live; defaults to ``<neo4j_home>/lib-<version>``.
            Tests point a throw-away home at the default home's jars to avoid a
            second download.
    """

    def __init__(self, *, settings: Settings, lib_dir: Path | None = None) -> None:
        self.settings = settings
        self.home = settings.neo4j_home.expanduser().resolve()
        self.version = settings.neo4j_version
        self.browser_version = settings.neo4j_browser_version
        self.lib_dir = (lib_dir or self.home / f"lib-{self.version}").expanduser().resolve()
        self.conf_dir = self.home / "conf"
        self.data_dir = self.home / "data"
        self.logs_dir = self.home / "logs"
        self.run_dir = self.home / "run"
        self.pid_file = self.run_dir / "neo4j.pid"
        self.log_file = self.logs_dir / "neo4j.log"
        self.console_log = self.logs_dir / "console.log"
        self.bolt_port = settings.neo4j_bolt_port
        self.http_port = settings.neo4j_http_port
        self.bolt_url = f"bolt://{LISTEN_HOST}:{self.bolt_port}"
        self.http_url = f"http://{LISTEN_HOST}:{self.http_port}"
        self.browser_url = f"{self.http_url}/browser/"
        self._java: str | None = None

    # -- provisioning -------------------------------------------------------------

    def is_provisioned(self) -> bool:
        """Whether ``lib_dir`` holds a complete copy of the configured versions."""
        try:
            marker = json.loads((self.lib_dir / _MARKER_FILE).read_text())
        except (OSError, ValueError):
            return False
        return bool(marker == self._marker())

    def provision(self) -> None:
        """Download the server's jars into ``lib_dir`` with Maven, unless they are there.

        Raises:
            ProvisioningError: ``java`` or ``mvn`` is missing, or Maven failed.
        """
        self._require_java()
        if self.is_provisioned():
            logger.debug("Neo4j %s jars already in %s", self.version, self.lib_dir)
            return
        self._ensure_home()
        with _locked(self.lib_dir.parent / f".{self.lib_dir.name}.lock"):
            if self.is_provisioned():  # another process finished while we waited
                return
            self._download_jars()

    def _ensure_home(self) -> None:
        # Private to the user: the data, logs and auth.ini (a salted password hash) live here.
        self.home.mkdir(parents=True, exist_ok=True, mode=0o700)

    def _marker(self) -> dict[str, str]:
        return {"neo4j": self.version, "neo4j_browser": self.browser_version}

    def _download_jars(self) -> None:
        mvn = shutil.which("mvn")
        if mvn is None:
            raise ProvisioningError(
                "provision", "Maven ('mvn') is not on PATH; install it (e.g. apt-get install maven)"
            )
        self.lib_dir.parent.mkdir(parents=True, exist_ok=True)
        # Copy into a scratch folder and rename at the end, so an interrupted
        # download never looks like a complete one.
        scratch = Path(tempfile.mkdtemp(prefix=f".{self.lib_dir.name}-", dir=self.lib_dir.parent))
        command = [
            mvn,
            "-q",
            "-B",
            "-Dstyle.color=never",
            "-f",
            str(POM_PATH),
            "dependency:copy-dependencies",
            f"-DoutputDirectory={scratch}",
            f"-Dneo4j.version={self.version}",
            f"-Dneo4j.browser.version={self.browser_version}",
        ]
        started = time.monotonic()
        message = (
            f"Downloading Neo4j {self.version} + Browser {self.browser_version} "
            f"from Maven Central into {self.lib_dir} (about 140 MB, once)"
        )
        try:
            with _progress(message):
                done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise ProvisioningError(
                    "provision",
                    f"Maven exited with {done.returncode} copying org.neo4j:neo4j:{self.version}:\n"
                    + _maven_errors(done.stdout + done.stderr),
                )
            expected = [f"neo4j-{self.version}.jar", f"neo4j-browser-{self.browser_version}.jar"]
            missing = [name for name in expected if not (scratch / name).is_file()]
            if missing:
                raise ProvisioningError("provision", f"Maven succeeded but {', '.join(missing)} is missing")
            (scratch / _MARKER_FILE).write_text(json.dumps(self._marker()))
            if self.lib_dir.exists():
                shutil.rmtree(self.lib_dir)  # incomplete, or for other versions
            scratch.rename(self.lib_dir)
        finally:
            if scratch.exists():
                shutil.rmtree(scratch, ignore_errors=True)
        jars = sum(1 for _ in self.lib_dir.glob("*.jar"))
        logger.info("Provisioned %d jars in %.0f s into %s", jars, time.monotonic() - started, self.lib_dir)

    def _require_java(self) -> str:
        if self._java is not None:
            return self._java
        java = shutil.which("java")
        if java is None:
            raise ProvisioningError(
                "provision", f"Java {MIN_JAVA_MAJOR}+ ('java') is not on PATH; install a JDK or JRE"
            )
        major = java_major_version(java)
        if major is not None and major < MIN_JAVA_MAJOR:
            raise ProvisioningError(
                "provision", f"Neo4j {self.version} needs Java {MIN_JAVA_MAJOR}+, but {java} is Java {major}"
            )
        self._java = java
        return java

    # -- configuration ------------------------------------------------------------

    def render_config(self) -> str:
        """The ``neo4j.conf`` this server runs with, generated from the settings."""
        heap = self._size_setting("neo4j_heap", self.settings.neo4j_heap)
        pagecache = self._size_setting("neo4j_pagecache", self.settings.neo4j_pagecache)
        bolt = f"{LISTEN_HOST}:{self.bolt_port}"
        http = f"{LISTEN_HOST}:{self.http_port}"
        lines = [
            "# Generated by tellgraph on every `tellgraph neo4j start`; edits are overwritten.",
            "# Change TELLGRAPH_NEO4J_* settings instead.",
            f"server.default_listen_address={LISTEN_HOST}",
            f"server.default_advertised_address={LISTEN_HOST}",
            "server.bolt.enabled=true",
            f"server.bolt.listen_address={bolt}",
            # Browser and drivers read the advertised addresses from discovery.
            f"server.bolt.advertised_address={bolt}",
            "server.http.enabled=true",
            f"server.http.listen_address={http}",
            f"server.http.advertised_address={http}",
            "server.https.enabled=false",
            # The heap itself is set by -Xms/-Xmx; these keep Neo4j's memory report honest.
            f"server.memory.heap.initial_size={heap}",
            f"server.memory.heap.max_size={heap}",
            f"server.memory.pagecache.size={pagecache}",
            f"server.directories.data={self.data_dir}",
            f"server.directories.logs={self.logs_dir}",
            f"server.directories.run={self.run_dir}",
            f"server.directories.import={self.home / 'import'}",
            f"server.directories.plugins={self.home / 'plugins'}",
            # Bounded transaction logs: Neo4j preallocates each file at the rotation
            # size (256 MB by default, per database).
            "db.tx_log.rotation.retention_policy=2 files",
            "db.tx_log.rotation.size=32M",
            "dbms.security.auth_enabled=true",
            "dbms.usage_report.enabled=false",
            # Browser may fetch guides and styles from these hosts (any port): `tellgraph serve` on
            # 127.0.0.1 serves `:play http://127.0.0.1:8000/browser-guide` and its GraSS file.
            # (5.26 still names the setting "whitelist"; "remote_content_allowlist" fails strict validation.)
            "browser.remote_content_hostname_whitelist=guides.neo4j.com,localhost,127.0.0.1",
            # Netty waits 5 s of quiet per event loop on shutdown; 1 s makes stop ~8 s faster.
            "internal.dbms.bolt.netty_server_shutdown_quiet_period=1",
        ]
        return "\n".join(lines) + "\n"

    @staticmethod
    def _size_setting(name: str, value: str) -> str:
        if not _SIZE_PATTERN.match(value):
            raise ConfigError(name, f"{value!r} is not a size like 512m or 1g")
        return value

    def _jvm_command(self, java: str) -> list[str]:
        heap = self._size_setting("neo4j_heap", self.settings.neo4j_heap)
        return [
            java,
            f"-Xms{heap}",
            f"-Xmx{heap}",
            *_JVM_FLAGS,
            "-cp",
            f"{self.lib_dir}{os.sep}*",
            ENTRY_POINT,
            f"--home-dir={self.home}",
            f"--config-dir={self.conf_dir}",
        ]

    def _write_config(self) -> None:
        for folder in (self.conf_dir, self.data_dir, self.logs_dir, self.run_dir):
            folder.mkdir(parents=True, exist_ok=True)
        config_file = self.conf_dir / "neo4j.conf"
        scratch = config_file.with_suffix(".conf.tmp")
        scratch.write_text(self.render_config())
        scratch.replace(config_file)

    def _config_changed(self) -> bool:
        """Whether the running server's neo4j.conf differs from what the settings give now."""
        try:
            return (self.conf_dir / "neo4j.conf").read_text() != self.render_config()
        except OSError:
            return True

    def _first_start(self) -> bool:
        # The system database holds the users; once it exists an initial password
        # can no longer take effect.
        return not (self.data_dir / "databases" / "system").exists()

    def _set_initial_password(self, java: str) -> None:
        """Run Neo4j's ``dbms set-initial-password`` without the password reaching ``ps``.

        The password goes through a private picocli @argument file, which the admin
        tool expands itself, instead of the command line.
        """
        password = self.settings.neo4j_password.get_secret_value()
        if len(password) < MIN_PASSWORD_LENGTH:
            raise ConfigError("neo4j_password", f"Neo4j needs at least {MIN_PASSWORD_LENGTH} characters")
        if any(char in password for char in "\r\n\0"):
            raise ConfigError("neo4j_password", "must not contain line breaks or NUL characters")
        descriptor, name = tempfile.mkstemp(prefix="initial-password-", dir=self.run_dir)  # mode 0600
        argument_file = Path(name)
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(_quote_picocli_argument(password) + "\n")
            environment = {**os.environ, "NEO4J_HOME": str(self.home), "NEO4J_CONF": str(self.conf_dir)}
            command = [
                java,
                "-Dfile.encoding=UTF-8",
                "-Xmx256m",
                "-cp",
                f"{self.lib_dir}{os.sep}*",
                ADMIN_TOOL,
                "dbms",
                "set-initial-password",
                f"@{argument_file}",
            ]
            with _progress("Setting the initial password of the 'neo4j' user"):
                done = subprocess.run(
                    command, capture_output=True, text=True, env=environment, timeout=120, check=False
                )
        except subprocess.TimeoutExpired as error:
            raise ProvisioningError("set initial password", "neo4j-admin did not finish in 120 s") from error
        finally:
            argument_file.unlink(missing_ok=True)
        if done.returncode != 0:
            output = (done.stdout + done.stderr).replace(password, "***").strip().splitlines()
            raise ProvisioningError(
                "set initial password",
                f"neo4j-admin exited with {done.returncode}:\n" + "\n".join(output[-10:]),
            )

    # -- bulk import ----------------------------------------------------------------

    def import_csv(
        self,
        *,
        args: list[str],
        database: str = "neo4j",
        overwrite: bool = False,
        max_off_heap_memory: str | None = None,
        threads: int | None = None,
        timeout: float = DEFAULT_IMPORT_TIMEOUT,
    ) -> ImportResult:
        """Run ``neo4j-admin database import full`` into this home's (stopped) server.

        The importer writes store files directly, far faster than transactions, but only
        into a database that does not exist yet (or, with ``overwrite``, whose files it
        deletes first), and only while the server is stopped. Start the server afterwards
        and apply the schema (``tellgraph schema apply``) to build constraints and indexes.

        Args:
            args: the importer's file and format options, e.g. from
                :meth:`tellgraph.graph.neo4j_bulk.BulkCsvWriter.import_args`; each starts with ``--``.
            database: the database to create.
            overwrite: delete that database's files first (``--overwrite-destination``).
            max_off_heap_memory: cap for the importer's off-heap caches (``4g``, ``50%``); the
                tool's default is 90% of free memory.
            threads: importer worker threads (default: one per core).
            timeout: seconds before the importer is killed.

        Raises:
            ProvisioningError: the server is running, Java is missing, or the importer failed.
            ConfigError: the database name or an option is unusable.
        """
        if not _DATABASE_NAME.match(database):
            raise ConfigError("database", f"{database!r} is not a valid Neo4j database name")
        if any(not arg.startswith("--") for arg in args):
            raise ConfigError("import arguments", "every importer argument must be an option starting with --")
        if max_off_heap_memory is not None and not re.fullmatch(r"[1-9][0-9]*[kKmMgG%]?", max_off_heap_memory):
            raise ConfigError("max_off_heap_memory", f"{max_off_heap_memory!r} is not a size like 4g or 50%")
        self.provision()
        java = self._require_java()
        self._ensure_home()
        with _locked(self.run_dir / "tellgraph.lock"):
            pid = self.running_pid()
            if pid is not None:
                raise ProvisioningError(
                    "import",
                    f"Neo4j is running (pid {pid}); stop it first (`tellgraph neo4j stop`): "
                    "the importer writes the store files while no server has them open",
                )
            self._write_config()
            heap = self._size_setting("neo4j_heap", self.settings.neo4j_heap)
            options = [f"--overwrite-destination={'true' if overwrite else 'false'}"]
            if max_off_heap_memory is not None:
                options.append(f"--max-off-heap-memory={max_off_heap_memory}")
            if threads is not None:
                options.append(f"--threads={max(1, threads)}")
            log_file = self.logs_dir / f"import-{database}.log"
            options.append(f"--report-file={self.logs_dir / f'import-{database}.report'}")
            command = [
                java,
                f"-Xmx{heap}",
                *(flag for flag in _JVM_FLAGS if flag.startswith(("--add-opens", "--enable-native", "-XX:+UseG1GC"))),
                "-cp",
                f"{self.lib_dir}{os.sep}*",
                ADMIN_TOOL,
                "database",
                "import",
                "full",
                # The database goes first: --nodes and --relationships take any number of files
                # and would swallow a name after them.
                database,
                *options,
                *args,
            ]
            environment = {**os.environ, "NEO4J_HOME": str(self.home), "NEO4J_CONF": str(self.conf_dir)}
            started = time.monotonic()
            with _progress(f"Importing into database {database!r} (log: {log_file})"), log_file.open("w") as log:
                process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=environment)
                try:
                    code = process.wait(timeout=timeout)
                except subprocess.TimeoutExpired as error:
                    process.kill()
                    process.wait()
                    raise ProvisioningError("import", f"the importer did not finish in {timeout:.0f} s") from error
            seconds = time.monotonic() - started
        output = log_file.read_text(encoding="utf-8", errors="replace")
        if code != 0:
            raise ProvisioningError(
                "import", f"neo4j-admin exited with {code}:\n{_tail(log_file, lines=20)}\n(full output in {log_file})"
            )
        done = _IMPORT_DONE.search(output)
        counts = [int(value) for value in done.groups()] if done else [None, None, None]
        logger.info("Imported into %s in %.1f s: %s", database, seconds, done.group(0) if done else "(no summary)")
        return ImportResult(
            database=database,
            seconds=seconds,
            nodes=counts[0],
            relationships=counts[1],
            properties=counts[2],
            log_file=log_file,
        )

    # -- process control ----------------------------------------------------------

    def _is_our_server(self, pid: int) -> bool:
        """Whether ``pid`` is a live Neo4j started with this home (guards against pid reuse)."""
        argv = _cmdline(pid)
        if argv is not None and not (ENTRY_POINT in argv and f"--home-dir={self.home}" in argv):
            return False  # another program (a zombie's cmdline is empty too)
        # Without /proc (macOS) the pid file is all we have.
        return _pid_alive(pid)

    def running_pid(self) -> int | None:
        """The pid of this home's server if it runs, from the pid file or else ``/proc``."""
        with contextlib.suppress(OSError, ValueError):
            pid = int(self.pid_file.read_text().strip())
            if self._is_our_server(pid):
                return pid
        # No (valid) pid file: the server may still be running, e.g. if the file was
        # deleted by hand; find it by its command line so we never start a second one.
        proc = Path("/proc")
        if not proc.is_dir():
            return None
        for entry in proc.iterdir():
            if not entry.name.isdigit() or _cmdline(int(entry.name)) is None:
                continue
            if self._is_our_server(int(entry.name)):
                return int(entry.name)
        return None

    def _answers(self) -> tuple[str | None, bool]:
        """The Bolt version agreed in a handshake (or None) and whether HTTP discovery answers."""
        timeout = self.settings.neo4j_connect_timeout
        bolt = bolt_handshake(host=LISTEN_HOST, port=self.bolt_port, timeout=timeout)
        http = bolt is not None and _http_discovery(url=self.http_url + "/", timeout=timeout) is not None
        return bolt, http

    def _wait_until_ready(self, *, pid: int, started: float) -> None:
        if all(self._answers()):
            return
        timeout = self.settings.neo4j_start_timeout
        deadline = started + timeout
        next_log = started + 15.0
        with _progress(f"Waiting for Neo4j {self.version} (pid {pid}) on {self.bolt_url}") as update:
            while True:
                exit_code = _exit_status(pid)
                if exit_code is not None or not _pid_alive(pid):
                    self.pid_file.unlink(missing_ok=True)
                    code = "" if exit_code is None else f" with code {exit_code}"
                    raise ProvisioningError(
                        "start",
                        f"Neo4j exited{code} during start-up.\n"
                        f"--- {self.console_log}:\n{_tail(self.console_log)}\n"
                        f"--- {self.log_file}:\n{_tail(self.log_file)}\n"
                        f"(details in {self.logs_dir / 'debug.log'})",
                    )
                bolt, http = self._answers()
                if bolt is not None and http:
                    return
                now = time.monotonic()
                if now >= deadline:
                    raise ProvisioningError(
                        "start",
                        f"Neo4j (pid {pid}) did not answer on Bolt port {self.bolt_port} and HTTP port "
                        f"{self.http_port} within {timeout:.0f} s. It is still running; see "
                        f"{self.log_file} or run `tellgraph neo4j stop`.",
                    )
                elapsed = now - started
                update(
                    f"Waiting for Neo4j {self.version} (pid {pid}): Bolt {'up' if bolt else 'down'}, "
                    f"HTTP {'up' if http else 'down'}, {elapsed:.0f} s"
                )
                if now >= next_log:
                    logger.info("Still waiting for Neo4j after %.0f s (log: %s)", elapsed, self.log_file)
                    next_log = now + 15.0
                time.sleep(0.5)

    def start(self) -> StartResult:
        """Start the server unless it already runs, and wait until Bolt and HTTP answer.

        Idempotent: when this home's server already answers, nothing happens.

        Raises:
            ProvisioningError: Java/Maven missing, a port is taken by another
                process, the server died during start-up or did not answer in
                ``neo4j_start_timeout`` seconds.
            ConfigError: the heap, page cache or password setting is unusable.
        """
        started = time.monotonic()
        self.provision()
        java = self._require_java()
        self._ensure_home()
        with _locked(self.run_dir / "tellgraph.lock"):
            pid = self.running_pid()
            if pid is not None:
                # Running already, possibly still starting (a concurrent `start`).
                self.pid_file.write_text(f"{pid}\n")  # restores a pid file deleted by hand
                if self._config_changed():
                    logger.warning(
                        "Neo4j (pid %d) runs with older settings than the current ones; "
                        "run `tellgraph neo4j stop` and start it again to apply them",
                        pid,
                    )
                self._wait_until_ready(pid=pid, started=started)
                logger.info("Neo4j is already running (pid %d) at %s", pid, self.bolt_url)
                return self._result(already_running=True, pid=pid, started=started)
            self.pid_file.unlink(missing_ok=True)
            for protocol, port, setting in (
                ("Bolt", self.bolt_port, "TELLGRAPH_NEO4J_BOLT_PORT"),
                ("HTTP", self.http_port, "TELLGRAPH_NEO4J_HTTP_PORT"),
            ):
                if not port_is_free(host=LISTEN_HOST, port=port):
                    raise ProvisioningError(
                        "start",
                        f"port {port} ({protocol}) on {LISTEN_HOST} is already in use by another process; "
                        f"stop that process or set {setting} to a free port",
                    )
            self._write_config()
            if self._first_start():
                self._set_initial_password(java)
            with self.console_log.open("a") as console:
                console.write(f"=== tellgraph: starting Neo4j {self.version} at {datetime.now(UTC).isoformat()}\n")
            pid = _spawn_detached(self._jvm_command(java), log_file=self.console_log)
            self.pid_file.write_text(f"{pid}\n")
            logger.info("Launched Neo4j %s (pid %d), home %s", self.version, pid, self.home)
            self._wait_until_ready(pid=pid, started=started)
        result = self._result(already_running=False, pid=pid, started=started)
        logger.info("%s", result.message)
        return result

    def _result(self, *, already_running: bool, pid: int, started: float) -> StartResult:
        return StartResult(
            already_running=already_running,
            pid=pid,
            seconds=time.monotonic() - started,
            version=self.version,
            bolt_url=self.bolt_url,
            http_url=self.http_url,
            browser_url=self.browser_url,
        )

    def stop(self, *, timeout: float = DEFAULT_STOP_TIMEOUT) -> bool:
        """Stop the server: SIGTERM, up to ``timeout`` seconds for a clean shutdown, then SIGKILL.

        Returns:
            True if a server was stopped, False if none was running.
        """
        if not self.home.exists():
            return False
        with _locked(self.run_dir / "tellgraph.lock"):
            pid = self.running_pid()
            if pid is None:
                self.pid_file.unlink(missing_ok=True)
                return False
            with _progress(f"Stopping Neo4j (pid {pid})"):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGTERM)
                if not self._wait_for_exit(pid, timeout=timeout):
                    logger.warning("Neo4j (pid %d) did not stop within %.0f s; killing it", pid, timeout)
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                    if not self._wait_for_exit(pid, timeout=10.0):
                        raise ProvisioningError("stop", f"Neo4j (pid {pid}) survived SIGKILL")
            self.pid_file.unlink(missing_ok=True)
        logger.info("Neo4j stopped")
        return True

    @staticmethod
    def _wait_for_exit(pid: int, *, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while _pid_alive(pid):
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.2)
        return True

    def status(self) -> Status:
        """Whether the server runs and answers, and where its files are."""
        pid = self.running_pid()
        timeout = self.settings.neo4j_connect_timeout
        protocol = bolt_handshake(host=LISTEN_HOST, port=self.bolt_port, timeout=timeout)
        discovery = _http_discovery(url=self.http_url + "/", timeout=timeout)
        server_version = discovery.get("neo4j_version") if discovery else None
        return Status(
            running=pid is not None,
            pid=pid,
            version=self.version,
            server_version=server_version if isinstance(server_version, str) else None,
            bolt_url=self.bolt_url,
            http_url=self.http_url,
            browser_url=self.browser_url,
            bolt_ready=protocol is not None,
            bolt_protocol=protocol,
            http_ready=discovery is not None,
            provisioned=self.is_provisioned(),
            home=self.home,
            data_dir=self.data_dir,
            lib_dir=self.lib_dir,
            log_file=self.log_file,
            console_log=self.console_log,
        )
