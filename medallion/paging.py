"""One pager for every page that lists rows: page number and size from the query string, then the total."""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.http import HttpRequest

from medallion.warehouse.identifiers import MAX_ROW_COUNT

PAGE_SIZES = (50, 100, 250, 500, 1000)
PAGE_PARAM, SIZE_PARAM = "page", "size"


def _positive(value: str | None, default: int) -> int:
    try:
        number = int(value or default)
    except ValueError:
        return default
    return number if number >= 1 else default


@dataclass(frozen=True)
class Pager:
    """The requested window; `of(total)` binds the total once it is known."""

    number: int
    size: int
    kept: tuple[tuple[str, str], ...] = ()
    total: int | None = None

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def limit(self) -> int:
        return self.size

    def of(self, total: int) -> "Pager":
        last_page = max(1, -(-total // self.size))
        return Pager(min(self.number, last_page), self.size, self.kept, total)

    @property
    def pages(self) -> int:
        return max(1, -(-(self.total or 0) // self.size))

    @property
    def first_row(self) -> int:
        return self.offset + 1 if self.total else 0

    @property
    def last_row(self) -> int:
        return min(self.offset + self.size, self.total or 0)

    def url(self, number: int) -> str:
        return "?" + urlencode([*self.kept, (PAGE_PARAM, str(number)), (SIZE_PARAM, str(self.size))])

    @property
    def first_url(self) -> str:
        return self.url(1)

    @property
    def last_url(self) -> str:
        return self.url(self.pages)

    @property
    def previous_url(self) -> str | None:
        return self.url(self.number - 1) if self.number > 1 else None

    @property
    def next_url(self) -> str | None:
        return self.url(self.number + 1) if self.number < self.pages else None

    @property
    def sizes(self) -> tuple[int, ...]:
        return PAGE_SIZES


def pager(request: HttpRequest, default_size: int = PAGE_SIZES[0]) -> Pager:
    """The page asked for (page 1, `default_size` rows when absent or invalid; sizes clamp to 50-1000)."""
    size = min(max(_positive(request.GET.get(SIZE_PARAM), default_size), PAGE_SIZES[0]), PAGE_SIZES[-1])
    kept = tuple((key, value) for key, value in request.GET.items() if key not in (PAGE_PARAM, SIZE_PARAM) and value)
    return Pager(min(_positive(request.GET.get(PAGE_PARAM), 1), MAX_ROW_COUNT // size), size, kept)
