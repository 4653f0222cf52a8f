import csv
import datetime as dt
import re
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from bronze.parsing import detect_file_type, inspect_delimited, iter_excel_records, validate_delimited
from demo.samples import (
    ANCHOR_DATE,
    CLAIM_KINDS,
    DEMO_LAYOUTS,
    SERVICE_WINDOW_DAYS,
    SYSTEM_COLUMNS,
    TARGET_COLUMNS,
    TARGET_TABLES,
    TpaLayout,
    generate_rows,
    is_valid_npi,
    member_coverage,
    write_csv,
    write_demo_set,
    write_xlsx,
)

pytestmark = pytest.mark.pure

SPEC = Path("/work/shared/spec/target_schemas.csv")
CLAIM_STATUSES = {"PAID", "DENIED", "PENDING", "ADJUSTED"}
ICD10 = re.compile(r"^[A-Z]\d[0-9A-Z](\.[0-9A-Z]{1,4})?$")
WINDOW_START = ANCHOR_DATE - dt.timedelta(days=SERVICE_WINDOW_DAYS)


def layout_named(tpa_code: str) -> TpaLayout:
    return next(layout for layout in DEMO_LAYOUTS if layout.tpa_code == tpa_code)


def by_target(layout: TpaLayout, kind: str, row: dict[str, str]) -> dict[str, str]:
    """A generated row keyed by target column instead of the TPA's header text."""
    return {target: row[header] for target, header in layout.headers[kind].items()}


def money(layout: TpaLayout, text: str) -> Decimal:
    assert re.fullmatch(rf"{re.escape(layout.amount_prefix)}\d+\.\d\d", text), text
    return Decimal(text.removeprefix(layout.amount_prefix))


def parse_date(layout: TpaLayout, text: str) -> dt.date:
    return dt.datetime.strptime(text, layout.date_format).date()


def read_delimited(path: Path, delimiter: str) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream, delimiter=delimiter))


# --------------------------------------------------------------------------- layouts


@pytest.mark.skipif(not SPEC.exists(), reason="shared spec not mounted")
def test_target_columns_follow_the_spec() -> None:
    with SPEC.open(newline="") as stream:
        spec_rows = list(csv.DictReader(stream))
    for kind, table in TARGET_TABLES.items():
        assert TARGET_COLUMNS[kind] == tuple(row["COLUMN_NAME"] for row in spec_rows if row["TABLE_NAME"] == table)


@pytest.mark.skipif(not SPEC.exists(), reason="shared spec not mounted")
@pytest.mark.parametrize("layout", DEMO_LAYOUTS, ids=lambda layout: layout.tpa_code)
def test_layouts_send_every_required_column(layout: TpaLayout) -> None:
    with SPEC.open(newline="") as stream:
        spec_rows = list(csv.DictReader(stream))
    for kind, table in TARGET_TABLES.items():
        required = {row["COLUMN_NAME"] for row in spec_rows if row["TABLE_NAME"] == table and row["NULLABLE"] == "N"}
        assert required - SYSTEM_COLUMNS <= set(layout.headers[kind])


@pytest.mark.parametrize("layout", DEMO_LAYOUTS, ids=lambda layout: layout.tpa_code)
def test_layout_headers_are_unique_and_map_known_columns(layout: TpaLayout) -> None:
    assert set(layout.headers) == set(CLAIM_KINDS)
    for kind, headers in layout.headers.items():
        assert set(headers) <= set(TARGET_COLUMNS[kind]) - SYSTEM_COLUMNS
        assert len(set(headers.values())) == len(headers)


