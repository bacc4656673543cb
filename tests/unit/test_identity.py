"""Emails and phones written differently by different channels normalise to one value."""

from __future__ import annotations

import pytest

from shopcore.identity import normalize_email, normalize_phone


@pytest.mark.parametrize(
    "raw", ["ann@example.com", "  Ann@Example.COM ", "ANN@EXAMPLE.COM\t", "ann @example.com"]
)
def test_emails_differing_in_case_and_whitespace_are_one_address(raw: str) -> None:
    assert normalize_email(raw) == "ann@example.com"


@pytest.mark.parametrize("raw", [None, "", "   ", "not-an-email", "a@b", "@example.com", "a@@b.de"])
def test_unusable_emails_normalise_to_nothing(raw: str | None) -> None:
    assert normalize_email(raw) is None


@pytest.mark.parametrize(
    "raw",
    ["+49 151 12345678", "0049 151 12345678", "0151 12345678", "+49 (0)151-123 456 78",
     "0151/12345678"],
)
def test_german_numbers_written_any_common_way_become_one_e164_number(raw: str) -> None:
    assert normalize_phone(raw, "DE") == "+4915112345678"


def test_a_national_number_is_read_in_the_region_it_came_from() -> None:
    assert normalize_phone("020 7946 0958", "GB") == "+442079460958"
    assert normalize_phone("+44 20 7946 0958", "DE") == "+442079460958"


@pytest.mark.parametrize("raw", [None, "", "n/a", "12", "++++"])
def test_unusable_phones_normalise_to_nothing(raw: str | None) -> None:
    assert normalize_phone(raw, "DE") is None
