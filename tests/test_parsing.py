import datetime as dt
import time
import zipfile
from pathlib import Path

import pytest
import xlsxwriter
import xlwt

from bronze.parsing import (
    BadFile,
    DelimitedLayout,
    Record,
    detect_file_type,
    inspect_delimited,
    iter_delimited_records,
    iter_excel_records,
    validate_delimited,
)

pytestmark = pytest.mark.pure

MEBIBYTE = 1 << 20


def write_file(directory: Path, name: str, content: bytes | str) -> Path:
    path = directory / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def delimited_records(path: Path, layout: DelimitedLayout) -> list[Record]:
    return [record for batch in iter_delimited_records(path, layout) for record in batch]


def excel_records(path: Path, **options: int) -> list[tuple[str, Record]]:
    return [(sheet, record) for sheet, batch in iter_excel_records(path, **options) for record in batch]


# --------------------------------------------------------------------------- file type


@pytest.mark.parametrize(
    ("name", "file_type"),
    [
        ("claims.csv", "CSV"),
        ("CLAIMS.TXT", "CSV"),
        ("PROVIDER_A/medical.Csv", "CSV"),
        ("claims.xlsx", "EXCEL"),
        ("claims.XLS", "EXCEL"),
        ("claims.json", "JSON"),
        ("claims.NDJSON", "NDJSON"),
        ("claims.parquet", "PARQUET"),
        ("claims.837", "X12"),
        ("claims.csv.gz", "ARCHIVE"),
        ("claims.zip", "ARCHIVE"),
        ("claims.pdf", "UNKNOWN"),
        ("claims", "UNKNOWN"),
    ],
)
def test_file_type_comes_from_the_extension(name: str, file_type: str) -> None:
    assert detect_file_type(name) == file_type


# --------------------------------------------------------------------------- delimiters and structure


@pytest.mark.parametrize("delimiter", [",", "|", "\t", ";"])
def test_each_delimiter_is_detected(tmp_path: Path, delimiter: str) -> None:
    lines = [["Claim ID", "Member ID", "Billed Amt"], ["C1", "M000123", "10.50"], ["C2", "M000124", "7.25"]]
    path = write_file(tmp_path, "claims.txt", "".join(delimiter.join(line) + "\n" for line in lines))

    layout = inspect_delimited(path)

    assert layout == DelimitedLayout(encoding="utf-8", delimiter=delimiter, headers=lines[0])
    assert validate_delimited(path, layout) == 2
    assert delimited_records(path, layout)[1] == (2, {"Claim ID": "C2", "Member ID": "M000124", "Billed Amt": "7.25"})


def test_commas_inside_values_do_not_beat_the_pipe(tmp_path: Path) -> None:
    path = write_file(tmp_path, "claims.txt", "CLM_NO|PRV_NM|AMT\n1|Smith, John MD|10\n2|Lee, Ann, DO|20\n")

    layout = inspect_delimited(path)

    assert layout.delimiter == "|"
    assert [record["PRV_NM"] for _, record in delimited_records(path, layout)] == ["Smith, John MD", "Lee, Ann, DO"]


def test_semicolon_file_with_decimal_commas(tmp_path: Path) -> None:
    path = write_file(tmp_path, "claims.csv", "name;amount;quantity\nA;1,50;2\nB;2,00;3\n")

    layout = inspect_delimited(path)

    assert layout.delimiter == ";"
    assert delimited_records(path, layout)[0] == (1, {"name": "A", "amount": "1,50", "quantity": "2"})


def test_quoted_delimiter_in_header_is_respected(tmp_path: Path) -> None:
    path = write_file(tmp_path, "claims.csv", '"Amount, USD",Member\n1,M1\n')

    assert inspect_delimited(path).headers == ["Amount, USD", "Member"]


def test_quoted_fields_with_embedded_newlines_and_crlf(tmp_path: Path) -> None:
    content = b'id,note,amount\r\n1,"first line\r\nsecond line",10.00\r\n2,"say ""hi""",5\r\n'
    path = write_file(tmp_path, "notes.csv", content)

    layout = inspect_delimited(path)

    assert validate_delimited(path, layout) == 2
    assert delimited_records(path, layout) == [
        (1, {"id": "1", "note": "first line\r\nsecond line", "amount": "10.00"}),
        (2, {"id": "2", "note": 'say "hi"', "amount": "5"}),
    ]


