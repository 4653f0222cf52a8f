"""Auto-mapping accuracy against the seeded target schemas read from the warehouse.

Two labelled sets: the shared one (tests/data/mapping_labels.csv) and OWN_LABELS below, written for this suite
from header styles seen in TPA bordereaux (abbreviations, glued words, camelCase, vendor prefixes, payer jargon),
with realistic sample values. A case counts as right when the expected column is ranked first at the default
threshold (0.6), or, for fields with no target, when nothing is suggested."""

import csv
from pathlib import Path

import pytest

from silver.matcher import TargetColumn, suggest_mappings
from silver.schemas import schema_columns

pytestmark = pytest.mark.django_db(transaction=True)

LABELS = Path(__file__).resolve().parent / "data" / "mapping_labels.csv"
TABLES = ("MEDICAL_CLAIMS", "DENTAL_CLAIMS", "PHARMACY_CLAIMS", "MEMBER_ELIGIBILITY")
MINIMUM_ACCURACY = 0.95

OWN_LABELS = [
    ("MEDICAL_CLAIMS", "ClaimNbr", "A10023|A10024", "CLAIM_ID"),
    ("MEDICAL_CLAIMS", "TCN", "2024031500012|2024031500013", "CLAIM_ID"),
    ("MEDICAL_CLAIMS", "Subscriber_ID", "W123456789|W987654321", "MEMBER_ID"),
    ("MEDICAL_CLAIMS", "Patient Acct No", "PA-0091|PA-0092", "MEMBER_ID"),
    ("MEDICAL_CLAIMS", "Billing Prov NPI", "1538264001|1902837465", "PROVIDER_ID"),
    ("MEDICAL_CLAIMS", "Physician Name", "SMITH, JOHN MD|DOE CLINIC", "PROVIDER_NAME"),
    ("MEDICAL_CLAIMS", "Svc From Dt", "2024-02-01|2024-02-03", "SERVICE_DATE"),
    ("MEDICAL_CLAIMS", "Incurred Date", "01/15/2024|01/16/2024", "SERVICE_DATE"),
    ("MEDICAL_CLAIMS", "Primary Dx", "J45.909|E11.65", "DIAGNOSIS_CODE"),
    ("MEDICAL_CLAIMS", "ICD-10 Code 1", "Z00.00|I10", "DIAGNOSIS_CODE"),
    ("MEDICAL_CLAIMS", "HCPCS/CPT", "99214|G0439", "PROCEDURE_CODE"),
    ("MEDICAL_CLAIMS", "Proc Cd", "80053|36415", "PROCEDURE_CODE"),
    ("MEDICAL_CLAIMS", "Total Charges", "1,250.00|89.50", "BILLED_AMOUNT"),
    ("MEDICAL_CLAIMS", "Submitted Chg", "$450.00|$75.25", "BILLED_AMOUNT"),
    ("MEDICAL_CLAIMS", "Allowed Amt", "300.00|60.00", "ALLOWED_AMOUNT"),
    ("MEDICAL_CLAIMS", "Contracted Amount", "310.15|58.00", "ALLOWED_AMOUNT"),
    ("MEDICAL_CLAIMS", "Plan Paid", "240.00|48.00", "PAID_AMOUNT"),
    ("MEDICAL_CLAIMS", "Net Payment", "200.00|40.00", "PAID_AMOUNT"),
    ("MEDICAL_CLAIMS", "Patient Responsibility", "60.00|12.00", "MEMBER_RESPONSIBILITY"),
    ("MEDICAL_CLAIMS", "Member Liability", "20.00|0.00", "MEMBER_RESPONSIBILITY"),
    ("MEDICAL_CLAIMS", "Claim Status Cd", "PAID|DENIED", "CLAIM_STATUS"),
    ("MEDICAL_CLAIMS", "Adjudication Date", "2024-03-01|2024-03-02", "PROCESSED_DATE"),
    ("MEDICAL_CLAIMS", "Record Created", "2024-03-01 10:22:01|2024-03-01 10:22:02", "CREATED_AT"),
    ("MEDICAL_CLAIMS", "Bill Type", "0131|0111", ""),
    ("MEDICAL_CLAIMS", "Line Seq", "1|2", ""),
    ("DENTAL_CLAIMS", "Dental Claim #", "D-88812|D-88813", "CLAIM_ID"),
    ("DENTAL_CLAIMS", "MemberNumber", "100234|100235", "MEMBER_ID"),
    ("DENTAL_CLAIMS", "Treating Dentist NPI", "1467539280|1720938475", "DENTIST_ID"),
    ("DENTAL_CLAIMS", "Dentist", "BRIGHT SMILES DDS|ORAL CARE PC", "DENTIST_NAME"),
    ("DENTAL_CLAIMS", "Date of Service", "2024-01-09|2024-01-10", "SERVICE_DATE"),
    ("DENTAL_CLAIMS", "Tooth #", "14|3", "TOOTH_NUMBER"),
    ("DENTAL_CLAIMS", "CDT Code", "D2391|D1110", "PROCEDURE_CODE"),
    ("DENTAL_CLAIMS", "Tooth Surface", "MO|DOL", "SURFACE"),
    ("DENTAL_CLAIMS", "Fee Submitted", "185.00|95.00", "BILLED_AMOUNT"),
    ("DENTAL_CLAIMS", "Max Allowable", "150.00|80.00", "ALLOWED_AMOUNT"),
    ("DENTAL_CLAIMS", "Benefit Paid", "120.00|80.00", "PAID_AMOUNT"),
    ("DENTAL_CLAIMS", "Pt Pays", "30.00|0.00", "MEMBER_RESPONSIBILITY"),
    ("DENTAL_CLAIMS", "Status", "APPROVED|PENDED", "CLAIM_STATUS"),
    ("DENTAL_CLAIMS", "Quadrant", "UR|LL", ""),
    ("PHARMACY_CLAIMS", "Rx Claim ID", "RX000123|RX000124", "CLAIM_ID"),
    ("PHARMACY_CLAIMS", "Cardholder ID", "ABC123456701|ABC123456702", "MEMBER_ID"),
    ("PHARMACY_CLAIMS", "Pharmacy NCPDP", "0512345|3398765", "PHARMACY_ID"),
    ("PHARMACY_CLAIMS", "Pharmacy Nm", "CVS #1234|WALGREENS 998", "PHARMACY_NAME"),
    ("PHARMACY_CLAIMS", "Date Filled", "2024-02-11|2024-02-12", "FILL_DATE"),
    ("PHARMACY_CLAIMS", "NDC11", "00093505601|68180051301", "NDC_CODE"),
    ("PHARMACY_CLAIMS", "Drug Description", "ATORVASTATIN 20MG TAB|METFORMIN 500MG", "DRUG_NAME"),
    ("PHARMACY_CLAIMS", "Qty Dispensed", "30|90", "QUANTITY"),
    ("PHARMACY_CLAIMS", "Days Supply", "30|90", "DAYS_SUPPLY"),
    ("PHARMACY_CLAIMS", "Prescriber NPI", "1356472839|1093847562", "PRESCRIBER_ID"),
    ("PHARMACY_CLAIMS", "Usual & Customary", "45.99|12.00", "BILLED_AMOUNT"),
    ("PHARMACY_CLAIMS", "Approved Amount", "20.10|8.00", "ALLOWED_AMOUNT"),
    ("PHARMACY_CLAIMS", "Plan Pay Amt", "15.10|3.00", "PAID_AMOUNT"),
    ("PHARMACY_CLAIMS", "Copay Amount", "5.00|5.00", "MEMBER_COPAY"),
    ("PHARMACY_CLAIMS", "Claim Sts", "P|R", "CLAIM_STATUS"),
    ("PHARMACY_CLAIMS", "DAW", "0|1", ""),
    ("MEMBER_ELIGIBILITY", "Member #", "E000451|E000452", "MEMBER_ID"),
    ("MEMBER_ELIGIBILITY", "First", "MARIA|JAMES", "FIRST_NAME"),
    ("MEMBER_ELIGIBILITY", "Surname", "GARCIA|NGUYEN", "LAST_NAME"),
    ("MEMBER_ELIGIBILITY", "Birth Date", "1980-05-17|1975-11-02", "DATE_OF_BIRTH"),
    ("MEMBER_ELIGIBILITY", "Sex", "F|M", "GENDER"),
    ("MEMBER_ELIGIBILITY", "Street Address", "12 OAK ST|400 MAIN AVE", "ADDRESS_LINE1"),
    ("MEMBER_ELIGIBILITY", "Address 2", "APT 4|SUITE 200", "ADDRESS_LINE2"),
    ("MEMBER_ELIGIBILITY", "Town", "SPRINGFIELD|AUSTIN", "CITY"),
    ("MEMBER_ELIGIBILITY", "St", "IL|TX", "STATE"),
    ("MEMBER_ELIGIBILITY", "Postal Code", "62704|73301", "ZIP_CODE"),
    ("MEMBER_ELIGIBILITY", "Home Phone", "(217) 555-0199|512-555-0142", "PHONE"),
    ("MEMBER_ELIGIBILITY", "E-mail Address", "maria@example.com|jn@example.org", "EMAIL"),
    ("MEMBER_ELIGIBILITY", "Benefit Plan Code", "PPO500|HMO250", "PLAN_ID"),
    ("MEMBER_ELIGIBILITY", "Plan Description", "Gold PPO 500|Silver HMO", "PLAN_NAME"),
    ("MEMBER_ELIGIBILITY", "Coverage Start", "2024-01-01|2023-07-01", "EFFECTIVE_DATE"),
    ("MEMBER_ELIGIBILITY", "Coverage End", "2024-12-31|", "TERMINATION_DATE"),
    ("MEMBER_ELIGIBILITY", "Enrollment Status", "ACTIVE|TERMED", "STATUS"),
    ("MEMBER_ELIGIBILITY", "Employer Group", "ACME CORP|GLOBEX", ""),
]


