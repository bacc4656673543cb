"""The trigger form: its text read into a ``TriggerSpec`` with an error per field, and back.

Plain functions over the submitted text and the choices on offer; no session. Steps are a
fixed number of rows (delay, unit, template), so the form works without JavaScript: empty
rows are ignored, and clearing a row's template removes that step.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from werkzeug.datastructures import MultiDict

from config.settings import SettingsError, parse_quiet_hours
from retention.audience import Audience, AudienceError
from retention.models import Trigger
from retention.rfm import Segment
from retention.vocabulary import Entry, ExitCondition, TriggerKind
from shopcore.admin.forms import Form
from shopcore.enums import Channel

UNITS = {"minutes": 1, "hours": 60, "days": 24 * 60}
MAX_STEPS = 10
MIN_STEP_ROWS = 3
MAX_DELAY_MINUTES = 366 * 24 * 60
# Multiple choices: lists of values rather than one text each.
AUDIENCE_LISTS = ("segments", "channels", "bought_categories", "not_bought_categories")
LISTS = (*AUDIENCE_LISTS, "exits")
DEFAULTS = {
    "kind": TriggerKind.CUSTOM.value,
    "entry": Entry.ORDER_PLACED.value,
    "reentry_days": "30",
    "priority": "50",
    "holdout_percent": "10",
    "marketing": "on",
}


@dataclass(frozen=True)
class StepSpec:
    delay_minutes: int
    template_id: int


@dataclass(frozen=True)
class TriggerSpec:
    """A trigger's settings as a manager entered them, checked."""

    name: str
    kind: TriggerKind
    entry: Entry
    audience: dict[str, Any]
    steps: tuple[StepSpec, ...]
    exit_conditions: tuple[str, ...]
    reentry_days: int
    priority: int
    holdout_percent: int
    marketing: bool
    quiet_hours: str | None
    timezone: str | None


@dataclass(frozen=True)
class Choices:
    """What the form's lists may hold: the products' categories and the templates' ids."""

    categories: frozenset[str]
    template_ids: frozenset[int]


class TriggerForm(Form):
    """A trigger form's text: single values in ``raw``, multiple choices in ``chosen``."""

    def __init__(self, data: Mapping[str, str], chosen: Mapping[str, list[str]]) -> None:
        super().__init__(data)
        self.chosen: dict[str, list[str]] = {name: list(chosen.get(name, [])) for name in LISTS}

    @classmethod
    def submitted(cls, data: MultiDict[str, str]) -> TriggerForm:
        return cls(data, {name: data.getlist(name) for name in LISTS})

    @property
    def step_rows(self) -> range:
        """Row numbers to show: the rows filled in and two empty ones (at least three)."""
        filled = [i for i in range(1, MAX_STEPS + 1) if not _row_empty(self, i)]
        last = max(filled, default=0)
        return range(1, min(MAX_STEPS, max(MIN_STEP_ROWS, last + 2)) + 1)


def blank_form() -> TriggerForm:
    return TriggerForm(DEFAULTS, {})


def form_of(trigger: Trigger) -> TriggerForm:
    """The form filled with a stored trigger's settings."""
    audience = trigger.audience or {}
    raw = {
        "name": trigger.name,
        "kind": trigger.kind.value,
        "entry": trigger.entry.value,
        "min_value": str(audience.get("min_value") or ""),
        "reentry_days": str(trigger.reentry_days),
        "priority": str(trigger.priority),
        "holdout_percent": str(trigger.holdout_percent),
        "quiet_hours": trigger.quiet_hours or "",
        "timezone": trigger.timezone or "",
    }
    if trigger.marketing:
        raw["marketing"] = "on"
    for row, step in enumerate(sorted(trigger.steps, key=lambda s: s.position), start=1):
        amount, unit = split_delay(step.delay_minutes)
        raw |= {
            f"step-{row}-delay": str(amount),
            f"step-{row}-unit": unit,
            f"step-{row}-template": str(step.template_id),
        }
    chosen = {name: [str(v) for v in audience.get(name) or []] for name in AUDIENCE_LISTS}
    chosen["exits"] = list(trigger.exit_conditions or [])
    return TriggerForm(raw, chosen)


