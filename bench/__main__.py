"""`python -m bench --quick` (under 5 minutes), `--full`, or `--smoke` (under a minute, CI: the harness still works,
the figures mean nothing); writes bench/results/ and the README (never for --smoke)."""

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import pipeline, report, scale
from bench.scenarios import FULL, QUICK, SMOKE, Run, web_scenarios
from bench.server import new_secret_key, prepare_data_dir

RESULTS = Path(__file__).resolve().parent / "results"


def say(line: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {line}", flush=True)


async def run_suite(run: Run, parts: set[str]) -> None:
    if "web" in parts:
        await web_scenarios(run, say)
    if "pipeline" in parts:
        await pipeline.pipeline_scenarios(run, say)
    if "scale" in parts:
        await scale.scale_scenarios(run, say)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--quick", action="store_true", help="short runs, smaller files (default)")
    group.add_argument("--full", action="store_true", help="longer runs, 1,000,000-row files")
    group.add_argument("--smoke", action="store_true", help="every scenario once, tiny; fails when one fails")
    parser.add_argument("--only", choices=("web", "pipeline", "scale"), help="run one part of the suite")
    parser.add_argument("--output", type=Path, help="where latest.md, latest.json and charts go (default: results/)")
    parser.add_argument("--no-readme", action="store_true", help="leave bench/README.md unchanged")
    parser.add_argument("--keep-data", action="store_true", help="keep the run's data directory")
    options = parser.parse_args(argv)

    mode = FULL if options.full else SMOKE if options.smoke else QUICK
    # The reads at 2,000,000 rows take about ten minutes: in full and smoke runs, or asked for with --only scale.
    parts = {options.only} if options.only else {"web", "pipeline", *(() if mode is QUICK else ("scale",))}
    data_dir = Path(tempfile.mkdtemp(prefix="medallion-bench-"))
    started = time.perf_counter()
    say(f"{mode.name} mode, data in {data_dir}")
    try:
        secret_key = new_secret_key()
        run = Run(mode, data_dir, secret_key, prepare_data_dir(data_dir, secret_key))
        asyncio.run(run_suite(run, parts))
    finally:
        if not options.keep_data:
            shutil.rmtree(data_dir, ignore_errors=True)
    run.results["meta"] = {
        "mode": mode.name,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "suite_seconds": round(time.perf_counter() - started, 1),
        "machine": report.machine(),
    }
    output = options.output or (Path(tempfile.mkdtemp(prefix="medallion-smoke-")) if options.smoke else RESULTS)
    output.mkdir(parents=True, exist_ok=True)
    (output / "latest.json").write_text(json.dumps(run.results, indent=2, default=str) + "\n")
    markdown = report.write(run.results, output)
    if not (options.no_readme or options.smoke):
        report.update_readme(markdown)
    say(f"done in {run.results['meta']['suite_seconds']} s: {output / 'latest.md'}")
    failed = [name for name, value in run.results.items() if isinstance(value, dict) and "failed" in value]
    for name in failed:
        say(f"scenario {name} failed: {run.results[name]['failed']}")
    return 1 if options.smoke and failed else 0


if __name__ == "__main__":
    sys.exit(main())
