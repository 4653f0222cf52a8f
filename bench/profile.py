"""Where a server's CPU goes: py-spy samples of the threads holding the GIL, as the top functions by own time."""

import contextlib
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SAMPLES_PER_SECOND = 200
TOP = 10
FRAME = re.compile(r"^(?P<function>.+?) \((?P<file>[^()]*?)(?::\d+)?\)$")
LIBRARY = re.compile(r"^.*/(site-packages|lib/python3\.\d+)/")
ROOT = Path(__file__).resolve().parent.parent


def executable() -> str | None:
    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.exists() else shutil.which("py-spy")


def available() -> bool:
    return executable() is not None


@dataclass
class Samples:
    collapsed: str = ""


@contextlib.contextmanager
def recording(pid: int) -> Iterator[Samples]:
    """py-spy on `pid` while the block runs; afterwards `collapsed` holds the samples (py-spy's raw format)."""
    samples = Samples()
    with tempfile.TemporaryDirectory(prefix="medallion-profile-") as folder:
        output = Path(folder) / "samples.txt"
        command = [str(executable()), "record", "--pid", str(pid), "--format", "raw", "--gil", "--function"]
        command += ["--nonblocking", "--rate", str(SAMPLES_PER_SECOND), "--output", str(output)]
        spy = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            yield samples
        finally:
            spy.send_signal(signal.SIGINT)
            try:
                spy.wait(30)
            except subprocess.TimeoutExpired:
                spy.kill()
                spy.wait()
        samples.collapsed = output.read_text() if output.exists() else ""


def top(collapsed: str, count: int = TOP) -> list[dict[str, Any]]:
    """The functions the GIL-holding samples were in (own time), with their share of all those samples."""
    own: Counter[str] = Counter()
    for line in collapsed.splitlines():
        stack, _, weight = line.rpartition(" ")
        if not stack or not weight.isdigit():
            continue
        own[_function(stack.rsplit(";", 1)[-1])] += int(weight)
    total = sum(own.values())
    return [
        {"function": function, "share": round(samples / total, 3), "samples": samples}
        for function, samples in own.most_common(count)
    ]


def _function(frame: str) -> str:
    match = FRAME.match(frame.strip())
    if match is None:
        return frame.strip()
    path = LIBRARY.sub("", match["file"]).removeprefix(f"{ROOT}/")
    return f"{match['function']} ({path})"
