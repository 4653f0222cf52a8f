"""The window of a listing, asked two ways: the API's `?limit=&offset=` (the contract: out of range is a 422) and a
page's `?page=&size=` (a pager that clamps and links pages). Both give services a `limit` and an `offset`."""

from dataclasses import dataclass
from functools import cache
from urllib.parse import urlencode

from django.http import HttpRequest

from medallion.forms import EdgeForm, Integer
from medallion.warehouse.identifiers import MAX_ROW_COUNT

MAX_OFFSET = 10**9

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


@dataclass(frozen=True)
class Window:
    limit: int
    offset: int


@cache
def _window_form(max_limit: int) -> type[EdgeForm]:
    fields = {"limit": Integer(minimum=1, maximum=max_limit), "offset": Integer(minimum=0, maximum=MAX_OFFSET)}
    return type(f"WindowUpTo{max_limit}", (EdgeForm,), fields)


def window(request: HttpRequest, default_limit: int = 100, max_limit: int = 1000) -> Window:
    """The API's window (`limit` 1..`max_limit`, `default_limit` when absent; `offset` from 0)."""
    values = _window_form(max_limit).parse(request.GET)
    return Window(values["limit"] or default_limit, values["offset"] or 0)
