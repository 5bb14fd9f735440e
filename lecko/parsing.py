"""Numbers and dates typed into forms and addresses, read one way everywhere.

Anything a browser or a bot sends may be odd: `²` passes `str.isdigit()` yet `int()`
refuses it, `٣` is a digit to `int()` but not to SQL, a 40-digit id overflows every integer
column, and year 0001 or 9999 overflows datetime arithmetic (time zones, "the next
month"). These helpers take ASCII digits only, within bounds, and answer None otherwise,
so a view turns odd input into a 404 or a message, never a 500."""

from datetime import datetime

# The largest value of a 64-bit signed integer column (SQLite, PostgreSQL BIGINT).
MAX_ID = 2**63 - 1
# The widest page number a listing accepts (a page past the last one is a 404 anyway).
MAX_PAGE = 1_000_000
# Dates the blog can store and show: far enough back for any imported archive, and far
# enough from datetime's limits (years 1 and 9999) that time zones and "the next month"
# never overflow.
EARLIEST_YEAR, LATEST_YEAR = 1900, 9998


def parse_int(value: object, low: int = 0, high: int = MAX_ID) -> int | None:
    """The whole number written in `value` with ASCII digits, if within [low, high]."""
    if not isinstance(value, str) or not value.isascii() or not value.isdigit():
        return None
    if len(value) > len(str(high)):
        return None
    number = int(value)
    return number if low <= number <= high else None


def parse_id(value: object) -> int | None:
    """A database id (1 or more, fits in 64 bits), or None."""
    return parse_int(value, low=1)


def parse_page(value: object) -> int:
    """A listing's page number from `?page=`: 1 when absent or odd."""
    return parse_int(value, low=1, high=MAX_PAGE) or 1


def parse_year(value: object) -> int | None:
    """A year the blog can show (EARLIEST_YEAR to LATEST_YEAR), or None."""
    return parse_int(value, low=EARLIEST_YEAR, high=LATEST_YEAR)


def parse_month(value: object) -> int | None:
    """A month number, 1 to 12 (written "5" or "05"), or None."""
    return parse_int(value, low=1, high=12)


def date_in_range(moment: datetime | None) -> bool:
    """Whether a date typed or imported is one the blog can store and show."""
    return moment is not None and EARLIEST_YEAR <= moment.year <= LATEST_YEAR