def test_old_mac_line_endings(tmp_path: Path) -> None:
    path = write_file(tmp_path, "claims.csv", b"a,b\r1,2\r3,4\r")

    layout = inspect_delimited(path)

    assert validate_delimited(path, layout) == 2
    write_file(tmp_path, "claims.csv", b"a,b\r1,2\r3,4,5\r")
    with pytest.raises(BadFile, match=r"^Line 3 has 3 fields"):
        validate_delimited(path, layout)


def test_crlf_split_across_read_chunks_is_one_line_end(tmp_path: Path) -> None:
    # The reader works in 1 MiB chunks; put a \r at the end of the first one.
    filler = "x" * (MEBIBYTE - len("a,b\r\n") - len("1,") - 1)
    path = write_file(tmp_path, "claims.csv", f"a,b\r\n1,{filler}\r\n2,y\r\n3,z,extra\r\n")

    layout = inspect_delimited(path)

    with pytest.raises(BadFile, match=r"^Line 4 has 3 fields; the header has 2$"):
        validate_delimited(path, layout)


def test_blank_lines_are_not_rows(tmp_path: Path) -> None:
    path = write_file(tmp_path, "claims.csv", "\na,b\n\n1,2\n   \n3,4\n,\n\n")

    layout = inspect_delimited(path)

    assert layout.headers == ["a", "b"]
    assert validate_delimited(path, layout) == 2
    assert [number for number, _ in delimited_records(path, layout)] == [1, 2]


def test_leading_zeros_stay_text(tmp_path: Path) -> None:
    path = write_file(tmp_path, "members.csv", "zip_code,member_id,ndc\n02134,M000123,00093505698\n")

    layout = inspect_delimited(path)

    assert delimited_records(path, layout) == [(1, {"zip_code": "02134", "member_id": "M000123", "ndc": "00093505698"})]


def test_empty_values_become_none(tmp_path: Path) -> None:
    path = write_file(tmp_path, "members.csv", "a,b,c\n1,, \n")

    layout = inspect_delimited(path)

    assert delimited_records(path, layout) == [(1, {"a": "1", "b": None, "c": None})]


def test_records_come_in_batches(tmp_path: Path) -> None:
    path = write_file(tmp_path, "claims.csv", "id\n" + "".join(f"{number}\n" for number in range(12)))
    layout = inspect_delimited(path)

    batches = list(iter_delimited_records(path, layout, batch_size=5))

    assert [len(batch) for batch in batches] == [5, 5, 2]
    assert [number for batch in batches for number, _ in batch] == list(range(1, 13))


def test_single_column_file(tmp_path: Path) -> None:
    path = write_file(tmp_path, "members.csv", "member_id\nM1\nM2\n")

    layout = inspect_delimited(path)

    assert layout == DelimitedLayout(encoding="utf-8", delimiter=",", headers=["member_id"])
    assert validate_delimited(path, layout) == 2


def test_single_column_file_with_unquoted_commas_is_ragged(tmp_path: Path) -> None:
    path = write_file(tmp_path, "members.csv", "name\nSmith, John\n")

    with pytest.raises(BadFile, match=r"^Line 2 has 2 fields; the header has 1$"):
        inspect_delimited(path)


# --------------------------------------------------------------------------- encodings


def test_utf8_bom_is_detected_and_removed(tmp_path: Path) -> None:
    path = write_file(tmp_path, "claims.csv", "\ufeffClaim ID,Member Name\nC1,Zoë\n".encode())

    layout = inspect_delimited(path)

    assert layout.encoding == "utf-8-sig"
    assert layout.headers == ["Claim ID", "Member Name"]
    assert delimited_records(path, layout) == [(1, {"Claim ID": "C1", "Member Name": "Zoë"})]


