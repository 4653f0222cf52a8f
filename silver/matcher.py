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

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process

__all__ = ["Suggestion", "TargetColumn", "normalize_field_name", "suggest_mappings"]


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


# --------------------------------------------------------------------------- vocabulary


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# Canonical concept -> single-token spellings seen in TPA headers.
_SYNONYM_GROUPS: dict[str, tuple[str, ...]] = {
    # parties
    "member": _words(
        "mbr mbrs mem memb membr members subscriber subscribers subscr subsc sbscr sub subs patient patients "
        "pat pt pnt ptnt insured enrollee beneficiary bene benef cardholder participant person individual "
        "indiv employee"
    ),
    "claim": _words("clm clms claims transaction txn"),
    "provider": _words(
        "prov provdr prvdr pvdr prv prvd providers physician phys doctor dr practitioner clinician facility "
        "rendering rend rndrng render billing attending servicing treating performing payee"
    ),
    "dentist": _words("dds dmd dentists"),
    "dental": _words("dent"),
    "pharmacy": _words("pharm phar phcy phmcy pharmacies store dispenser"),
    "prescriber": _words("prescribing prescr presc prscbr prsc prescribed prescribers"),
    "prescription": _words("rx rxs script prescriptions"),
    "payer": _words("payor ins insurance insurer carrier"),
    # events
    "service": _words("svc svcs srvc srv serv servc services incurred treatment visit"),
    "fill": _words("filled fills dispense dispensed dispensing disp dspn dispn"),
    "processed": _words(
        "process processing prcs prcsd adjudicated adjudication adjud adjd finalized finalised settled posted"
    ),
    "created": _words(
        "create creation crt crtd insert inserted load loaded ingest ingested ingestion added entered entry"
    ),
    "updated": _words("update upd updt modified changed maint maintenance"),
    "effective": _words("eff effect efft start strt begin beg bgn from frm enroll enrolled enrollment enrl"),
    "termination": _words(
        "term trm termed terminate terminated end ending thru through expiration expire expiry exp stop "
        "cancel cancelled canceled disenroll disenrolled disenrollment"
    ),
    "birth": _words("brth born"),
    # money
    "billed": _words(
        "bill bld billd charge charges chg chgs chrg chrgs charged submitted submit sbmt sbmtd subm gross claimed"
    ),
    "allowed": _words("allow allowable alwd allwd alw eligible contracted contract negotiated approved repriced"),
    "paid": _words("pd pay payment payments pymt pmt pmnt paymt reimbursed reimbursement reimb net check chk"),
    "responsibility": _words("resp responsible liability liab share portion owed"),
    "copay": _words("copays copayment copayments"),
    "coinsurance": _words("coins coinsur coinsure"),
    "deductible": _words("deduct ded ddct deductibles"),
    "benefit": _words("benefits"),
    "adjustment": _words("adjustments adjmt"),
    "authorization": _words("auth authorized authorisation prior preauth precert"),
    # codes and products
    "diagnosis": _words("diagnoses diag diagn dgns"),
    "procedure": _words("procedures prcdr prcd px"),
    "modifier": _words("mod modifiers mdfr"),
    "revenue": _words("rev"),
    "place_of_service": _words("pos"),
    "drug": _words("drugs drg medication medications med meds medicine product prod brand generic label"),
    "quantity": _words("qty qnty quant quan qnt units"),
    "days": _words("day dys dy"),
    "supply": _words("supp sup sply suply supl"),
    "refill": _words("refills rfl refl"),
    "tooth": _words("teeth tth toth"),
    "surface": _words("surfaces surf srfc srf surfc"),
    # demographics
    "first": _words("fst frst given"),
    "last": _words("lst family"),
    "middle": _words("mid initial"),
    "gender": _words("sex gndr gend"),
    "address": _words("addr adr addrs addresses street"),
    "city": _words("cty town municipality"),
    "state": _words("st stt province"),
    "zip": _words("postal"),
    "phone": _words("phones ph phn tel telephone cell mobile"),
    "fax": (),  # known, so "Fax Number" is never read as a phone by fuzzy matching
    "email": _words("emails eml"),
    "plan": _words("plans pln"),
    "status": _words("stat sts stus disposition active"),
    "eligibility": _words("elig"),
    "coverage": _words("cov covg coverages"),
    "line": _words("ln lne"),
    # value classes: what kind of thing the header says it holds
    "id": _words("identifier ident idn ids num number nbr no numb nmbr nr key ref reference control ctrl cntl"),
    "code": _words("codes cd cde"),
    "date": _words("dates dt dte dat yyyy yy mm dd yyyymmdd mmddyyyy ccyymmdd"),
    "timestamp": _words("ts tstamp tmstmp tmstp datetime dttm dtm dtime time tm"),
    "amount": _words("amounts amt amnt amts dollars dollar dlr usd fee fees"),
    "name": _words("names nm nme nam"),
    "desc": _words("description descr dsc"),
    "flag": _words("flg ind indicator indctr yn"),
    "type": _words("typ types category"),
    # ordinals: "Primary Dx" is diagnosis 1, "Address 2" is line 2
    "1": _words("primary prim pri principal prin one"),
    "2": _words("secondary sec second two"),
}

