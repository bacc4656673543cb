"""Triggers: the list with their last 30 days, one trigger, its form, switching, a dry run."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta
from enum import StrEnum

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from retention.rfm import Segment
from retention.vocabulary import Entry, ExitCondition, TriggerKind
from shopcore.admin.access import current_user, requires
from shopcore.admin.base import MAX_ID, blueprint, db_session, run
from shopcore.admin.dry_run import dry_run, window_text
from shopcore.admin.trigger_form import (
    UNITS,
    TriggerForm,
    TriggerSpec,
    blank_form,
    form_of,
    read_trigger,
    split_delay,
)
from shopcore.admin.trigger_queries import find_trigger, form_choices, template_names, trigger_rows
from shopcore.admin.trigger_store import (
    StepsStillDue,
    TriggerNameTaken,
    TriggerNotFound,
    save_trigger,
    set_enabled,
)
from shopcore.db import utcnow
from shopcore.enums import Channel, Role

log = logging.getLogger(__name__)

RECENT = timedelta(days=30)
TRIGGER = f"/triggers/<int(max={MAX_ID}):trigger_id>"


@blueprint.app_template_filter("delay")
def _delay(minutes: int) -> str:
    """A step's delay in words: "at once", "90 minutes", "1 hour", "3 days"."""
    if not minutes:
        return "at once"
    amount, unit = split_delay(minutes)
    return f"{amount} {unit[:-1] if amount == 1 else unit}"


@blueprint.get("/triggers")
@requires(Role.VIEWER)
def triggers() -> str:
    """Triggers by priority, with enrollments and messages sent in the last 30 days."""
    db = db_session()
    return render_template(
        "triggers.html",
        rows=trigger_rows(db, since=utcnow() - RECENT),
        templates=template_names(db),
    )


@blueprint.get(TRIGGER)
@requires(Role.VIEWER)
def trigger(trigger_id: int) -> str:
    """One trigger: who enters, its steps and templates, when customers leave."""
    db = db_session()
    found = find_trigger(db, trigger_id)
    if found is None:
        abort(404)
    labels = {s.value: s.label for s in Segment}
    return render_template(
        "trigger.html", trigger=found, templates=template_names(db), segment_labels=labels
    )


@blueprint.route("/triggers/new", methods=["GET", "POST"])
@requires(Role.MANAGER)
def new_trigger() -> tuple[str, int] | Response:
    """A form for a new trigger; it is saved disabled."""
    return _form_page(None)


@blueprint.route(f"{TRIGGER}/edit", methods=["GET", "POST"])
@requires(Role.MANAGER)
def edit_trigger(trigger_id: int) -> tuple[str, int] | Response:
    """The form of an existing trigger."""
    return _form_page(trigger_id)


@blueprint.post(f"{TRIGGER}/enable")
@requires(Role.MANAGER)
def enable_trigger(trigger_id: int) -> Response:
    """Switch a trigger on: the next scheduler pass enrolls whoever its events bring."""
    return _switch(trigger_id, enabled=True)


@blueprint.post(f"{TRIGGER}/disable")
@requires(Role.MANAGER)
def disable_trigger(trigger_id: int) -> Response:
    """Switch a trigger off: no one new enters; steps already due still go out."""
    return _switch(trigger_id, enabled=False)


@blueprint.get(f"{TRIGGER}/dry-run")
@requires(Role.VIEWER)
def dry_run_trigger(trigger_id: int) -> str:
    """Who would enter the trigger now, who would not and why; nothing is written."""
    db = db_session()
    found = find_trigger(db, trigger_id)
    if found is None:
        abort(404)
    result = dry_run(db, found, now=utcnow())
    return render_template("trigger_dry_run.html", trigger=found, run=result, window=window_text())


def _form_page(trigger_id: int | None) -> tuple[str, int] | Response:
    db = db_session()
    existing = find_trigger(db, trigger_id) if trigger_id is not None else None
    if trigger_id is not None and existing is None:
        abort(404)
    choices, templates, categories = form_choices(db)
    if request.method == "GET":
        form = form_of(existing) if existing is not None else blank_form()
    else:
        form = TriggerForm.submitted(request.form)
        spec = read_trigger(form, choices)
        if spec is not None:
            saved = _save(form, trigger_id, spec)
            if saved is not None:
                return redirect(url_for("admin.trigger", trigger_id=saved))
    page = render_template(
        "trigger_form.html",
        form=form,
        trigger=existing,
        templates=templates,
        kinds=_options(TriggerKind),
        entries=_options(Entry),
        segments=[(s.value, s.label) for s in Segment],
        channels=_options(Channel),
        categories=[(c, c) for c in categories],
        exits=_options(ExitCondition),
        units=list(UNITS),
    )
    return page, 200 if form.ok else 422


def _options(values: Iterable[StrEnum]) -> list[tuple[str, str]]:
    return [(v.value, v.value.replace("_", " ")) for v in values]


def _save(form: TriggerForm, trigger_id: int | None, spec: TriggerSpec) -> int | None:
    """Save the checked form; the trigger's id, or None with the form's errors set."""
    try:
        saved = run(lambda session: save_trigger(session, trigger_id, spec).id)
    except TriggerNotFound:
        abort(404)
    except TriggerNameTaken:
        form.error("name", "Another trigger has this name.")
        return None
    except StepsStillDue as e:
        form.error("steps", f"Not saved: {e}. Keep that step until they have had it.")
        return None
    user = current_user()
    verb = "created" if trigger_id is None else "changed"
    log.info("%s %s trigger %s", user.email if user else "?", verb, saved)
    off = " It is off until you enable it." if trigger_id is None else ""
    flash(f"Trigger {verb}.{off}", "ok")
    return saved


def _switch(trigger_id: int, *, enabled: bool) -> Response:
    try:
        name = run(lambda session: set_enabled(session, trigger_id, enabled=enabled).name)
    except TriggerNotFound:
        abort(404)
    user = current_user()
    state = "on" if enabled else "off"
    log.info("%s switched trigger %s %s", user.email if user else "?", trigger_id, state)
    flash(f"{name} is {state}.", "ok")
    return redirect(url_for("admin.trigger", trigger_id=trigger_id))
