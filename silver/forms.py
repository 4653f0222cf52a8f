"""Input parsing for Silver views: which TPA and table a request is about, and the options of each use-case."""

from typing import Any

from medallion.forms import Choice, EdgeForm, Flag, Integer, Number, Text, every_failure
from silver import expression_preview, mappings, viewer

TABLE_NAME_LENGTH = 200


class TpaTableForm(EdgeForm):
    """A TPA and one of its Silver tables (the target schema's name)."""

    tpa = Text(max_length=100, required=True)
    table_name = Text(max_length=TABLE_NAME_LENGTH, required=True)


class TpaTargetForm(EdgeForm):
    """The same pair, as the mapping and transform endpoints name the table."""

    tpa = Text(max_length=100, required=True)
    target_table = Text(max_length=TABLE_NAME_LENGTH, required=True)


def tpa_and_table(source: Any) -> tuple[str, str]:
    pair = TpaTableForm.parse(source)
    return pair["tpa"], pair["table_name"]


class MappingFilterForm(EdgeForm):
    tpa = Text(max_length=100)
    target_table = Text(max_length=TABLE_NAME_LENGTH)


def _only(value: str) -> Choice:
    return Choice((value,), error_messages=every_failure(f"Must be {value}."))


class AutoMapForm(TpaTargetForm):
    source_table = _only(mappings.SOURCE_TABLE)
    top_n = Integer(minimum=1, maximum=10)
    min_confidence = Number(minimum=0, maximum=1, error_messages=every_failure("Must be a number from 0 to 1."))
    model_name = Text(max_length=200)
    defaults = {"top_n": 3, "min_confidence": 0.6}


class TransformForm(TpaTargetForm):
    source_table = _only(mappings.SOURCE_TABLE)
    source_schema = _only("BRONZE")
    batch_size = Integer(minimum=1, maximum=100_000)
    incremental = Flag()
    apply_rules = Flag()
    defaults = {"incremental": False, "apply_rules": True}


class BatchForm(EdgeForm):
    batch_id = Text(max_length=40)


class PreviewForm(EdgeForm):
    samples = Integer(minimum=1, maximum=expression_preview.MAX_SAMPLES)
    defaults = {"samples": 10}


class FlagFilterForm(EdgeForm):
    rule_name = Text(max_length=200)


class BrowseForm(EdgeForm):
    sort = Text(max_length=130)
    descending = Flag()
    filter_column = Text(max_length=130)
    filter_value = Text(max_length=500)
    search = Text(max_length=200)
    defaults = {"descending": False}


def browse_options(source: Any) -> viewer.Browse:
    return viewer.Browse(**BrowseForm.parse(source))
