"""Live processes for end-to-end tests: `manage.py serve`, `run_worker` or uvicorn in subprocesses, each with
a DATA_DIR of its own (only one process may open an embedded warehouse file)."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.server import wait_until_healthy

BASE_DIR = Path(__file__).resolve().parent.parent
MANAGE = [sys.executable, str(BASE_DIR / "manage.py")]
STARTUP_SECONDS = 90.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def process_env(data_dir: Path, **overrides: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST", "DJANGO_"))}
    for name in ("WAREHOUSE_URL", "DATABASE_URL", "CACHE_URL"):
        env.pop(name, None)
    env.update(
        DJANGO_SETTINGS_MODULE="medallion.settings",
        ENV_FILE=os.devnull,
        SECRET_KEY="e2e-secret-key-not-for-production",
        DEBUG="false",
        DATA_DIR=str(data_dir),
        WORKER_POLL_SECONDS="0.2",
        PYTHONUNBUFFERED="1",
    )
    env.update(overrides)
    return env


@dataclass
class Site:
    """A DATA_DIR with its Django database migrated; processes started from it share its files."""

    data_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="medallion-e2e-")))
    overrides: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.manage("migrate", "--noinput")

    @property
    def env(self) -> dict[str, str]:
        return process_env(self.data_dir, **self.overrides)

    def manage(self, *args: str, timeout: float = 300.0, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [*MANAGE, *args], env=self.env, cwd=BASE_DIR, capture_output=True, text=True, timeout=timeout
        )
        if check and result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def shell(self, code: str, timeout: float = 300.0) -> str:
        """Run Python in `manage.py shell` (for setup and assertions while no other process holds the warehouse)."""
        return self.manage("shell", "-c", code, timeout=timeout).stdout

    def remove(self) -> None:
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def token(self, username: str, role: str) -> str:
        return self.manage("createapitoken", username, "--role", role).stdout.strip()

    def user(self, username: str, role: str, password: str) -> None:
        self.shell(
            "from django.contrib.auth import get_user_model\n"
            "from django.contrib.auth.models import Group\n"
            f"user, _ = get_user_model().objects.get_or_create(username={username!r})\n"
            f"user.set_password({password!r}); user.save()\n"
            f"user.groups.set([Group.objects.get_or_create(name={role!r})[0]])\n"
        )

    def spawn(self, *args: str, log_name: str) -> "Process":
        log_path = self.data_dir / log_name
        handle = log_path.open("ab")
        popen = subprocess.Popen(
            args, env=self.env, cwd=BASE_DIR, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
        )
        handle.close()
        return Process(popen, log_path)

    def serve(self, *extra: str) -> "Server":
        port = free_port()
        process = self.spawn(*MANAGE, "serve", "--host", "127.0.0.1", "--port", str(port), *extra, log_name="serve.log")
        server = Server(process.popen, process.log_path, f"http://127.0.0.1:{port}")
        server.wait_ready()
        return server

    def uvicorn(self) -> "Server":
        port = free_port()
        args = [sys.executable, "-m", "uvicorn", "medallion.asgi:application", "--host", "127.0.0.1"]
        process = self.spawn(*args, "--port", str(port), "--log-level", "warning", log_name=f"uvicorn-{port}.log")
        server = Server(process.popen, process.log_path, f"http://127.0.0.1:{port}")
        server.wait_ready()
        return server


@dataclass
class Process:
    popen: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=30)

    def stop(self, timeout: float = 30.0) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class Server(Process):
    url: str = ""

    def wait_ready(self) -> None:
        try:
            wait_until_healthy(self.url, self.popen, STARTUP_SECONDS, self.log)
        except TimeoutError:
            self.kill()
            raise

    def client(self, token: str | None = None, timeout: float = 60.0) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=timeout)

    def async_client(self, token: str | None = None, timeout: float = 60.0, **options: object) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.AsyncClient(base_url=self.url, headers=headers, timeout=timeout, **options)

    def status(self) -> dict[str, int]:
        """VmRSS (kB) and thread count of the server process."""
        fields = {}
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in ("VmRSS", "Threads"):
                fields[name] = int(value.split()[0])
        return fields


def wait_for(predicate, timeout: float = 60.0, interval: float = 0.25, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {message}")


def multipart(fields: dict[str, str], file_name: str, content: bytes) -> tuple[bytes, str]:
    """A multipart/form-data body with the file name exactly as given (test clients sanitize or refuse odd names)."""
    boundary = "medallionTestBoundary7MA4YWxkTrZu0gW"
    escaped = file_name.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode("utf-8", "replace")
        for name, value in fields.items()
    ]
    header = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{escaped}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    )
    body = b"".join(parts) + header.encode("utf-8", "replace") + content + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"
