"""Shared helpers for the Bronze tests (multipart bodies, queue look-ups, workbook builders)."""

import io
import uuid
import zipfile
from typing import Any

import xlsxwriter

from bronze import processing
from medallion.warehouse import warehouse


def multipart(fields: dict[str, str], files: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    boundary = f"----bronze{uuid.uuid4().hex}"
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for field, file_name, content in files:
        header = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{file_name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        )
        parts.append(header.encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


async def upload(client: Any, tpa: str, name: str, content: bytes, **headers: str) -> Any:
    body, content_type = multipart({"tpa": tpa}, [("file", name, content)])
    return await client.post("/api/bronze/upload", body, content_type=content_type, **headers)


async def entry(tpa: str, name: str) -> dict[str, Any] | None:
    return await warehouse().fetch_one(
        "SELECT * FROM BRONZE.FILE_PROCESSING_QUEUE WHERE FILE_NAME = ? ORDER BY QUEUE_ID DESC LIMIT 1",
        (f"{tpa}/{name}",),
    )


async def records(tpa: str, name: str) -> list[dict[str, Any]]:
    import json

    rows = await warehouse().fetch_all(
        "SELECT SHEET_NAME, FILE_ROW_NUMBER, RAW_DATA, FILE_TYPE, LOADED_BY, CONTENT_HASH FROM BRONZE.RAW_DATA_TABLE "
        "WHERE TPA = ? AND FILE_NAME = ? ORDER BY SHEET_NAME, FILE_ROW_NUMBER",
        (tpa, name),
    )
    for row in rows:
        row["RAW_DATA"] = json.loads(row["RAW_DATA"])
    return rows


async def staged(stage: str, tpa: str) -> list[str]:
    return [f.name for f in await warehouse().stage_list(stage, f"{tpa}/")]


async def upload_and_process(client: Any, tpa: str, name: str, content: bytes) -> dict[str, Any]:
    response = await upload(client, tpa, name, content)
    assert response.status_code == 201, response.content
    await processing.process_all_pending()
    row = await entry(tpa, name)
    assert row is not None
    return row


def two_sheet_workbook() -> bytes:
    import datetime as dt

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    claims = workbook.add_worksheet("Claims")
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    claims.write_row(0, 0, ["Claim ID", "Service Date", "Billed", "Zip", "Total"])
    claims.write_string(1, 0, "C001")
    claims.write_datetime(1, 1, dt.datetime(2024, 3, 1), date_format)
    claims.write_number(1, 2, 125.5)
    claims.write_string(1, 3, "01234")
    claims.write_formula(1, 4, "=C2*2", None, 251)
    claims.write_string(2, 0, "C002")
    claims.write_number(2, 2, 10)
    members = workbook.add_worksheet("Members")
    members.write_row(0, 0, ["Member", "Plan"])
    members.write_row(1, 0, ["M1", "PPO"])
    workbook.add_worksheet("Empty")
    workbook.close()
    return buffer.getvalue()


def zip_bomb_workbook() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (40 * 1024 * 1024))
    return buffer.getvalue()