def test_there_are_at_least_four_distinct_header_styles() -> None:
    assert len(DEMO_LAYOUTS) >= 4
    assert len({layout.tpa_code for layout in DEMO_LAYOUTS}) == len(DEMO_LAYOUTS)
    for kind in CLAIM_KINDS:
        for target in ("MEMBER_ID", "CLAIM_ID", "SERVICE_DATE", "BILLED_AMOUNT", "EFFECTIVE_DATE"):
            if target in TARGET_COLUMNS[kind]:
                spellings = {layout.headers[kind][target] for layout in DEMO_LAYOUTS}
                assert len(spellings) == len(DEMO_LAYOUTS), (kind, target, spellings)
    assert layout_named("PROVIDER_A").headers["MEDICAL"]["CLAIM_ID"] == "claim_id"
    assert layout_named("BLUE_CROSS").headers["MEDICAL"]["SERVICE_DATE"] == "DOS"
    assert layout_named("CAREFIRST").headers["MEDICAL"]["MEMBER_ID"] == "MbrNum"
    assert layout_named("MERIDIAN").headers["MEDICAL"]["SERVICE_DATE"] == "SVC_DT"
    assert {layout.delimiter for layout in DEMO_LAYOUTS} >= {",", "|"}
    assert len({layout.date_format for layout in DEMO_LAYOUTS}) == len(DEMO_LAYOUTS)
    assert sum(layout.amount_prefix == "$" for layout in DEMO_LAYOUTS) == 1


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="Unknown claim kind"):
        next(generate_rows(DEMO_LAYOUTS[0], "VISION", 1))


# --------------------------------------------------------------------------- generated values


@pytest.mark.parametrize("kind", CLAIM_KINDS)
def test_rows_are_deterministic_for_a_seed(kind: str) -> None:
    layout = layout_named("BLUE_CROSS")

    first = list(generate_rows(layout, kind, 300, seed=7))

    assert first == list(generate_rows(layout, kind, 300, seed=7))
    assert first != list(generate_rows(layout, kind, 300, seed=8))
    assert list(first[0]) == list(layout.headers[kind].values())


@pytest.mark.parametrize("layout", DEMO_LAYOUTS, ids=lambda layout: layout.tpa_code)
def test_medical_claims_are_consistent(layout: TpaLayout) -> None:
    rows = [by_target(layout, "MEDICAL", row) for row in generate_rows(layout, "MEDICAL", 2000, seed=3)]

    assert len({row["CLAIM_ID"] for row in rows}) == len(rows)
    assert {row["CLAIM_STATUS"] for row in rows} == CLAIM_STATUSES
    for row in rows:
        assert is_valid_npi(row["PROVIDER_ID"])
        assert row["PROVIDER_NAME"]
        assert ICD10.match(row["DIAGNOSIS_CODE"]), row["DIAGNOSIS_CODE"]
        assert re.fullmatch(r"\d{5}", row["PROCEDURE_CODE"])
        billed, allowed, paid, member_share = (
            money(layout, row[column])
            for column in ("BILLED_AMOUNT", "ALLOWED_AMOUNT", "PAID_AMOUNT", "MEMBER_RESPONSIBILITY")
        )
        assert 0 <= paid <= allowed <= billed
        assert member_share == allowed - paid
        service_date = parse_date(layout, row["SERVICE_DATE"])
        assert WINDOW_START <= service_date <= ANCHOR_DATE
        if row["CLAIM_STATUS"] in ("PENDING", "DENIED"):
            assert allowed == paid == 0
        if row["CLAIM_STATUS"] == "PENDING":
            assert row["PROCESSED_DATE"] == ""
        else:
            processed = dt.datetime.strptime(row["PROCESSED_DATE"], f"{layout.date_format} %H:%M:%S")
            assert service_date <= processed.date() <= ANCHOR_DATE


