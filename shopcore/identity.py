"""Normalising the ways people write their email and phone, so channels can be matched."""

from __future__ import annotations

import phonenumbers


def normalize_email(raw: str | None) -> str | None:
    """Trim and lower-case an address; None when nothing usable is left."""
    if raw is None:
        return None
    email = "".join(raw.split()).lower()
    if email.count("@") != 1:
        return None
    local, domain = email.split("@")
    if not local or "." not in domain.strip("."):
        return None
    return email


def normalize_phone(raw: str | None, region: str | None = "DE") -> str | None:
    """E.164 for a number written any common way (+49 …, 0049 …, 0 … in ``region``)."""
    if raw is None or not raw.strip():
        return None
    text = raw.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, region.upper() if region else None)
    except phonenumbers.NumberParseException:
        return None
    # Local-only numbers (no area code) cannot be told apart across towns: not an identity.
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason != phonenumbers.ValidationResult.IS_POSSIBLE:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