def read_trigger(form: TriggerForm, choices: Choices) -> TriggerSpec | None:
    """The trigger the form describes, or None with the form's errors set."""
    name = form.text("name", max_length=100, required=True)
    kind = form.choice("kind", TriggerKind, required=True)
    entry = form.choice("entry", Entry, required=True)
    audience = _audience(form, choices)
    steps = _steps(form, choices)
    exits = _subset(form, "exits", {e.value for e in ExitCondition}, "Unknown exit condition.")
    reentry_days = form.whole("reentry_days", minimum=0, maximum=3650, required=True)
    priority = form.whole("priority", minimum=0, maximum=100, required=True)
    holdout = form.whole("holdout_percent", minimum=0, maximum=90, required=True)
    quiet_hours = _quiet_hours(form)
    timezone = _timezone(form)
    if (
        not form.ok
        or name is None
        or kind is None
        or entry is None
        or audience is None
        or reentry_days is None
        or priority is None
        or holdout is None
    ):
        return None
    return TriggerSpec(
        name=name,
        kind=kind,
        entry=entry,
        audience=audience,
        steps=steps,
        exit_conditions=tuple(sorted(exits)),
        reentry_days=reentry_days,
        priority=priority,
        holdout_percent=holdout,
        marketing=form.raw.get("marketing") == "on",
        quiet_hours=quiet_hours,
        timezone=timezone,
    )


def split_delay(minutes: int) -> tuple[int, str]:
    """A delay in the largest unit that holds it whole: 1440 -> (1, "days")."""
    for unit in ("days", "hours"):
        if minutes and minutes % UNITS[unit] == 0:
            return minutes // UNITS[unit], unit
    return (minutes, "minutes") if minutes else (0, "hours")


def _audience(form: TriggerForm, choices: Choices) -> dict[str, Any] | None:
    segments = _subset(form, "segments", {s.value for s in Segment}, "Unknown segment.")
    channels = _subset(form, "channels", {c.value for c in Channel}, "Unknown channel.")
    message = "Choose from the products' categories."
    bought = _subset(form, "bought_categories", set(choices.categories), message)
    not_bought = _subset(form, "not_bought_categories", set(choices.categories), message)
    if bought & not_bought:
        form.error("not_bought_categories", "A category cannot be both required and excluded.")
    data = {
        "segments": sorted(segments),
        "channels": sorted(channels),
        "min_value": form.text("min_value", max_length=20),
        "bought_categories": sorted(bought),
        "not_bought_categories": sorted(not_bought),
    }
    try:
        return Audience.from_json(data).to_json()
    except AudienceError as e:
        field, _, text = str(e).partition(": ")
        message = f"{text[:1].upper()}{text[1:]}."
        form.error(field if field in (*AUDIENCE_LISTS, "min_value") else "min_value", message)
        return None


def _subset(form: TriggerForm, name: str, allowed: set[str], message: str) -> set[str]:
    values = {value.strip() for value in form.chosen[name] if value.strip()}
    if values - allowed:
        form.error(name, message)
        return set()
    return values


def _steps(form: TriggerForm, choices: Choices) -> tuple[StepSpec, ...]:
    steps: list[StepSpec] = []
    for row in range(1, MAX_STEPS + 1):
        if _row_empty(form, row):
            continue
        delay, unit, template = (f"step-{row}-{part}" for part in ("delay", "unit", "template"))
        amount = form.whole(delay, minimum=0, maximum=MAX_DELAY_MINUTES, required=True)
        factor = UNITS.get(form.raw.get(unit, "hours"))
        if factor is None:
            form.error(unit, "Choose minutes, hours or days.")
        template_id = form.whole(template, minimum=1, maximum=2**31 - 1)
        if template_id is None:
            form.error(template, "Choose a template, or clear the delay to remove this step.")
        elif template_id not in choices.template_ids:
            form.error(template, "No such template.")
        if amount is None or factor is None or template_id is None:
            continue
        minutes = amount * factor
        if minutes > MAX_DELAY_MINUTES:
            form.error(delay, "At most a year.")
        elif steps and minutes < steps[-1].delay_minutes:
            form.error(delay, "Comes before the step above it: delays count from the event.")
        else:
            steps.append(StepSpec(minutes, template_id))
    if not steps and form.ok:
        form.error("steps", "Add at least one step.")
    return tuple(steps)


def _row_empty(form: Form, row: int) -> bool:
    return not any(form.raw.get(f"step-{row}-{part}", "").strip() for part in ("delay", "template"))


def _quiet_hours(form: TriggerForm) -> str | None:
    text = form.text("quiet_hours", max_length=20)
    if text is None:
        return None
    try:
        window = parse_quiet_hours(text)
    except SettingsError:
        form.error("quiet_hours", "Write it like 21:00-08:00, or leave it empty for the shop's.")
        return None
    return f"{window[0]:%H:%M}-{window[1]:%H:%M}" if window else None


def _timezone(form: TriggerForm) -> str | None:
    name = form.text("timezone", max_length=64)
    if name is None:
        return None
    try:
        ZoneInfo(name)
    except (ValueError, LookupError, OSError):
        form.error("timezone", "Not a time zone; use a name like Europe/Berlin.")
        return None
    return name
