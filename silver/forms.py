"""Input parsing for Silver views."""

from typing import Any

from medallion.http import boolean, text
from silver import viewer


def browse_options(source: Any) -> viewer.Browse:
    return viewer.Browse(
        sort=text(source, "sort", max_length=130),
        descending=bool(boolean(source, "descending", default=False)),
        filter_column=text(source, "filter_column", max_length=130),
        filter_value=text(source, "filter_value", max_length=500),
        search=text(source, "search", max_length=200),
    )
