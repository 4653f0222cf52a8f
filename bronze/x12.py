"""X12 837 claims (professional 005010X222A1 and institutional 005010X223A2) through pyx12, which validates the
interchange against the HIPAA implementation guides while it reads. Each claim (loop 2300, CLM) becomes one
Bronze record: flat fields named after the MEDICAL_CLAIMS columns (the built-in mapping) plus the member,
patient, payer and provider loops and the service lines (loop 2400) as nested objects. An interchange pyx12
finds invalid fails with pyx12's first reason."""

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyx12.error_handler
import pyx12.errors
import pyx12.params
import pyx12.x12context

from bronze.parsing import BadFile, Record

# pyx12 logs each validation error with the offending element value, which can be member data.
logging.getLogger("pyx12").setLevel(logging.CRITICAL)

CLAIM_TYPES = {"005010X222A1": "PROFESSIONAL", "005010X223A2": "INSTITUTIONAL"}
FREQUENCIES = {"1": "ORIGINAL", "7": "REPLACEMENT", "8": "VOID"}
X12_SUFFIXES = (".837", ".x12", ".edi")


class _FirstError(pyx12.error_handler.err_handler):
    """pyx12's error tree, also keeping the first error's text for the FAILED reason."""

    def __init__(self) -> None:
        super().__init__()
        self.first: str | None = None

    def _note(self, text: str) -> None:
        if self.first is None:
            self.first = text

    def isa_error(self, err_cde: str, err_str: str) -> None:
        self._note(err_str)
        super().isa_error(err_cde, err_str)

    def gs_error(self, err_cde: str, err_str: str) -> None:
        self._note(err_str)
        super().gs_error(err_cde, err_str)

    def st_error(self, err_cde: str, err_str: str) -> None:
        self._note(err_str)
        super().st_error(err_cde, err_str)

    def seg_error(self, err_cde: str, err_str: str, err_value: str | None = None, src_line: int | None = None) -> None:
        self._note(err_str)
        super().seg_error(err_cde, err_str, err_value, src_line)

    def ele_error(self, err_cde: str, err_str: str, bad_value: str | None, refdes: str | None = None) -> None:
        self._note(err_str)
        super().ele_error(err_cde, err_str, bad_value, refdes)


def is_x12(path: Path) -> bool:
    with path.open("rb") as stream:
        return stream.read(3) == b"ISA"


def iter_claim_records(path: Path, *, batch_size: int = 1000) -> Iterator[list[Record]]:
    """Batches of ``(claim_number, record)``; raises BadFile when pyx12 finds the interchange invalid."""
    errors = _FirstError()
    claims = _Claims()
    batch: list[Record] = []
    with path.open(encoding="latin-1", newline="") as stream:
        try:
            reader = pyx12.x12context.X12ContextReader(pyx12.params.params(), errors, stream)
            for node in reader.iter_segments():
                if errors.first is not None:
                    raise BadFile(f"The X12 file is not a valid 837 (line {reader.src.get_cur_line()}): {errors.first}")
                claim = claims.take(node)
                if claim is not None:
                    batch.append((claims.count, claim))
                if len(batch) >= batch_size:
                    yield batch
                    batch = []
        except (pyx12.errors.X12Error, pyx12.errors.EngineError) as error:
            raise BadFile(f"The X12 file cannot be read: {error}") from None
    if errors.first is not None:
        raise BadFile(f"The X12 file is not a valid 837: {errors.first}")
    if batch:
        yield batch
    if not claims.count:
        raise BadFile("The X12 file holds no claims (no CLM segment)")


