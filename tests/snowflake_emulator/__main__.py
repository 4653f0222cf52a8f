import logging
import sys
from pathlib import Path

import uvicorn

from . import server

if __name__ == "__main__":
    logging.getLogger("fakesnow.server").setLevel(logging.WARNING)
    port = int(sys.argv[1])
    if len(sys.argv) > 2:
        server.statement_log = Path(sys.argv[2])
    uvicorn.run(server.app, host="127.0.0.1", port=port, log_level="warning")
