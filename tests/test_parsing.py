"""Numbers and dates from requests: ASCII digits only, bounded."""

from datetime import datetime

import pytest

from lecko.parsing import (
    MAX_ID,
    date_in_range,
    parse_id,
    parse_int,
    parse_month,
    parse_page,
    parse_year,
)


@pytest.mark.parametrize("raw, expected", [
    ("0", 0), ("42", 42), (str(MAX_ID), MAX_ID),
    (str(MAX_ID + 1), None), ("9" * 40, None),
    ("²", None), ("٣", None), ("１２", None), ("-1", None), ("+1", None), (" 1", None),
    ("1.0", None), ("", None), (None, None), (12, None),
])
def test_only_ascii_digits_within_bounds_are_numbers(raw, expected):
    assert parse_int(raw) == expected


def test_ids_start_at_one_and_pages_fall_back_to_the_first():
    assert parse_id("0") is None and parse_id("7") == 7
    assert parse_page("²") == 1 and parse_page("0") == 1 and parse_page("3") == 3
    assert parse_page("99999999999") == 1


@pytest.mark.parametrize("raw, expected", [
    ("2024", 2024), ("1900", 1900), ("9998", 9998), ("9999", None), ("0001", None),
    ("10000", None), ("²⁰²⁴", None),
])
def test_years_stay_where_dates_can_be_computed(raw, expected):
    assert parse_year(raw) == expected


def test_far_dates_are_out_of_range():
    assert date_in_range(datetime(2024, 5, 1))
    assert not date_in_range(datetime(1, 1, 1)) and not date_in_range(datetime(9999, 12, 31))
    assert not date_in_range(None)


@pytest.mark.parametrize("raw, expected", [
    ("05", 5), ("5", 5), ("12", 12), ("00", None), ("13", None), ("005", None),
    ("٠٥", None), ("０５", None), ("", None),
])
def test_months_are_one_to_twelve_in_ascii_digits(raw, expected):
    assert parse_month(raw) == expected