def test_latin1_file_falls_back_to_latin1(tmp_path: Path) -> None:
    path = write_file(tmp_path, "members.csv", "Nom,Ville\nMüller,Zürich\nNúñez,São Paulo\n".encode("latin-1"))

    layout = inspect_delimited(path)

    assert layout.encoding == "latin-1"
    assert [record["Nom"] for _, record in delimited_records(path, layout)] == ["Müller", "Núñez"]


def test_multibyte_character_cut_by_the_sample_is_still_utf8(tmp_path: Path) -> None:
    content = ("name,city\n" + "José,Málaga\n" * 50).encode()
    cut_inside_e_acute = content.index("é".encode(), 40) + 1
    path = write_file(tmp_path, "members.csv", content)

    layout = inspect_delimited(path, sample_bytes=cut_inside_e_acute)

    assert layout.encoding == "utf-8"
    assert validate_delimited(path, layout) == 50


def test_invalid_utf8_after_the_sample_names_the_line(tmp_path: Path) -> None:
    content = b"a,b\n" + b"x,y\n" * 100 + "Café,1\n".encode("latin-1")
    path = write_file(tmp_path, "claims.csv", content)

    layout = inspect_delimited(path, sample_bytes=64)

    assert layout.encoding == "utf-8"
    with pytest.raises(BadFile, match=r"^Line 102 is not valid UTF-8 text \(byte 407\)"):
        validate_delimited(path, layout)


def test_utf16_is_refused_with_advice(tmp_path: Path) -> None:
    path = write_file(tmp_path, "claims.txt", "a\tb\n1\t2\n".encode("utf-16"))

    with pytest.raises(BadFile, match="UTF-16"):
        inspect_delimited(path)


# --------------------------------------------------------------------------- bad files


def test_empty_file(tmp_path: Path) -> None:
    with pytest.raises(BadFile, match=r"^The file is empty$"):
        inspect_delimited(write_file(tmp_path, "empty.csv", b""))


def test_file_with_only_blank_lines(tmp_path: Path) -> None:
    with pytest.raises(BadFile, match="no header row"):
        inspect_delimited(write_file(tmp_path, "blank.csv", "\n \r\n\t\n"))


@pytest.mark.parametrize("content", ["a,b,c\n", "a,b,c", "a,b,c\r\n\r\n"])
def test_header_without_data_rows(tmp_path: Path, content: str) -> None:
    path = write_file(tmp_path, "header.csv", content)

    with pytest.raises(BadFile, match=r"^The file has a header row but no data rows$"):
        inspect_delimited(path)
    with pytest.raises(BadFile, match=r"^The file has a header row but no data rows$"):
        validate_delimited(path, DelimitedLayout(encoding="utf-8", delimiter=",", headers=["a", "b", "c"]))


def test_ragged_row_names_its_line(tmp_path: Path) -> None:
    path = write_file(tmp_path, "claims.csv", 'id,note\n1,"two\nlines"\n2,x,extra\n')

    with pytest.raises(BadFile, match=r"^Line 4 has 3 fields; the header has 2$"):
        inspect_delimited(path)


def test_ragged_row_beyond_the_sample_is_found_by_validation(tmp_path: Path) -> None:
    content = "id,amount\n" + "1,2.00\n" * 150 + "1,2.00,3\n" + "1,2.00\n" * 10
    path = write_file(tmp_path, "claims.csv", content)

    layout = inspect_delimited(path)

    with pytest.raises(BadFile, match=r"^Line 152 has 3 fields; the header has 2$"):
        validate_delimited(path, layout)


@pytest.mark.parametrize(
    "content",
    [
        b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        bytes(range(1, 9)) * 200,
    ],
)
def test_binary_junk_is_refused(tmp_path: Path, content: bytes) -> None:
    with pytest.raises(BadFile, match=r"^The file is not text \(binary content at byte \d+\)$"):
        inspect_delimited(write_file(tmp_path, "claims.csv", content))


def test_nul_byte_after_the_sample_is_found_by_validation(tmp_path: Path) -> None:
    content = b"a,b\n" + b"1,2\n" * 1000 + b"3,\x004\n"
    path = write_file(tmp_path, "claims.csv", content)

    layout = inspect_delimited(path, sample_bytes=64)

    with pytest.raises(BadFile, match=rf"^The file is not text \(binary content at byte {content.index(0)}\)$"):
        validate_delimited(path, layout)