# Single tokens that stand for several concepts at once.
_TOKEN_EXPANSIONS: dict[str, tuple[str, ...]] = {
    "dos": ("service", "date"),
    "dob": ("birth", "date"),
    "bday": ("birth", "date"),
    "birthday": ("birth", "date"),
    "birthdate": ("birth", "date"),
    "npi": ("provider", "id"),
    "tin": ("provider", "id"),
    "nabp": ("pharmacy", "id"),
    "ncpdp": ("pharmacy", "id"),
    "dea": ("prescriber", "id"),
    "icn": ("claim", "id"),
    "tcn": ("claim", "id"),
    "dcn": ("claim", "id"),
    "ccn": ("claim", "id"),
    "cpt": ("procedure", "code"),
    "hcpcs": ("procedure", "code"),
    "hcpc": ("procedure", "code"),
    "cdt": ("procedure", "code"),
    "ada": ("procedure", "code"),
    "icd": ("diagnosis", "code"),
    "dx": ("diagnosis", "code"),
    "dxs": ("diagnosis", "code"),
    "ndc": ("ndc", "code"),
    "ndcs": ("ndc", "code"),
    "ds": ("days", "supply"),
    "fname": ("first", "name"),
    "lname": ("last", "name"),
    "surname": ("last", "name"),
    "forename": ("first", "name"),
    "mi": ("middle",),
    "zipcode": ("zip", "code"),
    "postcode": ("zip", "code"),
    "apt": ("address", "line", "2"),
    "apartment": ("address", "line", "2"),
    "suite": ("address", "line", "2"),
    "ste": ("address", "line", "2"),
    "oop": ("responsibility",),
}

# Multi-token spellings whose meaning is not the sum of their words (raw, pre-synonym tokens).
_RAW_PHRASES: dict[tuple[str, ...], tuple[str, ...]] = {
    ("e", "mail"): ("email",),
    ("co", "pay"): ("copay",),
    ("co", "payment"): ("copay",),
    ("co", "ins"): ("coinsurance",),
    ("co", "insurance"): ("coinsurance",),
    ("cost", "share"): ("responsibility",),
    ("cost", "sharing"): ("responsibility",),
    ("out", "of", "pocket"): ("responsibility",),
    ("national", "drug", "code"): ("ndc", "code"),
    ("drug", "code"): ("ndc", "code"),
    ("f", "name"): ("first", "name"),
    ("l", "name"): ("last", "name"),
    ("to", "date"): ("termination", "date"),
    ("to", "dt"): ("termination", "date"),
    ("place", "of", "service"): ("place_of_service",),
    ("type", "of", "bill"): ("bill_type",),
    ("bill", "type"): ("bill_type",),
    ("line", "of", "business"): ("line_of_business",),
    ("post", "code"): ("zip", "code"),
    ("dispense", "as", "written"): ("dispense_as_written",),
    ("usual", "and", "customary"): ("usual_customary",),
}

# Abbreviations whose meaning depends on whether the header talks about a date.
_DATE_CONTEXT_DEPENDENT: dict[str, tuple[str, str]] = {
    # token: (meaning next to a date, meaning otherwise)
    "proc": ("processed", "procedure"),
    "adj": ("processed", "adjustment"),
}

