"""The real app as a separate server process (`manage.py serve`, web and worker, embedded warehouse)."""

import os
import secrets
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT = 120.0
STOP_TIMEOUT = 20.0
ISOLATED_VARIABLES = ("WAREHOUSE_URL", "DATABASE_URL", "CACHE_URL", "WAREHOUSE_STAGE_DIR", "UPLOAD_TEMP_DIR")


@dataclass(frozen=True)
class ServerSpec:
    pool_size: int = 16
    latency_ms: float = 100.0
    acquire_timeout: float = 5.0
    upload_max_bytes: int = 100 * 1024 * 1024
    memory_limit: str | None = None  # WAREHOUSE_MEMORY_LIMIT; None: the app's default


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class AppServer:
    """One `serve` process on a free loopback port; every server of a run shares one data directory."""

    def __init__(self, data_dir: Path, spec: ServerSpec, secret_key: str) -> None:
        self.data_dir = data_dir
        self.spec = spec
        self.secret_key = secret_key
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir / f"server-{self.port}.log"

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("WAREHOUSE_") and k not in ISOLATED_VARIABLES}
        env.update(
            DJANGO_SETTINGS_MODULE="bench.settings",
            ENV_FILE=os.devnull,
            DEBUG="false",
            SECRET_KEY=self.secret_key,
            DATA_DIR=str(self.data_dir),
            LOG_LEVEL="WARNING",
            WAREHOUSE_INJECT_LATENCY_MS=str(self.spec.latency_ms),
            WAREHOUSE_POOL_SIZE=str(self.spec.pool_size),
            WAREHOUSE_ACQUIRE_TIMEOUT=str(self.spec.acquire_timeout),
            UPLOAD_MAX_BYTES=str(self.spec.upload_max_bytes),
            PYTHONUNBUFFERED="1",
        )
        if self.spec.memory_limit is not None:
            env["WAREHOUSE_MEMORY_LIMIT"] = self.spec.memory_limit
        return env

    def manage(self, *commands: tuple[str, ...]) -> str:
        """Management commands run one after another in one process (one Django start-up); their output."""
        script = "import sys, django; django.setup(); from django.core.management import call_command; "
        script += "; ".join(f"call_command(*{list(command)!r}, stdout=sys.stdout)" for command in commands)
        completed = subprocess.run(
            [sys.executable, "-c", script],
            cwd=ROOT,
            env=self.environment(),
            capture_output=True,
            text=True,
            check=True,
        )
        return completed.stdout.strip()

    def command(self) -> list[str]:
        # The system checks ran once in prepare_data_dir; every server of a run is the same code.
        return [sys.executable, "manage.py", "serve", "--skip-checks", "--host", "127.0.0.1", "--port", str(self.port)]

    def start(self) -> None:
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                self.command(),
                cwd=ROOT,
                env=self.environment(),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_until_healthy(self.base_url, self.process, STARTUP_TIMEOUT, self.log_tail)
        except TimeoutError:
            self.stop()
            raise

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> "AppServer":
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def peak_rss_mb(self) -> float:
        """VmHWM: the most resident memory the process has held since it started."""
        return status_mb(self.pid, "VmHWM")

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class RawServer(AppServer):
    """The near-limit baseline (`bench.raw_app`): Starlette and DuckDB with the same latency and pool size."""

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "bench.raw_app",
            "--port",
            str(self.port),
            "--pool",
            str(self.spec.pool_size),
            "--latency-ms",
            str(self.spec.latency_ms),
        ]


def status_mb(pid: int, field: str) -> float:
    """A memory figure of /proc/<pid>/status (VmRSS, VmHWM) in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def prepare_data_dir(data_dir: Path, secret_key: str) -> str:
    """Create Django's tables and an admin API token in a fresh data directory; returns the token."""
    setup = AppServer(data_dir, ServerSpec(latency_ms=0.0), secret_key)
    commands = [("check",), ("migrate", "--noinput"), ("warehouse_migrate",)]
    commands.append(("createapitoken", "bench", "--role", "admin", "--name", "bench"))
    return setup.manage(*commands).splitlines()[-1]


def new_secret_key() -> str:
    return secrets.token_urlsafe(50)


def wait_until_healthy(
    base_url: str, process: subprocess.Popen[bytes], timeout: float, describe: Callable[[], str]
) -> None:
    """Poll /api/health until it answers 200; fail early when the server process exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"The server exited during start-up with {process.returncode}:\n{describe()}")
        try:
            if httpx.get(f"{base_url}/api/health", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"The server did not answer within {timeout:g} s:\n{describe()}")
