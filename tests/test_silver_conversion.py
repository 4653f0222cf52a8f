import datetime
from decimal import Decimal

import pytest

from medallion.warehouse import warehouse
from silver.transform_sql import converted
from tpa.conversions import Conversions

pytestmark = pytest.mark.pure


@pytest.mark.parametrize(
    ("value", "data_type", "expected"),
    [
        ("2024-01-15", "DATE", datetime.date(2024, 1, 15)),
        ("01/15/2024", "DATE", datetime.date(2024, 1, 15)),
        ("1/5/2024", "DATE", datetime.date(2024, 1, 5)),
        ("20240115", "DATE", datetime.date(2024, 1, 15)),
        ("15-Jan-2024", "DATE", datetime.date(2024, 1, 15)),
        ("2024-01-15T10:20:30", "DATE", datetime.date(2024, 1, 15)),
        ("2024-02-30", "DATE", None),
        ("soon", "DATE", None),
        ("$1,234.50", "NUMBER(18,2)", Decimal("1234.50")),
        ("-$3.10", "NUMBER(18,2)", Decimal("-3.10")),
        ("1,5", "NUMBER(18,2)", None),
        ("12,34", "NUMBER(18,2)", None),
        ("7", "NUMBER(10,0)", Decimal("7")),
        ("01/15/2024 10:20:30", "TIMESTAMP_NTZ", datetime.datetime(2024, 1, 15, 10, 20, 30)),
        ("00123", "VARCHAR(10)", "00123"),
    ],
)
async def test_lenient_conversion(value, data_type, expected):
    sql = f"SELECT {converted('V', data_type)} AS RESULT FROM (SELECT CAST(? AS VARCHAR) AS V)"
    assert await warehouse().fetch_value(sql, (value,)) == expected


async def test_compact_timestamps_convert():
    sql = f"SELECT {converted('V', 'TIMESTAMP_NTZ')} AS RESULT FROM (SELECT CAST(? AS VARCHAR) AS V)"
    assert await warehouse().fetch_value(sql, ("20260101 16:22:40",)) == datetime.datetime(2026, 1, 1, 16, 22, 40)
    assert await warehouse().fetch_value(sql, ("not a time",)) is None


@pytest.mark.parametrize(
    ("value", "data_type", "settings", "expected"),
    [
        ("31/01/2024", "DATE", {"date_order": "DMY"}, datetime.date(2024, 1, 31)),
        ("01/02/2024", "DATE", {"date_order": "DMY"}, datetime.date(2024, 2, 1)),
        ("01/02/2024", "DATE", {}, datetime.date(2024, 1, 2)),
        ("31.01.2024", "DATE", {"date_order": "DMY"}, datetime.date(2024, 1, 31)),
        ("31/01/2024", "DATE", {}, None),
        ("31/01/2024 08:15:00", "TIMESTAMP_NTZ", {"date_order": "DMY"}, datetime.datetime(2024, 1, 31, 8, 15)),
        ("1.234,56", "NUMBER(18,2)", {"decimal_comma": True}, Decimal("1234.56")),
        ("$12,5", "NUMBER(18,2)", {"decimal_comma": True}, Decimal("12.50")),
        ("1.234,56", "NUMBER(18,2)", {}, None),
        ("(100.00)", "NUMBER(18,2)", {"accounting_negatives": True}, Decimal("-100.00")),
        ("($1,234.50)", "NUMBER(18,2)", {"accounting_negatives": True}, Decimal("-1234.50")),
        ("(1.234,50)", "NUMBER(18,2)", {"accounting_negatives": True, "decimal_comma": True}, Decimal("-1234.50")),
        ("(100.00)", "NUMBER(18,2)", {}, None),
    ],
)
async def test_conversion_by_the_tpa_settings(value, data_type, settings, expected):
    sql = f"SELECT {converted('V', data_type, Conversions(**settings))} AS RESULT FROM (SELECT CAST(? AS VARCHAR) AS V)"
    assert await warehouse().fetch_value(sql, (value,)) == expected