_NOISE_WORDS = frozenset(
    _words(
        "the of a an and or for in on by per is as to at field fld col column value val txt text data info "
        "information record rec row dw etl src source raw orig original actual total tot ttl hdr header dtl "
        "detail current curr cur mailing home residential permanent metric cm plus unique uniq level lvl "
        "system sys filler reserved spare unused blank"
    )
)

# Concept pairs that are not the same thing but often stand in for each other.
_RELATED_CONCEPTS: dict[frozenset[str], float] = {
    frozenset(pair): score
    for pair, score in (
        (("dentist", "provider"), 0.8),
        (("dentist", "dental"), 0.8),
        (("prescriber", "provider"), 0.75),
        (("pharmacy", "provider"), 0.6),
        (("service", "fill"), 0.75),
        (("service", "procedure"), 0.5),
        (("effective", "service"), 0.5),
        (("paid", "processed"), 0.8),
        (("created", "processed"), 0.4),
        (("responsibility", "copay"), 0.85),
        (("responsibility", "coinsurance"), 0.85),
        (("responsibility", "deductible"), 0.85),
        (("copay", "coinsurance"), 0.7),
        (("copay", "deductible"), 0.6),
        (("coinsurance", "deductible"), 0.6),
        (("drug", "ndc"), 0.7),
        (("prescription", "drug"), 0.6),
        (("prescription", "fill"), 0.6),
        (("prescription", "claim"), 0.5),
        (("eligibility", "coverage"), 0.9),
        (("eligibility", "allowed"), 0.6),
        (("benefit", "paid"), 0.7),
        (("benefit", "plan"), 0.7),
        (("id", "code"), 0.7),
        (("code", "type"), 0.7),
        (("date", "timestamp"), 0.8),
        (("name", "desc"), 0.8),
    )
}

# Tokens saying what kind of value a header holds, grouped by compatible value families.
_VALUE_CLASS_FAMILY: dict[str, str] = {
    "status": "category",
    "id": "identifier",
    "code": "identifier",
    "type": "identifier",
    "flag": "identifier",
    "date": "temporal",
    "timestamp": "temporal",
    "amount": "money",
    "name": "text",
    "desc": "text",
}
# Class tokens that are the whole subject of a column ("Status"), so they keep full weight.
_SUBJECT_CLASS_TOKENS = frozenset({"status"})
# Header words that are often implied ("Status" on a claims file means claim status).
_CONTEXT_TOKENS = frozenset({"claim", "member", "coverage", "eligibility", "line", "prescription", "dental"})
# Digits that qualify the previous word instead of numbering it ("ZIP 5", "ICD 10", "NDC 11").
_DIGIT_SWALLOWING_TOKENS = frozenset({"zip", "icd", "ndc", "cpt", "hcpcs"})

_CLASS_TOKEN_WEIGHT = 0.5
_CONTEXT_TOKEN_WEIGHT = 0.5
_ORDINAL_TOKEN_WEIGHT = 0.4
_DESCRIPTION_DISCOUNT = 0.95
_VALUE_CLASS_CLASH_PENALTY = 0.75
_DISJOINT_SUBJECT_PENALTY = 0.7
_NAME_FUZZY_WEIGHT = 0.15
_PROFILE_WEIGHT = 0.2


def _build_surface_lookup() -> dict[str, tuple[str, ...]]:
    lookup: dict[str, tuple[str, ...]] = {}
    for canonical, spellings in _SYNONYM_GROUPS.items():
        for spelling in (canonical, *spellings):
            lookup[spelling] = (canonical,)
    lookup.update(_TOKEN_EXPANSIONS)
    return lookup


