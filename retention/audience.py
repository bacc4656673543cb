"""Who may enter a trigger: the audience rule as a plain function over facts about a customer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from retention.rfm import Segment
from shopcore.enums import Channel


class AudienceError(ValueError):
    """An audience setting Shopcore cannot use; the message names the field."""


@dataclass(frozen=True)
class Audience:
    """Conditions on the customer and the event; an empty condition admits everyone."""

    # RFM segments the customer is in (for a segment move: the segment moved into).
    segments: frozenset[str] = frozenset()
    # Channels of the event's order (carts are online).
    channels: frozenset[str] = frozenset()
    # The order's or cart's value at least this.
    min_value: Decimal | None = None
    # Has bought in at least one of these categories / in none of these.
    bought_categories: frozenset[str] = frozenset()
    not_bought_categories: frozenset[str] = frozenset()

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Audience:
        """Read the audience a trigger stores; raise AudienceError naming a bad field."""
        segments = _strings(data, "segments")
        unknown = segments - {s.value for s in Segment}
        if unknown:
            raise AudienceError(f"segments: unknown segment {sorted(unknown)[0]!r}")
        channels = _strings(data, "channels")
        if channels - {c.value for c in Channel}:
            raise AudienceError("channels: use online, retail or wholesale")
        raw_value = data.get("min_value")
        try:
            min_value = None if raw_value in (None, "") else Decimal(str(raw_value))
        except InvalidOperation as e:
            raise AudienceError("min_value: must be an amount like 50.00") from e
        if min_value is not None and (not min_value.is_finite() or min_value < 0):
            raise AudienceError("min_value: must be an amount of zero or more")
        return cls(
            segments=segments,
            channels=channels,
            min_value=min_value,
            bought_categories=_strings(data, "bought_categories"),
            not_bought_categories=_strings(data, "not_bought_categories"),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "segments": sorted(self.segments),
            "channels": sorted(self.channels),
            "min_value": None if self.min_value is None else str(self.min_value),
            "bought_categories": sorted(self.bought_categories),
            "not_bought_categories": sorted(self.not_bought_categories),
        }

    @property
    def needs_categories(self) -> bool:
        return bool(self.bought_categories or self.not_bought_categories)


@dataclass(frozen=True)
class Candidate:
    """What is known of a customer at the moment an event could enroll them."""

    customer_id: int
    email: str | None
    accepts_marketing: bool
    segment: str | None
    channel: str | None = None
    value: Decimal | None = None
    categories: frozenset[str] = field(default_factory=frozenset)


def refusal(audience: Audience, candidate: Candidate, *, marketing: bool) -> str | None:
    """Why ``candidate`` may not enter, or None when they may."""
    if not candidate.email:
        return "no email address"
    if marketing and not candidate.accepts_marketing:
        return "no marketing consent"
    if audience.segments and candidate.segment not in audience.segments:
        return f"segment {candidate.segment or 'none'} is not in the audience"
    if audience.channels and candidate.channel not in audience.channels:
        return f"channel {candidate.channel or 'none'} is not in the audience"
    if audience.min_value is not None and (candidate.value or Decimal(0)) < audience.min_value:
        return f"value {candidate.value or 0} is below {audience.min_value}"
    if audience.bought_categories and not audience.bought_categories & candidate.categories:
        return "has not bought in the required categories"
    if audience.not_bought_categories & candidate.categories:
        return "has bought in an excluded category"
    return None


def _strings(data: Mapping[str, Any], name: str) -> frozenset[str]:
    value = data.get(name) or []
    if isinstance(value, str):
        value = [part for part in value.split(",")]
    if not isinstance(value, list | tuple | set | frozenset):
        raise AudienceError(f"{name}: must be a list")
    items = {str(item).strip() for item in value}
    return frozenset(item for item in items if item)
