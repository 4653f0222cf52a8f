"""The auto-mapping vocabulary: healthcare header spellings folded onto canonical concepts, phrases, noise words,
related concepts and the words that name a kind of value."""

from __future__ import annotations


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
RAW_PHRASES: dict[tuple[str, ...], tuple[str, ...]] = {
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
DATE_CONTEXT_DEPENDENT: dict[str, tuple[str, str]] = {
    # token: (meaning next to a date, meaning otherwise)
    "proc": ("processed", "procedure"),
    "adj": ("processed", "adjustment"),
}

NOISE_WORDS = frozenset(
    _words(
        "the of a an and or for in on by per is as to at field fld col column value val txt text data info "
        "information record rec row dw etl src source raw orig original actual total tot ttl hdr header dtl "
        "detail current curr cur mailing home residential permanent metric cm plus unique uniq level lvl "
        "system sys filler reserved spare unused blank"
    )
)

# Concept pairs that are not the same thing but often stand in for each other.
RELATED_CONCEPTS: dict[frozenset[str], float] = {
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
VALUE_CLASS_FAMILY: dict[str, str] = {
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
SUBJECT_CLASS_TOKENS = frozenset({"status"})
# Header words that are often implied ("Status" on a claims file means claim status).
CONTEXT_TOKENS = frozenset({"claim", "member", "coverage", "eligibility", "line", "prescription", "dental"})
# Digits that qualify the previous word instead of numbering it ("ZIP 5", "ICD 10", "NDC 11").
DIGIT_SWALLOWING_TOKENS = frozenset({"zip", "icd", "ndc", "cpt", "hcpcs"})


def _build_surface_lookup() -> dict[str, tuple[str, ...]]:
    lookup: dict[str, tuple[str, ...]] = {}
    for canonical, spellings in _SYNONYM_GROUPS.items():
        for spelling in (canonical, *spellings):
            lookup[spelling] = (canonical,)
    lookup.update(_TOKEN_EXPANSIONS)
    return lookup


SURFACE_TO_CONCEPTS = _build_surface_lookup()
KNOWN_CONCEPTS = frozenset(
    {concept for concepts in SURFACE_TO_CONCEPTS.values() for concept in concepts}
    | {concept for concepts in RAW_PHRASES.values() for concept in concepts}
    | {meaning for meanings in DATE_CONTEXT_DEPENDENT.values() for meaning in meanings}
)
# Words a glued header ("memberid", "dateofservice") may be cut into.
SEGMENT_VOCABULARY = frozenset(
    word for word in (*SURFACE_TO_CONCEPTS, *DATE_CONTEXT_DEPENDENT, "of") if len(word) >= 2 and word.isalpha()
)
# Full words an unknown abbreviation ("pymnt", "trmntn") may be a contraction of.
LONG_SPELLINGS: tuple[str, ...] = tuple(
    sorted(word for word in SURFACE_TO_CONCEPTS if len(word) >= 4 and word.isalpha())
)
