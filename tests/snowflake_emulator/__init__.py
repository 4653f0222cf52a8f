"""A local Snowflake for the test suite: fakesnow's server with stand-ins, in a process of its own."""

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.e2e_support import BASE_DIR, free_port

STARTUP_SECONDS = 60.0


def _statement_log() -> Path:
    """The emulator's statement log: kept under STATEMENT_LOG_DIR when set (see shapes.py), else temporary."""
    if kept := os.environ.get("STATEMENT_LOG_DIR"):
        Path(kept).mkdir(parents=True, exist_ok=True)
        return Path(kept) / "wire.jsonl"
    return Path(tempfile.mkstemp(prefix="snowflake-statements-", suffix=".jsonl")[1])


@dataclass
class Emulator:
    port: int = field(default_factory=free_port)
    statement_log: Path = field(default_factory=_statement_log)
    process: subprocess.Popen[bytes] | None = None
    migrated: bool = False

    def url(self, database: str = "MEDALLION", **query: str) -> str:
        options = {"host": "127.0.0.1", "port": str(self.port), "protocol": "http", "schema": "PUBLIC", **query}
        return f"snowflake://fake:snow@fakesnow/{database}?" + "&".join(f"{k}={v}" for k, v in options.items())

    def start(self) -> "Emulator":
        env = {**os.environ, "SNOWFLAKE_DISABLE_PLATFORM_DETECTION": "true"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.snowflake_emulator", str(self.port), str(self.statement_log)],
            cwd=BASE_DIR,
            env=env,
            stdout=self.statement_log.with_suffix(".log").open("wb"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("The Snowflake emulator exited during startup")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("The Snowflake emulator did not start")

    def freeze(self) -> None:
        """An outage: the server stops answering (connections hang) until `thaw`."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
            self.process = None
        if not os.environ.get("STATEMENT_LOG_DIR"):
            self.statement_log.unlink(missing_ok=True)
        self.statement_log.with_suffix(".log").unlink(missing_ok=True)

    def statements(self) -> list[dict[str, Any]]:
        """Every statement received so far: {"session": id, "sql": text}."""
        return [json.loads(line) for line in self.statement_log.read_text().splitlines()]

    def logins(self) -> list[dict[str, Any]]:
        return httpx.get(f"http://127.0.0.1:{self.port}/_emulator/logins", timeout=10).json()

    def expire_sessions(self) -> None:
        httpx.post(f"http://127.0.0.1:{self.port}/_emulator/expire-sessions", timeout=10).raise_for_status()