@pytest.mark.parametrize("layout", DEMO_LAYOUTS, ids=lambda layout: layout.tpa_code)
def test_dental_claims_are_consistent(layout: TpaLayout) -> None:
    rows = [by_target(layout, "DENTAL", row) for row in generate_rows(layout, "DENTAL", 2000, seed=3)]

    assert any(row["TOOTH_NUMBER"] for row in rows)
    assert any(row["SURFACE"] for row in rows)
    for row in rows:
        assert is_valid_npi(row["DENTIST_ID"])
        assert re.fullmatch(r"D\d{4}", row["PROCEDURE_CODE"])
        if row["TOOTH_NUMBER"]:
            assert 1 <= int(row["TOOTH_NUMBER"]) <= 32
        else:
            assert row["SURFACE"] == ""
        assert re.fullmatch(r"[MODBLIF]{0,2}", row["SURFACE"])
        billed, allowed, paid, member_share = (
            money(layout, row[column])
            for column in ("BILLED_AMOUNT", "ALLOWED_AMOUNT", "PAID_AMOUNT", "MEMBER_RESPONSIBILITY")
        )
        assert 0 <= paid <= allowed <= billed
        assert member_share == allowed - paid
        assert WINDOW_START <= parse_date(layout, row["SERVICE_DATE"]) <= ANCHOR_DATE


@pytest.mark.parametrize("layout", DEMO_LAYOUTS, ids=lambda layout: layout.tpa_code)
def test_pharmacy_claims_are_consistent(layout: TpaLayout) -> None:
    rows = [by_target(layout, "PHARMACY", row) for row in generate_rows(layout, "PHARMACY", 2000, seed=3)]

    assert any(row["NDC_CODE"].startswith("0") for row in rows)
    for row in rows:
        assert re.fullmatch(r"\d{11}", row["NDC_CODE"])
        assert row["DRUG_NAME"]
        assert is_valid_npi(row["PHARMACY_ID"])
        assert is_valid_npi(row["PRESCRIBER_ID"])
        assert Decimal(row["QUANTITY"]) > 0
        assert int(row["DAYS_SUPPLY"]) in (7, 10, 28, 30, 90)
        billed, allowed, paid, copay = (
            money(layout, row[column]) for column in ("BILLED_AMOUNT", "ALLOWED_AMOUNT", "PAID_AMOUNT", "MEMBER_COPAY")
        )
        assert 0 <= paid <= allowed <= billed
        assert copay == allowed - paid
        assert WINDOW_START <= parse_date(layout, row["FILL_DATE"]) <= ANCHOR_DATE


@pytest.mark.parametrize("layout", DEMO_LAYOUTS, ids=lambda layout: layout.tpa_code)
def test_eligibility_rows_are_plausible(layout: TpaLayout) -> None:
    rows = [by_target(layout, "ELIGIBILITY", row) for row in generate_rows(layout, "ELIGIBILITY", 500, seed=3)]

    assert [row["MEMBER_ID"] for row in rows] == [layout.member_id(number) for number in range(1, 501)]
    assert {row["STATUS"] for row in rows} == {"ACTIVE", "TERMINATED"}
    for row in rows:
        assert re.fullmatch(r"\d{5}", row["ZIP_CODE"])
        assert re.fullmatch(r"\(\d{3}\) 555-01\d\d", row["PHONE"])
        assert row["GENDER"] in ("F", "M", "U")
        birth_date = parse_date(layout, row["DATE_OF_BIRTH"])
        effective = parse_date(layout, row["EFFECTIVE_DATE"])
        assert birth_date < effective <= ANCHOR_DATE
        assert effective.day == 1
        if row["TERMINATION_DATE"]:
            assert parse_date(layout, row["TERMINATION_DATE"]) > effective
        expected_status = (
            "TERMINATED"
            if row["TERMINATION_DATE"] and parse_date(layout, row["TERMINATION_DATE"]) <= ANCHOR_DATE
            else "ACTIVE"
        )
        assert row["STATUS"] == expected_status
        if row.get("EMAIL"):
            assert re.fullmatch(r"[a-z.']+\d+@example\.com", row["EMAIL"]), row["EMAIL"]


def test_leading_zeros_survive() -> None:
    meridian = layout_named("MERIDIAN")
    blue_cross = layout_named("BLUE_CROSS")

    meridian_members = [row["MBR_ID"] for row in generate_rows(meridian, "ELIGIBILITY", 20)]
    boston_zips = [row["ZIP"] for row in generate_rows(blue_cross, "ELIGIBILITY", 200)]

    assert meridian_members[0] == "000000001"
    assert all(re.fullmatch(r"\d{9}", member) for member in meridian_members)
    assert any(zip_code.startswith("0") for zip_code in boston_zips)