@pytest.mark.parametrize("size", [MEBIBYTE, MEBIBYTE + 50_000])
def test_one_megabyte_single_line_is_a_header_without_data(tmp_path: Path, size: int) -> None:
    path = write_file(tmp_path, "line.csv", b"a" * size)

    started = time.monotonic()
    with pytest.raises(BadFile, match=r"^The file has a header row but no data rows$"):
        inspect_delimited(path)
    with pytest.raises(BadFile, match=r"^The file has a header row but no data rows$"):
        validate_delimited(path, DelimitedLayout(encoding="utf-8", delimiter=",", headers=["a" * size]))

    assert time.monotonic() - started < 3


def test_duplicate_headers_are_named(tmp_path: Path) -> None:
    path = write_file(tmp_path, "claims.csv", "id,Amount,Date,Amount, Date \n1,2,3,4,5\n")

    with pytest.raises(
        BadFile,
        match=r'^The header has duplicate column names: "Amount" \(columns 2 and 4\), "Date" \(columns 3 and 5\)$',
    ):
        inspect_delimited(path)


def test_blank_header_is_refused(tmp_path: Path) -> None:
    path = write_file(tmp_path, "claims.csv", "id,,amount\n1,2,3\n")

    with pytest.raises(BadFile, match=r"^The header has blank column names \(column 2\)$"):
        inspect_delimited(path)


def test_unclosed_quote_is_refused(tmp_path: Path) -> None:
    path = write_file(tmp_path, "claims.csv", 'a,b\n1,"never closed\n2,3\n')
    layout = inspect_delimited(path)

    with pytest.raises(BadFile, match=r"^Line 2 opens a quoted field that is never closed$"):
        validate_delimited(path, layout)


def test_text_after_a_closing_quote_is_refused(tmp_path: Path) -> None:
    path = write_file(tmp_path, "claims.csv", 'a,b\n1,2\n"Bob" Smith,3\n')
    layout = inspect_delimited(path)

    with pytest.raises(BadFile, match=r"^Line 3 has text right after a closing quote"):
        validate_delimited(path, layout)


def test_field_over_ten_megabytes_is_refused(tmp_path: Path) -> None:
    path = write_file(tmp_path, "claims.csv", b'a,b\n1,"' + b"x" * (10 * MEBIBYTE + 10) + b'"\n')
    layout = inspect_delimited(path)

    with pytest.raises(BadFile, match=r"^Line 2 has a field longer than 10 MB"):
        validate_delimited(path, layout)


def test_validation_checks_the_header_against_the_layout(tmp_path: Path) -> None:
    path = write_file(tmp_path, "claims.csv", "a,b\n1,2\n")

    with pytest.raises(BadFile, match="header row does not match"):
        validate_delimited(path, DelimitedLayout(encoding="utf-8", delimiter=",", headers=["a", "c"]))


# --------------------------------------------------------------------------- Excel


def build_claims_workbook(path: Path) -> Path:
    workbook = xlsxwriter.Workbook(str(path))
    claims = workbook.add_worksheet("Claims")
    date_format = workbook.add_format({"num_format": "mm/dd/yyyy"})
    timestamp_format = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    claims.write_row(0, 0, ["Claim ID", "Service Date", "Processed", "Billed", "Total", "Units", "Ratio", "Approved"])
    claims.write_string(1, 0, "00123")
    claims.write_datetime(1, 1, dt.date(2025, 3, 4), date_format)
    # Excel stores times as fractions of a day; the reader rounds away the float noise.
    claims.write_datetime(1, 2, dt.datetime(2025, 3, 4, 10, 29, 59, 999_700), timestamp_format)
    claims.write_number(1, 3, 123.45)
    claims.write_formula(1, 4, "=D2*2", None, 246.9)
    claims.write_number(1, 5, 12345.0)
    claims.write_number(1, 6, 0.1 + 0.2)
    claims.write_boolean(1, 7, True)
    # Row 3 is left completely empty.
    claims.write_string(3, 0, "00124")
    claims.write_number(3, 3, 1e-7)
    members = workbook.add_worksheet("Members")
    members.write_row(2, 2, ["Member ID", "ZIP"])
    members.write_row(3, 2, ["M000001", "02134"])
    workbook.add_worksheet("Notes")
    workbook.close()
    return path