class _Claims:
    """Walks the segments in order, keeping the loops a claim inherits (billing provider, subscriber, patient,
    payer) and emitting each claim once its loop ends."""

    def __init__(self) -> None:
        self.count = 0
        self.claim_type: str | None = None
        self.billing: dict[str, Any] = {}
        self.subscriber: dict[str, Any] = {}
        self.patient: dict[str, Any] | None = None
        self.payer: dict[str, Any] = {}
        self.current: dict[str, Any] | None = None

    def take(self, node: Any) -> dict[str, Any] | None:
        segment = node.seg_data
        seg_id = segment.get_seg_id()
        loop = _loop_of(node)
        finished = None
        if seg_id in ("CLM", "HL", "SE"):
            finished = self._finish()
        if seg_id == "ST":
            if segment.get_value("ST01") != "837":
                raise BadFile(f"The X12 file is a {segment.get_value('ST01')} transaction, not an 837 claim")
            self.claim_type = CLAIM_TYPES.get(segment.get_value("ST03") or "", "PROFESSIONAL")
        elif seg_id == "CLM":
            self._start_claim(segment)
        else:
            self._add(loop, seg_id, segment)
        return finished

    def _add(self, loop: str, seg_id: str, segment: Any) -> None:
        value = segment.get_value
        if loop == "2010AA" and seg_id == "NM1":
            self.billing = {"name": value("NM103"), "npi": value("NM109")}
        elif loop == "2010AA" and seg_id in ("N3", "N4"):
            self.billing.update(_address(seg_id, segment))
        elif loop == "2000B" and seg_id == "SBR":
            self.subscriber, self.patient = (
                {"group_number": value("SBR03"), "payer_responsibility": value("SBR01")},
                None,
            )
        elif loop == "2010BA" and seg_id == "NM1":
            self.subscriber.update(member_id=value("NM109"), last_name=value("NM103"), first_name=value("NM104"))
        elif loop in ("2010BA", "2010CA") and seg_id == "DMG":
            person = self.subscriber if loop == "2010BA" else (self.patient or {})
            person.update(date_of_birth=_date(value("DMG02")), gender=value("DMG03"))
        elif loop == "2010BB" and seg_id == "NM1":
            self.payer = {"name": value("NM103"), "payer_id": value("NM109")}
        elif loop == "2010CA" and seg_id == "NM1":
            self.patient = {"last_name": value("NM103"), "first_name": value("NM104")}
        elif self.current is not None:
            self._add_to_claim(loop, seg_id, segment)

    def _start_claim(self, segment: Any) -> None:
        frequency = segment.get_value("CLM05-3")
        self.current = {
            "CLAIM_ID": segment.get_value("CLM01"),
            "CLAIM_TYPE": self.claim_type,
            "CLAIM_FREQUENCY": frequency,
            "CLAIM_STATUS": FREQUENCIES.get(frequency or "", frequency),
            "BILLED_AMOUNT": segment.get_value("CLM02"),
            "PLACE_OF_SERVICE": segment.get_value("CLM05-1"),
            "diagnosis_codes": [],
            "service_lines": [],
            "claim_dates": {},
        }

    def _add_to_claim(self, loop: str, seg_id: str, segment: Any) -> None:
        claim, value = self.current or {}, segment.get_value
        lines: list[dict[str, Any]] = claim["service_lines"]
        if loop == "2300" and seg_id == "DTP":
            claim["claim_dates"][value("DTP01")] = _date(value("DTP03"))
        elif loop == "2300" and seg_id == "HI":
            claim["diagnosis_codes"] += [
                code for position in range(1, 13) if (code := value(f"HI{position:02d}-2")) is not None
            ]
        elif loop in ("2310A", "2310B") and seg_id == "NM1":
            claim["rendering_provider"] = {"role": value("NM101"), "last_name": value("NM103"), "npi": value("NM109")}
        elif loop == "2320" and seg_id == "AMT" and value("AMT01") == "D":
            claim["PAID_AMOUNT"] = value("AMT02")
        elif loop == "2400" and seg_id == "LX":
            lines.append({"line_number": value("LX01")})
        elif loop == "2400" and seg_id == "SV1" and lines:
            lines[-1].update(procedure_code=value("SV101-2"), charge=value("SV102"), units=value("SV104"))
        elif loop == "2400" and seg_id == "SV2" and lines:
            lines[-1].update(revenue_code=value("SV201"), procedure_code=value("SV202-2"), charge=value("SV203"),
                             units=value("SV205"))  # fmt: skip
        elif loop == "2400" and seg_id == "DTP" and lines:
            lines[-1]["service_date"] = _date(value("DTP03"))
        elif loop == "2430" and seg_id == "SVD" and lines:
            lines[-1]["paid"] = value("SVD02")

    def _finish(self) -> dict[str, Any] | None:
        claim, self.current = self.current, None
        if claim is None:
            return None
        self.count += 1
        lines, dates = claim["service_lines"], claim.pop("claim_dates")
        service_date = next((line["service_date"] for line in lines if line.get("service_date")), None)
        claim.update(
            MEMBER_ID=self.subscriber.get("member_id"),
            PROVIDER_ID=self.billing.get("npi"),
            PROVIDER_NAME=self.billing.get("name"),
            SERVICE_DATE=service_date or dates.get("472") or dates.get("434") or dates.get("431"),
            DIAGNOSIS_CODE=claim["diagnosis_codes"][0] if claim["diagnosis_codes"] else None,
            PROCEDURE_CODE=next((line["procedure_code"] for line in lines if line.get("procedure_code")), None),
            member=dict(self.subscriber),
            patient=self.patient,
            payer=dict(self.payer),
            billing_provider=dict(self.billing),
        )
        claim.setdefault("PAID_AMOUNT", None)
        return claim


def _loop_of(node: Any) -> str:
    parts = node.x12_map_node.get_path().split("/") if node.x12_map_node is not None else []
    return parts[-2] if len(parts) > 1 else ""


def _address(seg_id: str, segment: Any) -> dict[str, Any]:
    if seg_id == "N3":
        return {"address": segment.get_value("N301")}
    return {"city": segment.get_value("N401"), "state": segment.get_value("N402"), "zip": segment.get_value("N403")}


def _date(value: str | None) -> str | None:
    """CCYYMMDD (or the start of a CCYYMMDD-CCYYMMDD range) as an ISO date."""
    if not value or len(value) < 8 or not value[:8].isdigit():
        return value
    return f"{value[:4]}-{value[4:6]}-{value[6:8]}"