_SURFACE_TO_CONCEPTS = _build_surface_lookup()
_KNOWN_CONCEPTS = frozenset(
    {concept for concepts in _SURFACE_TO_CONCEPTS.values() for concept in concepts}
    | {concept for concepts in _RAW_PHRASES.values() for concept in concepts}
    | {meaning for meanings in _DATE_CONTEXT_DEPENDENT.values() for meaning in meanings}
)
# Words a glued header ("memberid", "dateofservice") may be cut into.
_SEGMENT_VOCABULARY = frozenset(
    word for word in (*_SURFACE_TO_CONCEPTS, *_DATE_CONTEXT_DEPENDENT, "of") if len(word) >= 2 and word.isalpha()
)
# Full words an unknown abbreviation ("pymnt", "trmntn") may be a contraction of.
_LONG_SPELLINGS: tuple[str, ...] = tuple(
    sorted(word for word in _SURFACE_TO_CONCEPTS if len(word) >= 4 and word.isalpha())
)


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
    longest = max(len(phrase) for phrase in _RAW_PHRASES)
    result: list[str] = []
    position = 0
    while position < len(tokens):
        for length in range(min(longest, len(tokens) - position), 1, -1):
            replacement = _RAW_PHRASES.get(tuple(tokens[position : position + length]))
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
            if prefix is None or piece not in _SEGMENT_VOCABULARY:
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
    for word in _LONG_SPELLINGS:
        if word[0] != token[0] or len(word) <= len(token) or len(token) / len(word) < 0.35:
            continue
        prefix = _common_prefix_length(token, word)
        if prefix < minimum_prefix or not _is_subsequence(token, word):
            continue
        rank = prefix + (1 if token[-1] == word[-1] else 0)
        if len(token) < 5 and rank < 2:
            continue
        if rank > best_rank:
            best_rank, best_concepts = rank, {_SURFACE_TO_CONCEPTS[word]}
        elif rank == best_rank:
            best_concepts.add(_SURFACE_TO_CONCEPTS[word])
    if len(best_concepts) != 1:
        return None
    return best_concepts.pop()


@lru_cache(maxsize=4096)
def _correct_typo(token: str) -> tuple[str, ...] | None:
    if len(token) < 5 or not token.isalpha():
        return None
    match = process.extractOne(token, _LONG_SPELLINGS, scorer=fuzz.ratio, score_cutoff=85)
    return _SURFACE_TO_CONCEPTS[match[0]] if match else None


def _singular(token: str) -> str | None:
    if token.endswith("ies") and token[:-3] + "y" in _SURFACE_TO_CONCEPTS:
        return token[:-3] + "y"
    if token.endswith("s") and token[:-1] in _SURFACE_TO_CONCEPTS:
        return token[:-1]
    return None


# Segmentation is quadratic in the word's length; no real header glues more than a few words.
_MAX_GLUED_WORD_LENGTH = 40


def _concepts_for_unknown_word(token: str) -> tuple[str, ...]:
    singular = _singular(token)
    if singular is not None:
        return _SURFACE_TO_CONCEPTS[singular]
    segments = _segment_glued_word(token) if 4 <= len(token) <= _MAX_GLUED_WORD_LENGTH else None
    if segments is not None:
        concepts: list[str] = []
        for piece in segments:
            if piece in _DATE_CONTEXT_DEPENDENT:
                concepts.append(piece)
            elif piece not in _NOISE_WORDS:
                concepts.extend(_SURFACE_TO_CONCEPTS[piece])
        return tuple(concepts)
    return _expand_abbreviation(token) or _correct_typo(token) or (token,)


