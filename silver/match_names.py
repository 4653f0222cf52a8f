"""Header names for auto-mapping: a header cut into canonical concept tokens (split, folded, abbreviations and
typos resolved) and the weighted alignment score of two headers' tokens."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

from rapidfuzz import fuzz, process

from silver.match_vocabulary import (
    CONTEXT_TOKENS,
    DATE_CONTEXT_DEPENDENT,
    DIGIT_SWALLOWING_TOKENS,
    KNOWN_CONCEPTS,
    LONG_SPELLINGS,
    NOISE_WORDS,
    RAW_PHRASES,
    RELATED_CONCEPTS,
    SEGMENT_VOCABULARY,
    SUBJECT_CLASS_TOKENS,
    SURFACE_TO_CONCEPTS,
    VALUE_CLASS_FAMILY,
)

_CLASS_TOKEN_WEIGHT = 0.5
_CONTEXT_TOKEN_WEIGHT = 0.5
_ORDINAL_TOKEN_WEIGHT = 0.4
_DISJOINT_SUBJECT_PENALTY = 0.7

# --------------------------------------------------------------------------- normalization

_SYMBOL_WORDS = {"#": " number ", "$": " amount ", "%": " percent ", "&": " and ", "+": " plus "}
_ACRONYM_PLURAL = re.compile(r"(?<=[A-Z]{2})s\b")
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_ALPHA_DIGIT_BOUNDARY = re.compile(r"(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z])")
_NON_ALPHANUMERIC = re.compile(r"[^a-z0-9]+")
_TEMPORAL_CONCEPTS = frozenset({"date", "timestamp"})
_MONEY_ROLES = frozenset({"allowed", "paid", "responsibility", "copay", "coinsurance", "deductible"})


def _split_raw_tokens(name: str) -> list[str]:
    decomposed = unicodedata.normalize("NFKD", name)
    text = "".join(char for char in decomposed if not unicodedata.combining(char))
    text = text.replace("'s", "").replace("'", "")
    for symbol, word in _SYMBOL_WORDS.items():
        text = text.replace(symbol, word)
    text = _ACRONYM_PLURAL.sub("S", text)
    text = _CAMEL_BOUNDARY.sub(" ", text).lower()
    text = _ALPHA_DIGIT_BOUNDARY.sub(" ", text)
    return [token for token in _NON_ALPHANUMERIC.split(text) if token]


def _apply_raw_phrases(tokens: list[str]) -> list[str]:
    longest = max(len(phrase) for phrase in RAW_PHRASES)
    result: list[str] = []
    position = 0
    while position < len(tokens):
        for length in range(min(longest, len(tokens) - position), 1, -1):
            replacement = RAW_PHRASES.get(tuple(tokens[position : position + length]))
            if replacement is not None:
                result.extend(replacement)
                position += length
                break
        else:
            result.append(tokens[position])
            position += 1
    return result


@lru_cache(maxsize=4096)
def _segment_glued_word(word: str) -> tuple[str, ...] | None:
    """Cut a glued word into the fewest known spellings, or None when it cannot be."""
    best: list[tuple[str, ...] | None] = [None] * (len(word) + 1)
    best[0] = ()
    for end in range(2, len(word) + 1):
        for start in range(0, end - 1):
            prefix = best[start]
            piece = word[start:end]
            if prefix is None or piece not in SEGMENT_VOCABULARY:
                continue
            candidate = (*prefix, piece)
            current = best[end]
            if current is None or len(candidate) < len(current):
                best[end] = candidate
    segments = best[len(word)]
    if segments is None or len(segments) < 2 or max(len(piece) for piece in segments) < 3:
        return None
    return segments


def _is_subsequence(short: str, long: str) -> bool:
    remaining = iter(long)
    return all(letter in remaining for letter in short)


def _common_prefix_length(left: str, right: str) -> int:
    length = 0
    for left_letter, right_letter in zip(left, right, strict=False):
        if left_letter != right_letter:
            break
        length += 1
    return length


@lru_cache(maxsize=4096)
def _expand_abbreviation(token: str) -> tuple[str, ...] | None:
    """Resolve a contraction such as "pymnt" or "ddctbl" to the concept of the one word it shortens."""
    if len(token) < 3 or not token.isalpha():
        return None
    if sum(letter in "aeiou" for letter in token[1:]) >= 2:
        # Vowels kept: a real word ("prior") unless it plainly starts the long word ("coinsrnc").
        minimum_prefix = 3
    else:
        minimum_prefix = 2 if len(token) == 3 else 1
    best_rank = -1
    best_concepts: set[tuple[str, ...]] = set()
    for word in LONG_SPELLINGS:
        if word[0] != token[0] or len(word) <= len(token) or len(token) / len(word) < 0.35:
            continue
        prefix = _common_prefix_length(token, word)
        if prefix < minimum_prefix or not _is_subsequence(token, word):
            continue
        rank = prefix + (1 if token[-1] == word[-1] else 0)
        if len(token) < 5 and rank < 2:
            continue
        if rank > best_rank:
            best_rank, best_concepts = rank, {SURFACE_TO_CONCEPTS[word]}
        elif rank == best_rank:
            best_concepts.add(SURFACE_TO_CONCEPTS[word])
    if len(best_concepts) != 1:
        return None
    return best_concepts.pop()


@lru_cache(maxsize=4096)
def _correct_typo(token: str) -> tuple[str, ...] | None:
    if len(token) < 5 or not token.isalpha():
        return None
    match = process.extractOne(token, LONG_SPELLINGS, scorer=fuzz.ratio, score_cutoff=85)
    return SURFACE_TO_CONCEPTS[match[0]] if match else None


def _singular(token: str) -> str | None:
    if token.endswith("ies") and token[:-3] + "y" in SURFACE_TO_CONCEPTS:
        return token[:-3] + "y"
    if token.endswith("s") and token[:-1] in SURFACE_TO_CONCEPTS:
        return token[:-1]
    return None


# Segmentation is quadratic in the word's length; no real header glues more than a few words.
_MAX_GLUED_WORD_LENGTH = 40


def _concepts_for_unknown_word(token: str) -> tuple[str, ...]:
    singular = _singular(token)
    if singular is not None:
        return SURFACE_TO_CONCEPTS[singular]
    segments = _segment_glued_word(token) if 4 <= len(token) <= _MAX_GLUED_WORD_LENGTH else None
    if segments is not None:
        concepts: list[str] = []
        for piece in segments:
            if piece in DATE_CONTEXT_DEPENDENT:
                concepts.append(piece)
            elif piece not in NOISE_WORDS:
                concepts.extend(SURFACE_TO_CONCEPTS[piece])
        return tuple(concepts)
    return _expand_abbreviation(token) or _correct_typo(token) or (token,)


@lru_cache(maxsize=8192)
def concept_tokens(name: str) -> tuple[str, ...]:
    raw_tokens = _apply_raw_phrases(_split_raw_tokens(name))
    # "Created At" / "Updated At": a trailing "at" names a timestamp.
    if len(raw_tokens) >= 2 and raw_tokens[-1] == "at":
        raw_tokens[-1] = "timestamp"
    concepts: list[str] = []
    for previous, token in zip(["", *raw_tokens], raw_tokens, strict=False):
        if token in NOISE_WORDS:
            continue
        if token.isdigit():
            # Single digits number a repeated field ("Dx 2"); longer numbers are versions or widths.
            if len(token) == 1 and token != "0" and previous not in DIGIT_SWALLOWING_TOKENS:
                concepts.append(token)
            continue
        if token in SURFACE_TO_CONCEPTS:
            concepts.extend(SURFACE_TO_CONCEPTS[token])
        elif token in KNOWN_CONCEPTS:
            concepts.append(token)
        elif token in DATE_CONTEXT_DEPENDENT:
            concepts.append(token)
        else:
            concepts.extend(_concepts_for_unknown_word(token))
    has_date = any(concept in _TEMPORAL_CONCEPTS for concept in concepts)
    resolved = [
        DATE_CONTEXT_DEPENDENT[concept][0 if has_date else 1] if concept in DATE_CONTEXT_DEPENDENT else concept
        for concept in concepts
    ]
    # Money a member pays is their cost share; money a plan or payer pays is the paid amount.
    if "paid" in resolved and ("plan" in resolved or "payer" in resolved):
        resolved = [concept for concept in resolved if concept not in ("plan", "payer")]
    elif "paid" in resolved and "member" in resolved:
        resolved = ["responsibility" if concept == "paid" else concept for concept in resolved]
    # Next to another money role a charge is just the money noun: "Allowed Charge" is the allowed amount.
    if "billed" in resolved and _MONEY_ROLES.intersection(resolved):
        resolved = ["amount" if concept == "billed" else concept for concept in resolved]
    return tuple(dict.fromkeys(resolved))


def normalize_field_name(name: str) -> list[str]:
    """Canonical concept tokens of a header: "Mbr #" -> ["member", "id"], "DOS" -> ["service", "date"]."""
    return list(concept_tokens(name))


@lru_cache(maxsize=8192)
def plain_text(name: str) -> str:
    """Header words without synonym folding, for the raw fuzzy comparison."""
    return " ".join(token for token in _split_raw_tokens(name) if token not in NOISE_WORDS)


# --------------------------------------------------------------------------- header scoring


@lru_cache(maxsize=65536)
def _token_similarity(left: str, right: str) -> float:
    if left == right:
        return 1.0
    related = RELATED_CONCEPTS.get(frozenset((left, right)))
    if related is not None:
        return related
    if (left in KNOWN_CONCEPTS and right in KNOWN_CONCEPTS) or left.isdigit() or right.isdigit():
        return 0.0
    shorter, longer = sorted((left, right), key=len)
    # Only an unknown token can be a contraction; "fill" is not short for "filler".
    abbreviation_possible = shorter not in KNOWN_CONCEPTS and len(shorter) >= 3
    if abbreviation_possible and shorter[0] == longer[0] and _is_subsequence(shorter, longer):
        return 0.8
    ratio = fuzz.ratio(left, right)
    return 0.9 * ratio / 100 if ratio >= 85 else 0.0


@lru_cache(maxsize=4096)
def _token_weight(token: str) -> float:
    if token in VALUE_CLASS_FAMILY and token not in SUBJECT_CLASS_TOKENS:
        return _CLASS_TOKEN_WEIGHT
    if token in CONTEXT_TOKENS:
        return _CONTEXT_TOKEN_WEIGHT
    if token.isdigit():
        return _ORDINAL_TOKEN_WEIGHT
    return 1.0


@lru_cache(maxsize=65536)
def _best_match(token: str, others: tuple[str, ...]) -> float:
    if token.isdigit() and not any(other.isdigit() for other in others):
        # An unnumbered header usually means the first one ("Address" is address line 1).
        return 0.8 if token == "1" else 0.3
    return max([_token_similarity(token, other) for other in others])


@lru_cache(maxsize=65536)
def alignment_score(source: tuple[str, ...], target: tuple[str, ...]) -> float:
    """Weighted two-way best-match overlap of concept tokens, 0..1.

    When either side names a subject the other side does not share at all
    ("BENE_SEX_IDENT_CD" vs MEMBER_ID share only "member" and "id"), matching
    value classes alone must not carry the score.
    """
    if not source or not target:
        return 0.0
    matched = 0.0
    total = 0.0
    subjects_disjoint = False
    for tokens, others in ((source, target), (target, source)):
        best_subject_match: float | None = None
        for token in tokens:
            weight = _token_weight(token)
            best = _best_match(token, others)
            matched += weight * best
            total += weight
            if weight == 1.0:  # a subject word, not a value class, implied context or ordinal
                best_subject_match = best if best_subject_match is None else max(best, best_subject_match)
        if best_subject_match is not None and best_subject_match < 0.5:
            subjects_disjoint = True
    score = matched / total
    return score * _DISJOINT_SUBJECT_PENALTY if subjects_disjoint else score


def value_families(tokens: Sequence[str]) -> frozenset[str]:
    return frozenset(VALUE_CLASS_FAMILY[token] for token in tokens if token in VALUE_CLASS_FAMILY)