def test_xlsx_sheets_become_records_with_text_values(tmp_path: Path) -> None:
    path = build_claims_workbook(tmp_path / "claims.xlsx")

    assert excel_records(path) == [
        (
            "Claims",
            (
                1,
                {
                    "Claim ID": "00123",
                    "Service Date": "2025-03-04",
                    "Processed": "2025-03-04T10:30:00",
                    "Billed": "123.45",
                    "Total": "246.9",
                    "Units": "12345",
                    "Ratio": "0.3",
                    "Approved": "true",
                },
            ),
        ),
        (
            "Claims",
            (
                2,
                {
                    "Claim ID": "00124",
                    "Service Date": None,
                    "Processed": None,
                    "Billed": "0.0000001",
                    "Total": None,
                    "Units": None,
                    "Ratio": None,
                    "Approved": None,
                },
            ),
        ),
        ("Members", (1, {"Member ID": "M000001", "ZIP": "02134"})),
    ]


def test_xlsx_records_come_in_batches(tmp_path: Path) -> None:
    path = tmp_path / "claims.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Claims")
    sheet.write_column(0, 0, ["id", *range(5)])
    workbook.close()

    batches = list(iter_excel_records(path, batch_size=2))

    assert [(sheet_name, len(batch)) for sheet_name, batch in batches] == [("Claims", 2), ("Claims", 2), ("Claims", 1)]
    assert [record for _, batch in batches for record in batch][-1] == (5, {"id": "4"})


def test_xlsx_row_longer_than_the_header(tmp_path: Path) -> None:
    path = tmp_path / "claims.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Claims")
    sheet.write_row(1, 1, ["id", "amount"])
    sheet.write_row(2, 1, ["C1", 10])
    sheet.write_row(3, 1, ["C2", 20, "stray"])
    workbook.close()

    with pytest.raises(
        BadFile, match=r"^Sheet 'Claims' row 4 has a value in column D, but the header stops at column C$"
    ):
        excel_records(path)


def test_xlsx_duplicate_headers_name_sheet_and_columns(tmp_path: Path) -> None:
    path = tmp_path / "claims.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Claims")
    sheet.write_row(0, 0, ["id", "Amount", "note", "Amount"])
    sheet.write_row(1, 0, ["C1", 1, "x", 2])
    workbook.close()

    with pytest.raises(
        BadFile, match=r'^Sheet \'Claims\': The header has duplicate column names: "Amount" \(columns B and D\)$'
    ):
        excel_records(path)


def test_xlsx_with_headers_only(tmp_path: Path) -> None:
    path = tmp_path / "claims.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    workbook.add_worksheet("Claims").write_row(0, 0, ["id", "amount"])
    workbook.close()

    with pytest.raises(BadFile, match="no data rows"):
        excel_records(path)


def test_xls_written_by_xlwt(tmp_path: Path) -> None:
    path = tmp_path / "claims.xls"
    workbook = xlwt.Workbook()
    sheet = workbook.add_sheet("Claims")
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for column, header in enumerate(["Member ID", "DOS", "Units", "Billed"]):
        sheet.write(0, column, header)
    sheet.write(1, 0, "007")
    sheet.write(1, 1, dt.date(2024, 1, 2), date_style)
    sheet.write(1, 2, 3.0)
    sheet.write(1, 3, 2.5)
    workbook.save(str(path))

    assert excel_records(path) == [
        ("Claims", (1, {"Member ID": "007", "DOS": "2024-01-02", "Units": "3", "Billed": "2.5"}))
    ]


