"""Tests for the source-field -> target-column auto-mapping matcher (pure Python, no Django)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from silver.match_names import normalize_field_name
from silver.matcher import Suggestion, TargetColumn, suggest_mappings

pytestmark = pytest.mark.pure

_TESTS_DIR = Path(__file__).resolve().parent
_LABELS = _TESTS_DIR / "data" / "mapping_labels.csv"
_HOLDOUT_LABELS = _TESTS_DIR / "data" / "mapping_labels_holdout.csv"
_SHARED_TARGET_SCHEMAS = Path("/work/shared/spec/target_schemas.csv")
# The target schemas the app seeds (silver/seed), read where they live so these tests run without the shared folder.
_SEED_TARGET_SCHEMAS = _TESTS_DIR.parent / "silver" / "seed" / "target_schemas.csv"
_TABLES = ("MEDICAL_CLAIMS", "DENTAL_CLAIMS", "PHARMACY_CLAIMS", "MEMBER_ELIGIBILITY")
_REQUIRED_ACCURACY = 0.95
_REASONS_FORMAT = re.compile(r"^name=\d\.\d\d synonym=\d\.\d\d profile=(?:\d\.\d\d|n/a)$")


# The shared conftest prepares a Django warehouse for every test; the matcher needs none of it.
@pytest.fixture(scope="session", autouse=True)
def migrated_warehouse() -> Iterator[None]:
    yield


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    return None


@dataclass(frozen=True)
class LabelledField:
    table_name: str
    source_field: str
    samples: tuple[str, ...]
    expected_column: str


def _load_targets(schema_csv: str) -> dict[str, list[TargetColumn]]:
    targets: dict[str, list[TargetColumn]] = {}
    for row in csv.DictReader(io.StringIO(schema_csv)):
        column = TargetColumn(row["COLUMN_NAME"], row["DATA_TYPE"], row["DESCRIPTION"])
        targets.setdefault(row["TABLE_NAME"], []).append(column)
    return targets


def _load_labels(path: Path) -> list[LabelledField]:
    with path.open(newline="") as handle:
        return [
            LabelledField(
                table_name=row["table_name"],
                source_field=row["source_field"],
                samples=tuple(row["sample_values"].split("|")) if row["sample_values"] else (),
                expected_column=row["expected_column"],
            )
            for row in csv.DictReader(handle)
        ]


@pytest.fixture(scope="module")
def targets_by_table() -> dict[str, list[TargetColumn]]:
    return _load_targets(_SEED_TARGET_SCHEMAS.read_text())


def test_seeded_target_schema_matches_shared_spec() -> None:
    if not _SHARED_TARGET_SCHEMAS.exists():
        pytest.skip(f"shared spec not present at {_SHARED_TARGET_SCHEMAS}")
    assert _load_targets(_SHARED_TARGET_SCHEMAS.read_text()) == _load_targets(_SEED_TARGET_SCHEMAS.read_text())


def _top_choice(field: LabelledField, targets: list[TargetColumn]) -> Suggestion | None:
    suggestions = suggest_mappings({field.source_field: field.samples}, targets, top_n=1, min_confidence=0)
    return suggestions[0] if suggestions else None


def _accuracy(labels: list[LabelledField], table: str, targets: list[TargetColumn]) -> tuple[float, list[str]]:
    mapped = [field for field in labels if field.table_name == table and field.expected_column]
    misses = []
    for field in mapped:
        top = _top_choice(field, targets)
        if top is None or top.target_column != field.expected_column:
            misses.append(f"{field.source_field!r}: expected {field.expected_column}, got {top}")
    return 1 - len(misses) / len(mapped), misses


def test_labelled_set_is_large_and_covers_every_table_and_column(
    targets_by_table: dict[str, list[TargetColumn]],
) -> None:
    labels = _load_labels(_LABELS)
    assert len(labels) >= 300
    assert any(not field.expected_column for field in labels)
    for table in _TABLES:
        labelled_columns = {field.expected_column for field in labels if field.table_name == table}
        assert {column.name for column in targets_by_table[table]} <= labelled_columns


@pytest.mark.parametrize("table", _TABLES)
def test_rank_one_accuracy_on_labelled_set(table: str, targets_by_table: dict[str, list[TargetColumn]]) -> None:
    accuracy, misses = _accuracy(_load_labels(_LABELS), table, targets_by_table[table])
    assert accuracy >= _REQUIRED_ACCURACY, "\n".join(misses)


@pytest.mark.parametrize("table", _TABLES)
def test_rank_one_accuracy_on_holdout_set(table: str, targets_by_table: dict[str, list[TargetColumn]]) -> None:
    accuracy, misses = _accuracy(_load_labels(_HOLDOUT_LABELS), table, targets_by_table[table])
    assert accuracy >= _REQUIRED_ACCURACY, "\n".join(misses)


def test_fields_without_a_target_are_not_suggested_at_default_threshold(
    targets_by_table: dict[str, list[TargetColumn]],
) -> None:
    unmapped = [field for field in _load_labels(_LABELS) if not field.expected_column]
    confident = {
        field.source_field: suggest_mappings({field.source_field: field.samples}, targets_by_table[field.table_name])
        for field in unmapped
    }
    assert {field: suggestions for field, suggestions in confident.items() if suggestions} == {}


@pytest.mark.parametrize(
    ("header", "tokens"),
    [
        ("Mbr #", ["member", "id"]),
        ("PatientID", ["member", "id"]),
        ("DATE_OF_SVC", ["date", "service"]),
        ("DOS", ["service", "date"]),
        ("Rendering NPI", ["provider", "id"]),
        ("Billed Amt ($)", ["billed", "amount"]),
        ("ICD10 Code 1", ["diagnosis", "code", "1"]),
        ("memberid", ["member", "id"]),
        ("CREATED_AT", ["created", "timestamp"]),
        ("Proc Dt", ["processed", "date"]),
        ("Proc_Cd", ["procedure", "code"]),
        ("e-Mail", ["email"]),
        ("Filler", []),
    ],
)
def test_normalize_field_name(header: str, tokens: list[str]) -> None:
    assert normalize_field_name(header) == tokens


def test_suggestions_carry_rounded_confidence_and_reasons(targets_by_table: dict[str, list[TargetColumn]]) -> None:
    suggestions = suggest_mappings(
        {"Svc Dt": ["2024-01-15", None, ""], "Mbr #": []}, targets_by_table["MEDICAL_CLAIMS"], min_confidence=0
    )
    assert [(s.source_field, s.target_column) for s in suggestions] == [
        ("Svc Dt", "SERVICE_DATE"),
        ("Mbr #", "MEMBER_ID"),
    ]
    for suggestion in suggestions:
        assert 0 <= suggestion.confidence <= 1
        assert suggestion.confidence == round(suggestion.confidence, 3)
        assert _REASONS_FORMAT.match(suggestion.reasons), suggestion.reasons
    assert suggestions[0].reasons.endswith("profile=1.00")
    assert suggestions[1].reasons.endswith("profile=n/a")


def test_sample_values_overrule_a_weak_header_lean(targets_by_table: dict[str, list[TargetColumn]]) -> None:
    code_columns = [
        column for column in targets_by_table["MEDICAL_CLAIMS"] if column.name in ("DIAGNOSIS_CODE", "PROCEDURE_CODE")
    ]
    header_only = suggest_mappings({"Code 1": []}, code_columns, min_confidence=0)
    with_icd_codes = suggest_mappings({"Code 1": ["E11.9", "I10", "J45.909"]}, code_columns, min_confidence=0)
    with_cpt_codes = suggest_mappings({"Code 1": ["99213", "99214", "80053"]}, code_columns, min_confidence=0)
    assert header_only[0].target_column == "DIAGNOSIS_CODE"  # "1" echoes "Primary diagnosis code"
    assert with_icd_codes[0].target_column == "DIAGNOSIS_CODE"
    assert with_cpt_codes[0].target_column == "PROCEDURE_CODE"


def test_threshold_filters_weak_candidates(targets_by_table: dict[str, list[TargetColumn]]) -> None:
    medical = targets_by_table["MEDICAL_CLAIMS"]
    sources = {"Internal Batch Ref": ["BATCH-0001"], "Paid Amount": ["12.00"]}

    default = suggest_mappings(sources, medical)
    assert [(s.source_field, s.target_column) for s in default] == [("Paid Amount", "PAID_AMOUNT")]

    everything = suggest_mappings(sources, medical, min_confidence=0)
    assert [s.source_field for s in everything] == ["Internal Batch Ref", "Paid Amount"]
    assert everything[0].confidence < 0.6

    assert suggest_mappings(sources, medical, min_confidence=1.01) == []
    strict = suggest_mappings(sources, medical, min_confidence=0.9)
    assert all(suggestion.confidence >= 0.9 for suggestion in strict)


def test_unique_targets_gives_a_contested_target_to_the_stronger_source(
    targets_by_table: dict[str, list[TargetColumn]],
) -> None:
    medical = targets_by_table["MEDICAL_CLAIMS"]
    # The weaker claim comes first, so input order alone cannot decide.
    sources = {"Svc From Dt": [], "Service Date": []}

    shared = suggest_mappings(sources, medical, min_confidence=0, unique_targets=False)
    assert [s.target_column for s in shared] == ["SERVICE_DATE", "SERVICE_DATE"]

    unique = suggest_mappings(sources, medical, min_confidence=0)
    by_source = {suggestion.source_field: suggestion for suggestion in unique}
    assert by_source["Service Date"].target_column == "SERVICE_DATE"
    assert by_source["Svc From Dt"].target_column != "SERVICE_DATE"
    assert by_source["Svc From Dt"].confidence <= by_source["Service Date"].confidence


def test_top_n_returns_ranked_alternatives(targets_by_table: dict[str, list[TargetColumn]]) -> None:
    medical = targets_by_table["MEDICAL_CLAIMS"]
    ranked = suggest_mappings({"Billed Amt": ["125.00"]}, medical, top_n=3, min_confidence=0)
    assert len(ranked) == 3
    assert ranked[0].target_column == "BILLED_AMOUNT"
    assert len({s.target_column for s in ranked}) == 3
    confidences = [s.confidence for s in ranked]
    assert confidences == sorted(confidences, reverse=True)

    with pytest.raises(ValueError, match="top_n"):
        suggest_mappings({"Billed Amt": []}, medical, top_n=0)


def test_top_n_applies_unique_targets_to_first_rank_only(targets_by_table: dict[str, list[TargetColumn]]) -> None:
    medical = targets_by_table["MEDICAL_CLAIMS"]
    ranked = suggest_mappings({"Paid Amount": [], "Pd Amt": []}, medical, top_n=2, min_confidence=0)
    first_ranks = [ranked[0].target_column, ranked[2].target_column]
    assert len(set(first_ranks)) == 2
    assert "PAID_AMOUNT" in {s.target_column for s in ranked[2:]}


def test_one_target_per_source_false_allows_several_targets(targets_by_table: dict[str, list[TargetColumn]]) -> None:
    medical = targets_by_table["MEDICAL_CLAIMS"]
    several = suggest_mappings({"Amount": []}, medical, min_confidence=0.3, one_target_per_source=False)
    assert len(several) > 1
    assert len({s.target_column for s in several}) == len(several)
    single = suggest_mappings({"Amount": []}, medical, min_confidence=0.3)
    assert len(single) == 1


def test_two_hundred_fields_against_every_target(targets_by_table: dict[str, list[TargetColumn]]) -> None:
    # Columns shared by several tables (CLAIM_ID, ...) appear once, so target names stay unique.
    all_targets = list({column.name: column for table in _TABLES for column in targets_by_table[table]}.values())
    labels = _load_labels(_LABELS)
    sources = {f"{field.source_field} {index}": list(field.samples) * 5 for index, field in enumerate(labels[:200])}
    assert len(sources) == 200

    suggestions = suggest_mappings(sources, all_targets)

    assert suggestions == suggest_mappings(sources, all_targets)
    assert len({s.source_field for s in suggestions}) == len(suggestions)
    assert len({s.target_column for s in suggestions}) == len(suggestions)
    assert all(s.confidence >= 0.6 for s in suggestions)
    assert {s.source_field for s in suggestions} <= set(sources)


def test_empty_inputs() -> None:
    assert suggest_mappings({}, [TargetColumn("CLAIM_ID", "VARCHAR(100)")]) == []
    assert suggest_mappings({"Claim ID": []}, []) == []
    assert normalize_field_name("") == []
