"""Deterministic auto-mapping of TPA source fields onto target schema columns.

Every (source field, target column) pair is scored from three signals:

* ``synonym``: weighted alignment of canonical concept tokens. Headers are split
  (camelCase, snake_case, punctuation, glued words), abbreviations and healthcare
  synonyms are folded onto canonical concepts ("Mbr #" -> member id, "DOS" ->
  service date) and related concepts earn partial credit (rendering provider vs
  dentist, date of service vs fill date).
* ``name``: fuzzy similarity of the cleaned header text (rapidfuzz). It can only
  lift the synonym score, for spellings the vocabulary does not know.
* ``profile``: how well the sample values fit what the target column holds
  (ICD-10 codes for a diagnosis column, money for an amount, dates for a date).

Pure functions, no I/O, same input always gives the same output.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from silver.match_names import alignment_score, concept_tokens, plain_text, value_families
from silver.match_values import Expectation, classify_value, expected_value_kinds, profile_fit

__all__ = ["Suggestion", "TargetColumn", "suggest_mappings"]


@dataclass(frozen=True)
class TargetColumn:
    name: str
    data_type: str
    description: str = ""


@dataclass(frozen=True)
class Suggestion:
    source_field: str
    target_column: str
    confidence: float
    reasons: str


_DESCRIPTION_DISCOUNT = 0.95
_VALUE_CLASS_CLASH_PENALTY = 0.75
_NAME_FUZZY_WEIGHT = 0.15
_PROFILE_WEIGHT = 0.2


_COMPATIBLE_STORAGE: dict[str, frozenset[str]] = {
    "identifier": frozenset({"text", "numeric", "any", "bool"}),
    "temporal": frozenset({"temporal", "any"}),
    "money": frozenset({"numeric", "any"}),
    "text": frozenset({"text", "any"}),
    "category": frozenset({"text", "any"}),
}


def _storage_family(data_type: str) -> str:
    upper = data_type.strip().upper()
    if upper.startswith(("TIMESTAMP", "DATETIME", "DATE", "TIME")):
        return "temporal"
    if upper.startswith(("NUMBER", "NUMERIC", "DECIMAL", "FLOAT", "DOUBLE", "REAL", "INT", "BIGINT", "SMALLINT")):
        return "numeric"
    if upper.startswith(("BOOL",)):
        return "bool"
    if upper.startswith(("VARIANT", "OBJECT", "ARRAY")):
        return "any"
    return "text"


def _value_class_clash(source_families: frozenset[str], target: _PreparedTarget) -> bool:
    """True when the header names a kind of value the target cannot hold ("Paid Date" vs an amount)."""
    if not source_families:
        return False
    fits_storage = any(target.storage in _COMPATIBLE_STORAGE[family] for family in source_families)
    fits_name = not target.value_families or bool(source_families & target.value_families)
    return not (fits_storage and fits_name)


# --------------------------------------------------------------------------- matching

_MAX_PROFILED_SAMPLES = 50
# Headers longer than this are scored on their first characters only.
_MAX_FIELD_NAME_LENGTH = 200


@dataclass(frozen=True)
class _PreparedTarget:
    column: TargetColumn
    position: int
    name_tokens: tuple[str, ...]
    description_tokens: tuple[str, ...]
    plain_name: str
    storage: str
    value_families: frozenset[str]
    expectation: Expectation


@dataclass(frozen=True)
class _PreparedSource:
    field: str
    position: int
    tokens: tuple[str, ...]
    plain_name: str
    value_families: frozenset[str]
    value_kinds: tuple[frozenset[str], ...]


@dataclass(frozen=True)
class _Candidate:
    source_position: int
    target_position: int
    score: float
    suggestion: Suggestion


def _prepare_target(column: TargetColumn, position: int) -> _PreparedTarget:
    name_tokens = concept_tokens(column.name)
    description_tokens = concept_tokens(column.description) if column.description else ()
    storage = _storage_family(column.data_type)
    return _PreparedTarget(
        column=column,
        position=position,
        name_tokens=name_tokens,
        description_tokens=description_tokens,
        plain_name=plain_text(column.name),
        storage=storage,
        value_families=value_families(name_tokens),
        expectation=expected_value_kinds(frozenset(name_tokens + description_tokens), column.data_type, storage),
    )


def _prepare_source(field: str, samples: Sequence[str | None], position: int) -> _PreparedSource:
    present = [str(sample).strip() for sample in samples if sample is not None and str(sample).strip()]
    name = field[:_MAX_FIELD_NAME_LENGTH]
    tokens = concept_tokens(name)
    return _PreparedSource(
        field=field,
        position=position,
        tokens=tokens,
        plain_name=plain_text(name),
        value_families=value_families(tokens),
        value_kinds=tuple(classify_value(value) for value in present[:_MAX_PROFILED_SAMPLES]),
    )


def _score_pair(
    source: _PreparedSource, target: _PreparedTarget, profile_cache: dict[Expectation, float]
) -> tuple[float, str]:
    synonym = alignment_score(source.tokens, target.name_tokens)
    if target.description_tokens:
        synonym = max(synonym, _DESCRIPTION_DISCOUNT * alignment_score(source.tokens, target.description_tokens))
    if _value_class_clash(source.value_families, target):
        synonym *= _VALUE_CLASS_CLASH_PENALTY
    name = fuzz.token_sort_ratio(source.plain_name, target.plain_name) / 100
    header = max(synonym, (1 - _NAME_FUZZY_WEIGHT) * synonym + _NAME_FUZZY_WEIGHT * name)
    if not source.value_kinds:
        return header, f"name={name:.2f} synonym={synonym:.2f} profile=n/a"
    profile = profile_cache.get(target.expectation)
    if profile is None:
        profile = profile_fit(source.value_kinds, target.expectation)
        profile_cache[target.expectation] = profile
    score = (1 - _PROFILE_WEIGHT) * header + _PROFILE_WEIGHT * profile
    return score, f"name={name:.2f} synonym={synonym:.2f} profile={profile:.2f}"


def suggest_mappings(
    source_fields: Mapping[str, Sequence[str | None]],
    targets: Sequence[TargetColumn],
    *,
    top_n: int = 1,
    min_confidence: float = 0.6,
    one_target_per_source: bool = True,
    unique_targets: bool = True,
) -> list[Suggestion]:
    """Suggest target columns for source fields, best first per source.

    ``source_fields`` maps each header (case preserved) to sample values. Only
    candidates whose rounded confidence reaches ``min_confidence`` are returned.

    * ``top_n`` > 1 returns up to ``top_n`` ranked candidates per source: the first
      is the proposed mapping, the rest are alternatives for a reviewer.
    * ``one_target_per_source`` (with ``top_n`` == 1) keeps only each source's
      mapping; when False a source also gets every other candidate that passes
      the threshold.
    * ``unique_targets`` gives each target to at most one source's mapping,
      greedily by score; a source that loses its best target falls back to its
      next best free one. Alternatives (ranks 2+) are not constrained.

    Output is ordered by source, then rank (mapping first, alternatives by confidence).
    """
    if top_n < 1:
        raise ValueError(f"top_n must be at least 1, got {top_n}")
    prepared_targets = [_prepare_target(column, position) for position, column in enumerate(targets)]
    per_source: list[list[_Candidate]] = []
    for source_position, (field, samples) in enumerate(source_fields.items()):
        source = _prepare_source(field, samples, source_position)
        profile_cache: dict[Expectation, float] = {}
        candidates: list[_Candidate] = []
        for target in prepared_targets:
            score, reasons = _score_pair(source, target, profile_cache)
            confidence = round(min(max(score, 0.0), 1.0), 3)
            if confidence < min_confidence:
                continue
            suggestion = Suggestion(field, target.column.name, confidence, reasons)
            candidates.append(_Candidate(source_position, target.position, score, suggestion))
        candidates.sort(key=lambda candidate: (-candidate.score, candidate.target_position))
        per_source.append(candidates)

    # With top_n > 1 only rank 1 is a mapping; ranks 2+ are alternatives for review.
    mappings_per_source = 1 if top_n > 1 or one_target_per_source else None
    mappings = _choose_mappings(per_source, mappings_per_source, unique_targets)
    results: list[Suggestion] = []
    for source_position, candidates in enumerate(per_source):
        chosen = mappings.get(source_position, [])
        if chosen and top_n > 1:
            alternatives = [candidate for candidate in candidates if candidate is not chosen[0]]
            chosen = [chosen[0], *alternatives[: top_n - 1]]
        results.extend(candidate.suggestion for candidate in chosen)
    return results


def _choose_mappings(
    per_source: Sequence[Sequence[_Candidate]], mappings_per_source: int | None, unique_targets: bool
) -> dict[int, list[_Candidate]]:
    """Pick each source's mappings; with unique targets the strongest claim on a target wins."""
    if not unique_targets:
        return {
            position: list(candidates[:mappings_per_source])
            for position, candidates in enumerate(per_source)
            if candidates
        }
    every_candidate = sorted(
        (candidate for candidates in per_source for candidate in candidates),
        key=lambda candidate: (-candidate.score, candidate.source_position, candidate.target_position),
    )
    chosen: dict[int, list[_Candidate]] = {}
    taken_targets: set[int] = set()
    for candidate in every_candidate:
        mapped = chosen.setdefault(candidate.source_position, [])
        if candidate.target_position in taken_targets:
            continue
        if mappings_per_source is not None and len(mapped) >= mappings_per_source:
            continue
        mapped.append(candidate)
        taken_targets.add(candidate.target_position)
    return {position: mapped for position, mapped in chosen.items() if mapped}
