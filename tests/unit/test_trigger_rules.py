"""The pure rules of triggers: audience, delays, holdout, quiet hours, frequency cap."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from retention.audience import Audience, AudienceError, Candidate, refusal
from retention.timing import cap_frees_at, due_times, in_holdout, quiet_until

BERLIN = ZoneInfo("Europe/Berlin")
NIGHT = (time(21, 0), time(8, 0))


def _candidate(**fields: object) -> Candidate:
    values: dict[str, object] = {
        "customer_id": 1,
        "email": "ann@example.com",
        "accepts_marketing": True,
        "segment": "loyal",
        "channel": "online",
        "value": Decimal("30"),
        "categories": frozenset({"tea"}),
    }
    values.update(fields)
    return Candidate(**values)  # type: ignore[arg-type]


def test_an_empty_audience_admits_anyone_with_an_address_and_consent() -> None:
    assert refusal(Audience(), _candidate(), marketing=True) is None


@pytest.mark.parametrize(
    ("audience", "candidate", "reason"),
    [
        (Audience(), _candidate(email=None), "no email address"),
        (Audience(), _candidate(accepts_marketing=False), "no marketing consent"),
        (Audience(segments=frozenset({"at_risk"})), _candidate(), "segment loyal"),
        (Audience(channels=frozenset({"retail"})), _candidate(), "channel online"),
        (Audience(min_value=Decimal("50")), _candidate(), "below 50"),
        (Audience(bought_categories=frozenset({"mugs"})), _candidate(), "required categories"),
        (Audience(not_bought_categories=frozenset({"tea"})), _candidate(), "excluded category"),
    ],
)
def test_each_condition_refuses_with_its_reason(
    audience: Audience, candidate: Candidate, reason: str
) -> None:
    found = refusal(audience, candidate, marketing=True)
    assert found is not None and reason in found


def test_a_service_message_needs_no_marketing_consent() -> None:
    assert refusal(Audience(), _candidate(accepts_marketing=False), marketing=False) is None


def test_an_audience_reads_back_what_it_writes() -> None:
    audience = Audience(
        segments=frozenset({"at_risk"}),
        channels=frozenset({"online"}),
        min_value=Decimal("25.50"),
        bought_categories=frozenset({"tea"}),
    )
    assert Audience.from_json(audience.to_json()) == audience


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"segments": ["vip"]}, "segments"),
        ({"channels": ["fax"]}, "channels"),
        ({"min_value": "lots"}, "min_value"),
        ({"min_value": "-1"}, "min_value"),
        ({"segments": 7}, "segments"),
    ],
)
def test_a_bad_audience_names_its_field(data: dict[str, object], field: str) -> None:
    with pytest.raises(AudienceError, match=field):
        Audience.from_json(data)


def test_steps_fall_due_after_the_event_not_after_the_enrollment() -> None:
    event = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    assert due_times(event, [60, 1440]) == [
        datetime(2026, 12, 1, 11, 0, tzinfo=UTC),
        datetime(2026, 12, 2, 10, 0, tzinfo=UTC),
    ]


@given(st.integers(1, 10_000), st.integers(1, 10_000_000))
def test_the_holdout_draw_is_stable(trigger_id: int, customer_id: int) -> None:
    assert in_holdout(trigger_id, customer_id, 30) == in_holdout(trigger_id, customer_id, 30)
    assert not in_holdout(trigger_id, customer_id, 0)


def test_the_holdout_share_is_close_to_the_percentage() -> None:
    held = sum(in_holdout(7, customer, 20) for customer in range(20_000))
    assert 0.18 < held / 20_000 < 0.22


@pytest.mark.parametrize(
    ("utc", "expected"),
    [
        (datetime(2026, 12, 1, 19, 59, tzinfo=UTC), None),  # 20:59 in Berlin
        (datetime(2026, 12, 1, 20, 0, tzinfo=UTC), datetime(2026, 12, 2, 7, 0, tzinfo=UTC)),
        (datetime(2026, 12, 2, 3, 0, tzinfo=UTC), datetime(2026, 12, 2, 7, 0, tzinfo=UTC)),
        (datetime(2026, 12, 2, 7, 0, tzinfo=UTC), None),  # 08:00 in Berlin
    ],
)
def test_quiet_hours_cross_midnight_in_the_customers_zone(
    utc: datetime, expected: datetime | None
) -> None:
    assert quiet_until(utc, BERLIN, NIGHT) == expected


def test_quiet_hours_end_on_the_local_clock_across_a_daylight_saving_change() -> None:
    # The night of 28-29 March 2026: Berlin moves from UTC+1 to UTC+2.
    night = datetime(2026, 3, 28, 23, 0, tzinfo=UTC)
    assert quiet_until(night, BERLIN, NIGHT) == datetime(2026, 3, 29, 6, 0, tzinfo=UTC)


def test_no_quiet_hours_means_now() -> None:
    assert quiet_until(datetime(2026, 12, 1, 23, 0, tzinfo=UTC), BERLIN, None) is None


def test_the_cap_frees_when_the_oldest_message_in_the_window_ages_out() -> None:
    now = datetime(2026, 12, 10, tzinfo=UTC)
    sent = [now - timedelta(days=6), now - timedelta(days=2), now - timedelta(days=9)]
    assert cap_frees_at(sent, now=now, cap=3, days=7) is None
    assert cap_frees_at(sent, now=now, cap=2, days=7) == now + timedelta(days=1)
    assert cap_frees_at(sent, now=now, cap=0, days=7) is None