def write_zip(path: Path, parts: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return path


def write_zip_bomb(path: Path, member_bytes: int) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            block = b" " * MEBIBYTE
            for _ in range(member_bytes // MEBIBYTE):
                sheet.write(block)
    return path


def test_zip_bomb_beyond_the_size_limit_is_refused(tmp_path: Path) -> None:
    path = write_zip_bomb(tmp_path / "bomb.xlsx", 520 * MEBIBYTE)

    with pytest.raises(BadFile, match=r"^The workbook expands to more than 500 MB; refusing \(possible zip bomb\)$"):
        excel_records(path)


def test_zip_bomb_with_extreme_compression_is_refused(tmp_path: Path) -> None:
    path = write_zip_bomb(tmp_path / "bomb.xlsx", 32 * MEBIBYTE)

    with pytest.raises(BadFile, match=r"xl/worksheets/sheet1.xml is compressed more than 100:1"):
        excel_records(path)


def test_size_limit_is_configurable(tmp_path: Path) -> None:
    path = build_claims_workbook(tmp_path / "claims.xlsx")

    with pytest.raises(BadFile, match=r"^The workbook expands to more than 1,024 bytes"):
        excel_records(path, max_uncompressed_bytes=1024)


def test_text_renamed_to_xlsx(tmp_path: Path) -> None:
    path = write_file(tmp_path, "claims.xlsx", "claim_id,amount\n1,2\n")

    with pytest.raises(BadFile, match=r"^The file has the \.xlsx extension but is not an Excel workbook$"):
        excel_records(path)


def test_other_zip_renamed_to_xlsx(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "claims.xlsx", {"word/document.xml": b"<document/>"})

    with pytest.raises(BadFile, match=r"^The file has the \.xlsx extension but is not an Excel workbook$"):
        excel_records(path)


def test_text_renamed_to_xls(tmp_path: Path) -> None:
    path = write_file(tmp_path, "claims.xls", "<html><table><tr><td>1</td></tr></table></html>")

    with pytest.raises(BadFile, match=r"^The file has the \.xls extension but is not an Excel workbook$"):
        excel_records(path)


def test_xls_renamed_to_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "claims.xls"
    workbook = xlwt.Workbook()
    workbook.add_sheet("Claims").write(0, 0, "id")
    workbook.save(str(path))

    with pytest.raises(BadFile, match=r"\.xlsx extension but is an encrypted \(password-protected\) or old-format"):
        excel_records(path.rename(tmp_path / "claims.xlsx"))


def test_damaged_workbook(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "claims.xlsx", {"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<not-xml"})

    with pytest.raises(BadFile, match=r"^The workbook cannot be read"):
        excel_records(path)


def test_fixed_width_text_is_refused_with_the_reason(tmp_path: Path) -> None:
    rows = [("CLAIM_ID", "MEMBER_ID", "SERVICE_DATE", "PAID"), ("C0001", "M000123", "2024-01-05", "125.00"),
            ("C0002", "M000456", "2024-01-06", "80.50"), ("C0003", "M000789", "2024-01-07", "0.00")]  # fmt: skip
    content = "".join("".join(cell.ljust(14) for cell in row).rstrip() + "\n" for row in rows)

    with pytest.raises(BadFile, match=r"^The file looks like fixed-width text .*save it as delimited text"):
        inspect_delimited(write_file(tmp_path, "claims.txt", content))


@pytest.mark.parametrize(
    "content",
    [
        "C0001,M000123,2024-01-05,125.00\nC0002,M000456,2024-01-06,80.50\n",
        "C0001|M1|01/05/2024|$125.00|(10.00)\nC0002|M2|01/06/2024|$80.50|0\n",
        "20240105\n20240106\n",
    ],
)
def test_a_file_without_header_row_is_refused_with_the_reason(tmp_path: Path, content: str) -> None:
    with pytest.raises(BadFile, match=r"^The first row holds values, not column names .*no header row"):
        inspect_delimited(write_file(tmp_path, "claims.csv", content))


@pytest.mark.parametrize(
    "content",
    ["member id\nM1\nM2\n", "claim_id,2024,Q1 2024,paid amt\nC1,1,2,3\n", "note\nsee  attached\nok\n"],
)
def test_ordinary_headers_still_load(tmp_path: Path, content: str) -> None:
    layout = inspect_delimited(write_file(tmp_path, "claims.csv", content))

    assert validate_delimited(write_file(tmp_path, "claims.csv", content), layout) >= 1