def test_each_tpa_writes_dates_and_amounts_its_own_way() -> None:
    expected_shapes = {
        "PROVIDER_A": (r"\d{4}-\d\d-\d\d", r"\d+\.\d\d"),
        "BLUE_CROSS": (r"\d\d/\d\d/\d{4}", r"\$\d+\.\d\d"),
        "CAREFIRST": (r"\d\d-[A-Z][a-z]{2}-\d{4}", r"\d+\.\d\d"),
        "MERIDIAN": (r"\d{8}", r"\d+\.\d\d"),
    }
    for tpa_code, (date_shape, amount_shape) in expected_shapes.items():
        layout = layout_named(tpa_code)
        row = by_target(layout, "MEDICAL", next(generate_rows(layout, "MEDICAL", 1)))
        assert re.fullmatch(date_shape, row["SERVICE_DATE"]), (tpa_code, row["SERVICE_DATE"])
        assert re.fullmatch(amount_shape, row["BILLED_AMOUNT"]), (tpa_code, row["BILLED_AMOUNT"])


@pytest.mark.parametrize("layout", DEMO_LAYOUTS, ids=lambda layout: layout.tpa_code)
def test_claims_members_are_in_eligibility_and_covered(layout: TpaLayout) -> None:
    members = 120
    eligibility = {
        row["MEMBER_ID"]: row
        for row in (by_target(layout, "ELIGIBILITY", row) for row in generate_rows(layout, "ELIGIBILITY", members))
    }
    for kind, date_column in (("MEDICAL", "SERVICE_DATE"), ("DENTAL", "SERVICE_DATE"), ("PHARMACY", "FILL_DATE")):
        for row in generate_rows(layout, kind, 1500, members=members):
            claim = by_target(layout, kind, row)
            member = eligibility[claim["MEMBER_ID"]]
            service_date = parse_date(layout, claim[date_column])
            assert parse_date(layout, member["EFFECTIVE_DATE"]) <= service_date
            if member["TERMINATION_DATE"]:
                assert service_date <= parse_date(layout, member["TERMINATION_DATE"])


def test_member_coverage_matches_eligibility() -> None:
    layout = layout_named("PROVIDER_A")
    for number, row in enumerate(generate_rows(layout, "ELIGIBILITY", 200, seed=5), start=1):
        effective, termination = member_coverage(layout, number, seed=5)
        assert row["effective_date"] == effective.isoformat()
        if termination is not None:
            assert row["termination_date"] == termination.isoformat()


def test_providers_come_from_a_small_pool() -> None:
    layout = layout_named("PROVIDER_A")
    rows = list(generate_rows(layout, "MEDICAL", 5000))

    claims_per_provider = Counter(row["provider_npi"] for row in rows)
    names_per_provider = {row["provider_npi"]: row["provider_name"] for row in rows}

    assert 10 <= len(claims_per_provider) <= 30
    assert claims_per_provider.most_common(1)[0][1] >= 200
    assert len(set(names_per_provider.values())) == len(names_per_provider)
    prescribers = {row["prescriber_npi"] for row in generate_rows(layout, "PHARMACY", 2000)}
    assert prescribers <= set(claims_per_provider)


def test_npi_check_digit() -> None:
    assert is_valid_npi("1234567893")
    assert not is_valid_npi("1234567890")
    assert not is_valid_npi("3234567893")
    assert not is_valid_npi("123456789")


# --------------------------------------------------------------------------- files


@pytest.mark.parametrize("layout", DEMO_LAYOUTS, ids=lambda layout: layout.tpa_code)
@pytest.mark.parametrize("kind", CLAIM_KINDS)
def test_csv_file_holds_the_generated_rows(tmp_path: Path, layout: TpaLayout, kind: str) -> None:
    path = write_csv(tmp_path / "sample.csv", layout, kind, 400, seed=2)

    assert read_delimited(path, layout.delimiter) == list(generate_rows(layout, kind, 400, seed=2))
    assert path.read_bytes().count(b"\r\n") >= 401


