import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandParser

from demo import sample_formats, samples

FORMATS = ("csv", "xlsx", "parquet", "json", "ndjson", "fixed", "837p", "837i")


class Command(BaseCommand):
    help = "Write realistic claims and eligibility files for the demo TPAs (each TPA with its own headers)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", type=Path, required=True)
        parser.add_argument("--rows", type=int, default=1000)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--format", choices=FORMATS, help="Every file in this format (default: demo mix)")

    def handle(self, *args: object, out: Path, rows: int, seed: int, format: str | None, **options: object) -> None:
        out.mkdir(parents=True, exist_ok=True)
        if format is None:
            written = [path for _, path in samples.write_demo_set(out, rows=rows, seed=seed)]
        else:
            kinds = ("MEDICAL",) if format.startswith("837") else samples.CLAIM_KINDS
            written = [self._write(out, layout, kind, rows, seed, format) for layout in samples.DEMO_LAYOUTS
                       for kind in kinds]  # fmt: skip
        for path in written:
            self.stdout.write(str(path))

    def _write(self, out: Path, layout: samples.TpaLayout, kind: str, rows: int, seed: int, format: str) -> Path:
        folder = out / layout.tpa_code
        folder.mkdir(exist_ok=True)
        stem = f"{kind.lower()}-{rows}"
        if format == "xlsx":
            return samples.write_xlsx(folder / f"{stem}.xlsx", layout, kind, rows, seed=seed)
        if format == "parquet":
            return sample_formats.write_parquet(folder / f"{stem}.parquet", layout, kind, rows, seed=seed)
        if format in ("json", "ndjson"):
            path = folder / f"{stem}.{format}"
            return sample_formats.write_json(path, layout, kind, rows, seed=seed, lines=format == "ndjson")
        if format == "fixed":
            path = folder / f"{stem}.dat"
            stored = sample_formats.write_fixed_width(path, layout, kind, rows, seed=seed)
            path.with_suffix(".layout.json").write_text(json.dumps(stored, indent=2))
            return path
        if format.startswith("837"):
            institutional = format == "837i"
            return sample_formats.write_837(folder / f"{stem}-{format}.837", layout, rows, seed=seed,
                                            institutional=institutional)  # fmt: skip
        suffix = ".csv" if layout.delimiter == "," else ".txt"
        return samples.write_csv(folder / f"{stem}{suffix}", layout, kind, rows, seed=seed)
