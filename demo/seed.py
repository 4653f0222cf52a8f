"""A small demo data set so a fresh installation is not empty."""

import tempfile
from pathlib import Path

from bronze.queue import discover_files
from demo import samples
from medallion.errors import ApiError
from medallion.warehouse import warehouse
from tpa.services import create_tpa

DEMO_ROWS = 200


async def load_demo_data(rows: int = DEMO_ROWS) -> int:
    """Create the demo TPAs and queue their sample files, unless files were ever queued; returns files queued."""
    if await warehouse().fetch_value("SELECT COUNT(*) AS N FROM BRONZE.FILE_PROCESSING_QUEUE"):
        return 0
    for layout in samples.DEMO_LAYOUTS:
        try:
            await create_tpa(layout.tpa_code, layout.name, "Demo TPA with generated sample files", user="demo")
        except ApiError:
            continue
    with tempfile.TemporaryDirectory() as scratch:
        for tpa, path in samples.write_demo_set(Path(scratch), rows=rows):
            await warehouse().stage_put(path, "SRC", f"{tpa}/{path.name}")
    return await discover_files(user="demo")
