"""The statements the bench endpoints run, importable without Django (the raw baseline app uses them too)."""

from tpa.services import TPA_COLUMNS

# The statement `tpa.services.list_tpas` runs when called without a filter.
TPA_QUERY = f"SELECT {TPA_COLUMNS} FROM BRONZE.TPA_MASTER ORDER BY ACTIVE DESC, CREATED_TIMESTAMP DESC, TPA_CODE"
SEEDED_TPAS = 10


def seeded_tpa(number: int) -> tuple[str, str]:
    return f"BENCH_{number:02d}", f"Benchmark TPA {number}"
