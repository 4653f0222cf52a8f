from pathlib import Path

import fakesnow
import pytest

from medallion.warehouse import DelimitedSource, DocumentSource, Warehouse
from medallion.warehouse.backends.snowflake import SnowflakeBackend, connect_options_from_url


def test_connect_options_from_url():
    options = connect_options_from_url(
        "snowflake://loader:p%40ss@acme-xy12345/ANALYTICS?warehouse=LOAD_WH&role=LOADER&schema=PUBLIC",
        statement_timeout=90,
    )
    assert options["user"] == "loader" and options["password"] == "p@ss"
    assert options["account"] == "acme-xy12345" and options["database"] == "ANALYTICS"
    assert options["warehouse"] == "LOAD_WH" and options["role"] == "LOADER" and options["paramstyle"] == "qmark"
    assert options["session_parameters"]["STATEMENT_TIMEOUT_IN_SECONDS"] == 90
    key_pair = connect_options_from_url("snowflake://svc@acct/DB?private_key_file=/k.p8&authenticator=SNOWFLAKE_JWT")
    assert key_pair["private_key_file"] == "/k.p8" and "password" not in key_pair
    named = connect_options_from_url("snowflake:///?connection_name=prod")
    assert named["connection_name"] == "prod" and "account" not in named


class RecordingConnection:
    """Stands in for a Snowflake connection where no emulator runs the statement (PUT, COPY, REMOVE)."""

    def __init__(self, rows=()):
        self.statements: list[tuple[str, object]] = []
        self.rows = list(rows)
        self.session_id = 4242

    def cursor(self):
        return self

    def execute(self, sql, params=None):
        self.statements.append((sql, params))
        return self

    def fetchall(self):
        return self.rows

    description = None
    rowcount = 0


def test_stage_and_copy_statements():
    backend = SnowflakeBackend({"database": "MEDALLION"}, "MEDALLION")
    raw = RecordingConnection()
    backend.stage_put(raw, Path("/tmp/x/claims.csv"), "SRC", "ACME/claims.csv")
    backend.stage_remove(raw, "ERROR", "ACME/it's.csv")
    source = DelimitedSource(["Claim ID", "Paid"], "|", "latin-1", {'"TPA"': "ACME", '"QUEUE_ID"': 7})
    backend.load_staged_as_json(
        raw, '"BRONZE"."RAW_DATA_TABLE"', "SRC", "ACME/claims.csv", source, '"RAW_DATA"', '"FILE_ROW_NUMBER"'
    )
    backend.cancel(raw)
    put, remove, copy, cancel = (sql for sql, _ in raw.statements)
    assert put == "PUT 'file:///tmp/x/claims.csv' '@MEDALLION.OPS.SRC/ACME' AUTO_COMPRESS = FALSE OVERWRITE = TRUE"
    assert remove == "REMOVE '@MEDALLION.OPS.ERROR/ACME/it\\'s.csv'"
    assert copy.startswith(
        'COPY INTO "BRONZE"."RAW_DATA_TABLE" ("RAW_DATA", "FILE_ROW_NUMBER", "TPA", "QUEUE_ID") FROM '
        "(SELECT OBJECT_CONSTRUCT_KEEP_NULL('Claim ID', $1::VARCHAR, 'Paid', $2::VARCHAR), "
        "METADATA$FILE_ROW_NUMBER - 1, 'ACME', 7 FROM @MEDALLION.OPS.SRC/ACME/claims.csv)"
    )
    assert "FIELD_DELIMITER = '|'" in copy and "ENCODING = 'ISO-8859-1'" in copy and "SKIP_HEADER = 1" in copy
    assert cancel == "SELECT SYSTEM$CANCEL_ALL_QUERIES(?)" and raw.statements[-1][1] == (4242,)


@pytest.mark.parametrize(
    ("document_format", "file_format"),
    [("PARQUET", "TYPE = PARQUET"), ("JSON", "TYPE = JSON STRIP_OUTER_ARRAY = TRUE"), ("NDJSON", "TYPE = JSON")],
)
def test_documents_are_copied_by_snowflake_itself(document_format, file_format):
    backend = SnowflakeBackend({"database": "MEDALLION"}, "MEDALLION")
    raw = RecordingConnection()
    source = DocumentSource(document_format, {'"TPA"': "ACME", '"QUEUE_ID"': 7})
    backend.load_staged_as_json(
        raw, '"BRONZE"."RAW_DATA_TABLE"', "SRC", "ACME/claims.x", source, '"RAW_DATA"', '"FILE_ROW_NUMBER"'
    )
    assert raw.statements == [(
        'COPY INTO "BRONZE"."RAW_DATA_TABLE" ("RAW_DATA", "FILE_ROW_NUMBER", "TPA", "QUEUE_ID") FROM '
        "(SELECT $1, METADATA$FILE_ROW_NUMBER, 'ACME', 7 FROM @MEDALLION.OPS.SRC/ACME/claims.x) "
        f"FILE_FORMAT = ({file_format}) ON_ERROR = ABORT_STATEMENT FORCE = TRUE",
        None,
    )]  # fmt: skip


@pytest.fixture
def patched_snowflake(tmp_path):
    with fakesnow.patch(db_path=str(tmp_path)):
        backend = SnowflakeBackend(
            {
                "account": "fake",
                "user": "u",
                "password": "p",
                "database": "SFDB",
                "schema": "PUBLIC",
                "paramstyle": "qmark",
            },
            "SFDB",
        )
        wh = Warehouse(backend, pool_size=2, acquire_timeout=2, statement_timeout=10, max_connection_age=60)
        yield wh
        wh.close()


async def test_real_connector_code_path_through_the_door(patched_snowflake):
    wh = patched_snowflake
    await wh.execute("CREATE SCHEMA IF NOT EXISTS SFDB.S")
    await wh.execute("CREATE TABLE SFDB.S.T (ID INTEGER, RAW VARIANT)")
    async with wh.transaction() as tx:
        await tx.execute("INSERT INTO SFDB.S.T SELECT ?, PARSE_JSON(?)", (1, '{"a": "x"}'))
    assert await wh.fetch_all("SELECT ID, RAW:a::VARCHAR AS A FROM SFDB.S.T") == [{"ID": 1, "A": "x"}]
    inserted = await wh.insert_rows("SFDB.S.T", ["ID"], [(2,), (3,)])
    assert inserted == 2 and await wh.fetch_value("SELECT COUNT(*) FROM SFDB.S.T") == 3
    assert wh.info.kind == "snowflake"