def test_csv_file_past_the_body_pool_still_matches(tmp_path: Path) -> None:
    layout = layout_named("BLUE_CROSS")

    path = write_csv(tmp_path / "sample.csv", layout, "MEDICAL", 20_000)

    assert read_delimited(path, layout.delimiter) == list(generate_rows(layout, "MEDICAL", 20_000))


def test_write_csv_100k_rows_quickly(tmp_path: Path) -> None:
    layout = layout_named("MERIDIAN")

    started = time.monotonic()
    path = write_csv(tmp_path / "medical.txt", layout, "MEDICAL", 100_000)
    elapsed = time.monotonic() - started

    assert elapsed < 10  # loose: shared CI machines vary; about 1 s on an idle laptop
    file_layout = inspect_delimited(path)
    assert file_layout.delimiter == "|"
    assert file_layout.headers == list(layout.headers["MEDICAL"].values())
    assert validate_delimited(path, file_layout) == 100_000


def test_xlsx_file_holds_the_generated_rows_as_typed_cells(tmp_path: Path) -> None:
    layout = layout_named("CAREFIRST")

    path = write_xlsx(tmp_path / "medical.xlsx", layout, "MEDICAL", 300, seed=4)

    records = [record for _, batch in iter_excel_records(path) for _, record in batch]
    expected = list(generate_rows(layout, "MEDICAL", 300, seed=4))
    assert len(records) == len(expected)
    for record, row in zip(records, expected, strict=True):
        assert record["ClaimID"] == row["ClaimID"]
        assert record["MbrNum"] == row["MbrNum"]
        assert record["ProvNPI"] == row["ProvNPI"]
        assert record["SvcDate"] == parse_date(layout, row["SvcDate"]).isoformat()
        assert Decimal(record["BilledAmt"]) == Decimal(row["BilledAmt"])
        assert Decimal(record["MbrRespAmt"]) == Decimal(row["MbrRespAmt"])
        if row["ProcessedDt"]:
            processed = dt.datetime.strptime(row["ProcessedDt"], layout.timestamp_format)
            assert record["ProcessedDt"] == processed.isoformat()
        else:
            assert record["ProcessedDt"] is None


def test_demo_set_is_loadable_and_joinable(tmp_path: Path) -> None:
    written = write_demo_set(tmp_path, rows=150, seed=1)

    assert Counter(tpa_code for tpa_code, _ in written) == {layout.tpa_code: 4 for layout in DEMO_LAYOUTS}
    assert any(path.suffix == ".xlsx" for _, path in written)
    assert any(path.suffix == ".txt" for _, path in written)
    members_by_tpa: dict[str, set[str]] = {}
    claim_members_by_tpa: dict[str, set[str]] = {}
    for tpa_code, path in written:
        layout = layout_named(tpa_code)
        assert path.parent == tmp_path / tpa_code
        if detect_file_type(path.name) == "EXCEL":
            rows = [record for _, batch in iter_excel_records(path) for _, record in batch]
        else:
            file_layout = inspect_delimited(path)
            assert validate_delimited(path, file_layout) >= 1
            rows = read_delimited(path, file_layout.delimiter)
        kind = next(kind for kind in CLAIM_KINDS if kind.lower() in path.name)
        member_ids = {row[layout.headers[kind]["MEMBER_ID"]] for row in rows}
        if kind == "ELIGIBILITY":
            members_by_tpa[tpa_code] = member_ids
        else:
            assert len(rows) == 150
            claim_members_by_tpa.setdefault(tpa_code, set()).update(member_ids)
    for tpa_code, claim_members in claim_members_by_tpa.items():
        assert claim_members <= members_by_tpa[tpa_code]
        assert len(members_by_tpa[tpa_code] - claim_members) > 0