async def _targets() -> dict[str, list[TargetColumn]]:
    return {
        table: [
            TargetColumn(c["COLUMN_NAME"], c["DATA_TYPE"], c["DESCRIPTION"] or "") for c in await schema_columns(table)
        ]
        for table in TABLES
    }


def _accuracy(cases: list[tuple[str, str, str, str]], targets: dict[str, list[TargetColumn]]) -> tuple[float, list]:
    misses = []
    for table, header, samples, expected in cases:
        values = [value for value in samples.split("|") if value]
        suggestions = suggest_mappings({header: values}, targets[table], top_n=1, min_confidence=0.6)
        got = suggestions[0].target_column if suggestions else ""
        if got != expected:
            misses.append((table, header, expected, got))
    return 1 - len(misses) / len(cases), misses


async def test_accuracy_on_the_shared_labelled_set():
    with LABELS.open(encoding="utf-8") as handle:
        cases = [
            (r["table_name"], r["source_field"], r["sample_values"], r["expected_column"])
            for r in csv.DictReader(handle)
        ]
    accuracy, misses = _accuracy(cases, await _targets())
    print(f"shared labelled set: {len(cases)} cases, accuracy {accuracy:.3f}")
    assert accuracy >= MINIMUM_ACCURACY, misses


async def test_accuracy_on_own_labelled_set():
    accuracy, misses = _accuracy(OWN_LABELS, await _targets())
    print(f"own labelled set: {len(OWN_LABELS)} cases, accuracy {accuracy:.3f}, misses {misses}")
    assert accuracy >= MINIMUM_ACCURACY, misses
