"""Statement shapes: the distinct statements the app sends, literals, quoted names and value lists folded.

Keep the logs of a run with `STATEMENT_LOG_DIR=/some/dir pytest ...` (the emulator's `wire.jsonl`, and
`embedded.jsonl` of the statements the embedded backend ran), then
`python -m tests.snowflake_emulator.shapes /some/dir` prints the counts and the shapes only the embedded
engine ran.
"""

import json
import re
import sys
from pathlib import Path

_FOLDS = (
    (re.compile(r"'(?:[^'\\]|\\.|'')*'"), "'…'"),  # string literals, stage paths and file URLs among them
    (re.compile(r'"[^"]*"'), '"…"'),  # quoted names: per-TPA tables, scratch tables, source field names
    (re.compile(r"\b\d+(?:\.\d+)?\b"), "N"),  # numbers: inlined LIMIT/OFFSET, timeouts, constants
    (re.compile(r"\s+"), " "),
    (re.compile(r"\((?:\s*\?\s*,)*\s*\?\s*\)(?:\s*,\s*\((?:\s*\?\s*,)*\s*\?\s*\))+"), "(?…)"),  # VALUES rows
    (re.compile(r"\?(?:\s*,\s*\?)+"), "?…"),  # bound lists
    (re.compile(r"_[0-9A-F]{32}\b"), "_…"),  # generated scratch names
)


def shape(sql: str) -> str:
    text = sql.strip().rstrip(";")
    for pattern, replacement in _FOLDS:
        text = pattern.sub(replacement, text)
    return text.strip()


def shapes(log: Path) -> set[str]:
    if not log.exists():
        return set()
    return {shape(json.loads(line)["sql"]) for line in log.read_text().splitlines() if line.strip()}


def main(directory: Path) -> None:
    wire, embedded = shapes(directory / "wire.jsonl"), shapes(directory / "embedded.jsonl")
    print(f"statement shapes sent over the wire: {len(wire)}")
    print(f"statement shapes the embedded backend ran: {len(embedded)}")
    only_embedded = sorted(embedded - wire)
    print(f"only on the embedded engine: {len(only_embedded)}")
    for text in only_embedded:
        print(f"  {text[:300]}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