@lru_cache(maxsize=8192)
def _normalize(name: str) -> tuple[str, ...]:
    raw_tokens = _apply_raw_phrases(_split_raw_tokens(name))
    # "Created At" / "Updated At": a trailing "at" names a timestamp.
    if len(raw_tokens) >= 2 and raw_tokens[-1] == "at":
        raw_tokens[-1] = "timestamp"
    concepts: list[str] = []
    for previous, token in zip(["", *raw_tokens], raw_tokens, strict=False):
        if token in _NOISE_WORDS:
            continue
        if token.isdigit():
            # Single digits number a repeated field ("Dx 2"); longer numbers are versions or widths.
            if len(token) == 1 and token != "0" and previous not in _DIGIT_SWALLOWING_TOKENS:
                concepts.append(token)
            continue
        if token in _SURFACE_TO_CONCEPTS:
            concepts.extend(_SURFACE_TO_CONCEPTS[token])
        elif token in _KNOWN_CONCEPTS:
            concepts.append(token)
        elif token in _DATE_CONTEXT_DEPENDENT:
            concepts.append(token)
        else:
            concepts.extend(_concepts_for_unknown_word(token))
    has_date = any(concept in _TEMPORAL_CONCEPTS for concept in concepts)
    resolved = [
        _DATE_CONTEXT_DEPENDENT[concept][0 if has_date else 1] if concept in _DATE_CONTEXT_DEPENDENT else concept
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
    return list(_normalize(name))


@lru_cache(maxsize=8192)
def _plain_text(name: str) -> str:
    """Header words without synonym folding, for the raw fuzzy comparison."""
    return " ".join(token for token in _split_raw_tokens(name) if token not in _NOISE_WORDS)


# --------------------------------------------------------------------------- header scoring


@lru_cache(maxsize=65536)
def _token_similarity(left: str, right: str) -> float:
    if left == right:
        return 1.0
    related = _RELATED_CONCEPTS.get(frozenset((left, right)))
    if related is not None:
        return related
    if (left in _KNOWN_CONCEPTS and right in _KNOWN_CONCEPTS) or left.isdigit() or right.isdigit():
        return 0.0
    shorter, longer = sorted((left, right), key=len)
    # Only an unknown token can be a contraction; "fill" is not short for "filler".
    abbreviation_possible = shorter not in _KNOWN_CONCEPTS and len(shorter) >= 3
    if abbreviation_possible and shorter[0] == longer[0] and _is_subsequence(shorter, longer):
        return 0.8
    ratio = fuzz.ratio(left, right)
    return 0.9 * ratio / 100 if ratio >= 85 else 0.0


@lru_cache(maxsize=4096)
def _token_weight(token: str) -> float:
    if token in _VALUE_CLASS_FAMILY and token not in _SUBJECT_CLASS_TOKENS:
        return _CLASS_TOKEN_WEIGHT
    if token in _CONTEXT_TOKENS:
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
def _alignment_score(source: tuple[str, ...], target: tuple[str, ...]) -> float:
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


def _value_families(tokens: Sequence[str]) -> frozenset[str]:
    return frozenset(_VALUE_CLASS_FAMILY[token] for token in tokens if token in _VALUE_CLASS_FAMILY)


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


# --------------------------------------------------------------------------- value profiles


class _ValueKind:
    """Kinds of sample value; plain strings so hashing stays cheap in the hot loop."""

    DATE = "date"
    TIMESTAMP = "timestamp"
    MONEY = "money"
    INTEGER = "integer"
    DECIMAL = "decimal"
    CPT = "cpt"
    HCPCS = "hcpcs"
    CDT = "cdt"
    ICD = "icd"
    NDC = "ndc"
    TEN_DIGITS = "ten_digits"
    PHONE = "phone"
    ZIP = "zip"
    STATE = "state"
    EMAIL = "email"
    GENDER = "gender"
    TOOTH = "tooth"
    SURFACE = "surface"
    YES_NO = "yes_no"
    STATUS_WORD = "status_word"
    SHORT_CODE = "short_code"
    PERSON_NAME = "person_name"
    DRUG_TEXT = "drug_text"
    ADDRESS = "address"
    TEXT = "text"
    IDENTIFIER = "identifier"


_DATE_PART = (
    r"(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.](?:\d{4}|\d{2})"
    r"|\d{1,2}[- ]?[A-Za-z]{3}[- ]?\d{2,4}|[A-Za-z]{3,9}\.? \d{1,2},? \d{4})"
)
_DATE_PATTERN = re.compile(rf"^{_DATE_PART}$")
_COMPACT_DATE_PATTERN = re.compile(r"^(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])$")
_TIMESTAMP_PATTERN = re.compile(
    rf"^(?:{_DATE_PART}|\d{{8}})[T ]\d{{1,2}}:\d{{2}}(?::\d{{2}}(?:\.\d{{1,9}})?)?"
    r"(?:\s{0,2}[AaPp][Mm])?\s{0,2}(?:Z|[+-]\d{2}:?\d{2})?$"
)
_MONEY_PATTERN = re.compile(r"^[-+(]?\$?\s?-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d{2})?\)?$")
_INTEGER_PATTERN = re.compile(r"^-?\d+$")
_DECIMAL_PATTERN = re.compile(r"^-?\d*\.\d+$")
_CPT_PATTERN = re.compile(r"^\d{4}[0-9FTU](?:-?[0-9A-Z]{2})?$")
_HCPCS_PATTERN = re.compile(r"^[A-V]\d{4}(?:-?[0-9A-Z]{2})?$")
_CDT_PATTERN = re.compile(r"^D\d{4}$")
_ICD10_PATTERN = re.compile(r"^[A-TV-Z]\d[0-9A-Z](?:\.?[0-9A-Z]{1,4})?$")
# Numeric ICD-9 codes ("250.00") are indistinguishable from money, so only V/E codes count.
_ICD9_PATTERN = re.compile(r"^(?:V\d{2}|E\d{3})\.\d{1,2}$")
_NDC_PATTERN = re.compile(r"^(?:\d{11}|\d{4,5}-\d{3,4}-\d{1,2})$")
_PHONE_PATTERN = re.compile(
    r"^(?:\+?1[-. ]?)?(?:\(\d{3}\)\s?|\d{3}[-. ])\d{3}[-. ]\d{4}(?:\s{0,2}(?:x|ext\.?)\s{0,2}\d{1,6})?$"
)
_ZIP_PATTERN = re.compile(r"^\d{5}(?:-?\d{4})?$")
_EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_SURFACE_PATTERN = re.compile(r"^[MODBLFI]{1,5}$")
_PERSON_NAME_PATTERN = re.compile(r"^[A-Za-z][A-Za-z'.\-]*(?:,? [A-Za-z][A-Za-z'.\-]*){0,3}$")
_DRUG_TEXT_PATTERN = re.compile(
    r"\d\s{0,2}(?:MG|MCG|ML|G|%|UNIT|IU|MEQ)\b|\b(?:TAB|TABS|CAP|CAPS|SOLN|SUSP|INJ|CREAM|OINT|ER|XR|HCL)\b",
    re.IGNORECASE,
)
_ADDRESS_PATTERN = re.compile(
    r"^(?:\d+[A-Za-z]?\s+\w+.*|.*\b(?:APT|SUITE|STE|UNIT|P\.?O\.? BOX|BLDG|FL)\b.*|#\s*\w+)$", re.IGNORECASE
)
_IDENTIFIER_PATTERN = re.compile(r"^(?=.*\d)[A-Za-z0-9][A-Za-z0-9\-_]{2,}$")
_US_STATES = frozenset(
    "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ "
    "NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC PR VI GU AS MP".split()
)
_GENDER_VALUES = frozenset({"m", "f", "u", "x", "male", "female", "unknown", "nonbinary", "non-binary"})
_YES_NO_VALUES = frozenset({"y", "n", "yes", "no", "true", "false", "t", "f", "0", "1"})
_STATUS_WORDS = frozenset(
    {
        "paid",
        "denied",
        "deny",
        "pending",
        "pend",
        "pended",
        "approved",
        "rejected",
        "reject",
        "reversed",
        "reversal",
        "adjusted",
        "void",
        "voided",
        "active",
        "inactive",
        "termed",
        "terminated",
        "cancelled",
        "canceled",
        "suspended",
        "open",
        "closed",
        "submitted",
        "processed",
        "hold",
        "on hold",
        "in process",
        "captured",
        "accepted",
        "finalized",
        "partial",
        "partially paid",
        "eligible",
        "ineligible",
        "cobra",
        "retired",
    }
)


_NOT_IDENTIFIERS = frozenset({_ValueKind.DATE, _ValueKind.TIMESTAMP, _ValueKind.MONEY, _ValueKind.PHONE})


# Claims values are short; a longer cell is free text and is never run through the patterns, so no
# value, however crafted, costs more than a bounded amount of matching.
_MAX_CLASSIFIED_LENGTH = 120
_LONG_TEXT = frozenset({_ValueKind.TEXT})


@lru_cache(maxsize=65536)
def _classify_value(value: str) -> frozenset[str]:  # noqa: C901 (one pattern per value kind, first match wins)
    if len(value) > _MAX_CLASSIFIED_LENGTH:
        return _LONG_TEXT
    kinds: set[str] = set()
    upper = value.upper()
    lower = value.lower()
    if _TIMESTAMP_PATTERN.match(value):
        kinds.add(_ValueKind.TIMESTAMP)
    elif _DATE_PATTERN.match(value) or _COMPACT_DATE_PATTERN.match(value):
        kinds.add(_ValueKind.DATE)
    digits_only = value.isdigit()
    if _MONEY_PATTERN.match(value) and ("$" in value or "." in value or "," in value):
        kinds.add(_ValueKind.MONEY)
    if _INTEGER_PATTERN.match(value):
        kinds.add(_ValueKind.INTEGER)
        if digits_only and 1 <= int(value) <= 32 and len(value) <= 2:
            kinds.add(_ValueKind.TOOTH)
    elif _DECIMAL_PATTERN.match(value):
        kinds.add(_ValueKind.DECIMAL)
    if _CPT_PATTERN.match(upper):
        kinds.add(_ValueKind.CPT)
    if _HCPCS_PATTERN.match(upper):
        kinds.add(_ValueKind.HCPCS)
    if _CDT_PATTERN.match(upper):
        kinds.add(_ValueKind.CDT)
    if _ICD10_PATTERN.match(upper) or _ICD9_PATTERN.match(upper):
        kinds.add(_ValueKind.ICD)
    if _NDC_PATTERN.match(value):
        kinds.add(_ValueKind.NDC)
    if digits_only and len(value) == 10:
        kinds.add(_ValueKind.TEN_DIGITS)
    if _PHONE_PATTERN.match(value):
        kinds.add(_ValueKind.PHONE)
    if _ZIP_PATTERN.match(value):
        kinds.add(_ValueKind.ZIP)
    if upper in _US_STATES:
        kinds.add(_ValueKind.STATE)
    if _EMAIL_PATTERN.match(value):
        kinds.add(_ValueKind.EMAIL)
    if lower in _GENDER_VALUES:
        kinds.add(_ValueKind.GENDER)
    if len(value) == 1 and "A" <= upper <= "T":
        kinds.add(_ValueKind.TOOTH)
    if _SURFACE_PATTERN.match(value) and len(set(value)) == len(value):
        kinds.add(_ValueKind.SURFACE)
    if lower in _YES_NO_VALUES:
        kinds.add(_ValueKind.YES_NO)
    if lower in _STATUS_WORDS:
        kinds.add(_ValueKind.STATUS_WORD)
    if value.isalpha() and value.isupper() and len(value) <= 3:
        kinds.add(_ValueKind.SHORT_CODE)
    if _PERSON_NAME_PATTERN.match(value) and len(value) > 1:
        kinds.add(_ValueKind.PERSON_NAME)
    if _DRUG_TEXT_PATTERN.search(value) and any(char.isalpha() for char in value) and len(value) > 4:
        kinds.add(_ValueKind.DRUG_TEXT)
    if _ADDRESS_PATTERN.match(value) and any(char.isalpha() for char in value) and " " in value:
        kinds.add(_ValueKind.ADDRESS)
    if _IDENTIFIER_PATTERN.match(value) and not kinds & _NOT_IDENTIFIERS:
        kinds.add(_ValueKind.IDENTIFIER)
    if sum(char.isalpha() for char in value) >= 2:
        kinds.add(_ValueKind.TEXT)
    return frozenset(kinds)


_Expectation = tuple[tuple[str, float], ...]
_NEUTRAL_PROFILE_FIT = 0.6
_PROVIDER_LIKE = frozenset({"provider", "dentist", "pharmacy", "prescriber"})


def _expected_value_kinds(concepts: frozenset[str], data_type: str, storage: str) -> _Expectation:  # noqa: C901 (one branch per target type family)
    """What sample values a target column should see, with how telling each kind is."""
    kind = _ValueKind
    if storage == "temporal":
        if data_type.strip().upper().startswith(("TIMESTAMP", "DATETIME")):
            return ((kind.TIMESTAMP, 1.0), (kind.DATE, 0.8))
        return ((kind.DATE, 1.0), (kind.TIMESTAMP, 0.8))
    if storage == "numeric":
        if "quantity" in concepts or "supply" in concepts or "days" in concepts:
            return ((kind.INTEGER, 1.0), (kind.DECIMAL, 0.9), (kind.MONEY, 0.6))
        scale = re.search(r",\s*(\d+)\s*\)", data_type)
        if scale is not None and scale.group(1) == "0":
            return ((kind.INTEGER, 1.0), (kind.DECIMAL, 0.4))
        return ((kind.MONEY, 1.0), (kind.DECIMAL, 0.9), (kind.INTEGER, 0.8))
    if storage == "bool":
        return ((kind.YES_NO, 1.0),)
    if storage == "any":
        return ()
    semantic_expectations: tuple[tuple[str, _Expectation], ...] = (
        ("ndc", ((kind.NDC, 1.0),)),
        ("diagnosis", ((kind.ICD, 1.0),)),
        ("procedure", ((kind.CPT, 1.0), (kind.HCPCS, 1.0), (kind.CDT, 1.0))),
        ("surface", ((kind.SURFACE, 1.0),)),
        ("tooth", ((kind.TOOTH, 1.0),)),
        ("gender", ((kind.GENDER, 1.0),)),
        ("zip", ((kind.ZIP, 1.0),)),
        ("state", ((kind.STATE, 1.0), (kind.PERSON_NAME, 0.4))),
        ("email", ((kind.EMAIL, 1.0),)),
        ("phone", ((kind.PHONE, 1.0), (kind.TEN_DIGITS, 0.9))),
        ("status", ((kind.STATUS_WORD, 1.0), (kind.SHORT_CODE, 0.8))),
        ("address", ((kind.ADDRESS, 1.0), (kind.TEXT, 0.5))),
        ("drug", ((kind.DRUG_TEXT, 1.0), (kind.TEXT, 0.8), (kind.PERSON_NAME, 0.7))),
    )
    for concept, expectation in semantic_expectations:
        if concept in concepts:
            return expectation
    if concepts & {"name", "desc", "city", "first", "last"}:
        return ((kind.PERSON_NAME, 1.0), (kind.TEXT, 0.7))
    # Almost anything looks like a generic identifier, so that evidence is weaker than a specific kind.
    if concepts & {"id", "code"}:
        if concepts & _PROVIDER_LIKE:
            return ((kind.TEN_DIGITS, 1.0), (kind.IDENTIFIER, 0.6), (kind.INTEGER, 0.6))
        return ((kind.IDENTIFIER, 0.7), (kind.INTEGER, 0.6), (kind.TEN_DIGITS, 0.5), (kind.SHORT_CODE, 0.4))
    return ()


def _profile_fit(value_kinds: Sequence[frozenset[str]], expectation: _Expectation) -> float:
    if not expectation:
        return _NEUTRAL_PROFILE_FIT
    total = 0.0
    for kinds in value_kinds:
        total += max((weight for kind, weight in expectation if kind in kinds), default=0.0)
    return total / len(value_kinds)


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
    expectation: _Expectation


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
    name_tokens = _normalize(column.name)
    description_tokens = _normalize(column.description) if column.description else ()
    storage = _storage_family(column.data_type)
    return _PreparedTarget(
        column=column,
        position=position,
        name_tokens=name_tokens,
        description_tokens=description_tokens,
        plain_name=_plain_text(column.name),
        storage=storage,
        value_families=_value_families(name_tokens),
        expectation=_expected_value_kinds(frozenset(name_tokens + description_tokens), column.data_type, storage),
    )


def _prepare_source(field: str, samples: Sequence[str | None], position: int) -> _PreparedSource:
    present = [str(sample).strip() for sample in samples if sample is not None and str(sample).strip()]
    name = field[:_MAX_FIELD_NAME_LENGTH]
    tokens = _normalize(name)
    return _PreparedSource(
        field=field,
        position=position,
        tokens=tokens,
        plain_name=_plain_text(name),
        value_families=_value_families(tokens),
        value_kinds=tuple(_classify_value(value) for value in present[:_MAX_PROFILED_SAMPLES]),
    )


def _score_pair(
    source: _PreparedSource, target: _PreparedTarget, profile_cache: dict[_Expectation, float]
) -> tuple[float, str]:
    synonym = _alignment_score(source.tokens, target.name_tokens)
    if target.description_tokens:
        synonym = max(synonym, _DESCRIPTION_DISCOUNT * _alignment_score(source.tokens, target.description_tokens))
    if _value_class_clash(source.value_families, target):
        synonym *= _VALUE_CLASS_CLASH_PENALTY
    name = fuzz.token_sort_ratio(source.plain_name, target.plain_name) / 100
    header = max(synonym, (1 - _NAME_FUZZY_WEIGHT) * synonym + _NAME_FUZZY_WEIGHT * name)
    if not source.value_kinds:
        return header, f"name={name:.2f} synonym={synonym:.2f} profile=n/a"
    profile = profile_cache.get(target.expectation)
    if profile is None:
        profile = _profile_fit(source.value_kinds, target.expectation)
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
        profile_cache: dict[_Expectation, float] = {}
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
