"""The trigger form read into settings, its delays in words, and dry-run decisions counted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from werkzeug.datastructures import MultiDict

from retention.enrollment import Decision, EntryEvent
from shopcore.admin.dry_run import reason_group, summarize
from shopcore.admin.trigger_form import (
    Choices,
    StepSpec,
    TriggerForm,
    blank_form,
    read_trigger,
    split_delay,
)

CHOICES = Choices(categories=frozenset({"tea", "mugs"}), template_ids=frozenset({7, 8}))
T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def submitted(**fields: str | list[str]) -> TriggerForm:
    base: dict[str, str | list[str]] = {
        "name": "Tea lovers",
        "kind": "cross_sell",
        "entry": "order_placed",
        "reentry_days": "30",
        "priority": "50",
        "holdout_percent": "10",
        "step-1-delay": "2",
        "step-1-unit": "days",
        "step-1-template": "7",
    }
    base.update(fields)
    data: MultiDict[str, str] = MultiDict()
    for name, value in base.items():
        for item in [value] if isinstance(value, str) else value:
            data.add(name, item)
    return TriggerForm.submitted(data)


def test_a_complete_form_becomes_a_trigger_spec() -> None:
    form = submitted(
        segments=["loyal", "champions"],
        bought_categories=["tea"],
        exits=["ordered"],
        marketing="on",
        min_value="20",
        quiet_hours=" 21:00 - 08:00 ",
        **{"step-2-delay": "90", "step-2-unit": "days", "step-2-template": "8"},
    )
    spec = read_trigger(form, CHOICES)
    assert spec is not None, form.errors
    assert spec.steps == (StepSpec(2 * 24 * 60, 7), StepSpec(90 * 24 * 60, 8))
    assert spec.audience["segments"] == ["champions", "loyal"]
    assert spec.audience["bought_categories"] == ["tea"]
    assert spec.audience["min_value"] == "20"
    assert spec.exit_conditions == ("ordered",)
    assert spec.marketing and spec.quiet_hours == "21:00-08:00" and spec.timezone is None


def test_empty_step_rows_are_ignored_and_a_half_filled_one_is_an_error() -> None:
    form = submitted(**{"step-3-delay": "", "step-3-template": "", "step-4-delay": "5"})
    assert read_trigger(form, CHOICES) is None
    assert set(form.errors) == {"step-4-template"}
    assert list(form.step_rows) == [1, 2, 3, 4, 5, 6]


def test_choices_outside_the_lists_are_errors_on_their_fields() -> None:
    form = submitted(
        segments=["vip"],
        channels=["fax"],
        bought_categories=["tea"],
        not_bought_categories=["tea"],
        exits=["bored"],
        timezone="Nowhere/City",
        **{"step-1-template": "9", "step-1-unit": "weeks"},
    )
    assert read_trigger(form, CHOICES) is None
    assert set(form.errors) == {
        "segments",
        "channels",
        "not_bought_categories",
        "exits",
        "timezone",
        "step-1-template",
        "step-1-unit",
    }


def test_a_new_form_proposes_safe_defaults_and_three_step_rows() -> None:
    form = blank_form()
    assert form.raw["marketing"] == "on" and form.raw["holdout_percent"] == "10"
    assert list(form.step_rows) == [1, 2, 3]


def test_delays_are_shown_in_the_largest_whole_unit() -> None:
    assert split_delay(0) == (0, "hours")
    assert split_delay(90) == (90, "minutes")
    assert split_delay(120) == (2, "hours")
    assert split_delay(3 * 24 * 60) == (3, "days")


def test_refusals_naming_figures_are_counted_under_one_heading() -> None:
    assert reason_group("value 9.00 is below 10") == "value below 10"
    assert (
        reason_group("entered this trigger on 2026-11-30, within 7 days")
        == "entered within the last 7 days"
    )
    assert reason_group("no marketing consent") == "no marketing consent"


def decision(
    customer_id: int, minutes: int, refusal: str | None, holdout: bool = False
) -> Decision:
    event = EntryEvent(customer_id, f"order:{customer_id}", T0 + timedelta(minutes=minutes))
    return Decision(event, refusal, holdout)


def test_a_summary_counts_outcomes_and_samples_the_newest_events() -> None:
    decisions = [
        decision(1, 0, None),
        decision(2, 1, None, holdout=True),
        decision(3, 2, "value 5.00 is below 10"),
        decision(4, 3, "value 7.50 is below 10"),
        decision(5, 4, "no email address"),
    ]
    run = summarize(decisions, sample_size=3)
    assert (run.events, run.entering, run.held_out, run.refused) == (5, 2, 1, 3)
    assert run.refusals == [("value below 10", 2), ("no email address", 1)]
    assert [(r.customer_id, r.outcome) for r in run.sample] == [
        (5, "refused"),
        (4, "refused"),
        (3, "refused"),
    ]
    assert summarize(decisions[:2]).sample[0].outcome == "held out"
