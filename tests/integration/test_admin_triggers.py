"""The admin's trigger pages: the list, the form with its errors, switching, and the dry run."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import func, select

from retention.models import Enrollment, EnrollmentStep, Trigger, TriggerStep
from retention.template_store import save_version
from retention.timing import in_holdout
from retention.vocabulary import EnrollmentStatus, Entry, TriggerKind
from shopcore.db import Database, utcnow
from shopcore.enums import Role
from shopcore.models import Customer
from tests.factories import random_email, random_ref
from tests.integration.admin_support import post_form, signed_in, text, webhook_order
from tests.integration.api_support import Shop
from tests.retention_factories import add_due_steps

MJML = (
    "<mjml><mj-head><mj-title>Hi {{ customer.first_name }}</mj-title></mj-head>"
    "<mj-body><mj-section><mj-column><mj-text>Hello</mj-text></mj-column></mj-section>"
    "</mj-body></mjml>"
)


def add_template(db: Database) -> int:
    with db.session() as session:
        version = save_version(session, random_ref("tpl-"), MJML)
        session.commit()
        return version.template_id


def trigger_fields(template_id: int, **overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "name": random_ref("Trigger "),
        "kind": "cross_sell",
        "entry": "order_placed",
        "segments": ["champions", "loyal"],
        "channels": ["online"],
        "min_value": "25.00",
        "step-1-delay": "1",
        "step-1-unit": "hours",
        "step-1-template": str(template_id),
        "step-2-delay": "3",
        "step-2-unit": "days",
        "step-2-template": str(template_id),
        "exits": ["ordered"],
        "reentry_days": "14",
        "priority": "70",
        "holdout_percent": "10",
        "marketing": "on",
        "quiet_hours": "22:00 - 07:30",
        "timezone": "Europe/Berlin",
    }
    fields.update(overrides)
    return {k: v for k, v in fields.items() if v is not None}


def stored(db: Database, name: str) -> Trigger | None:
    with db.session() as session:
        trigger = session.scalar(select(Trigger).where(Trigger.name == name))
        if trigger is not None:
            _ = [(s.position, s.delay_minutes, s.template_id) for s in trigger.steps]
        return trigger


def steps_of(trigger: Trigger) -> list[tuple[int, int, int]]:
    return [(s.position, s.delay_minutes, s.template_id) for s in trigger.steps]


def error_of(page: str, field: str) -> str:
    found = re.search(rf'id="e-{re.escape(field)}"[^>]*>([^<]+)<', page)
    assert found, f"no error shown for {field}"
    return found.group(1)


def test_a_manager_creates_a_trigger_that_starts_switched_off(
    client: FlaskClient, db: Database
) -> None:
    template_id = add_template(db)
    signed_in(client, db, Role.MANAGER)
    fields = trigger_fields(template_id)
    response = post_form(client, "/admin/triggers/new", **fields)
    assert response.status_code == 302, text(response)
    trigger = stored(db, fields["name"])
    assert trigger is not None
    assert response.headers["Location"] == f"/admin/triggers/{trigger.id}"
    assert not trigger.enabled
    assert (trigger.kind, trigger.entry) == (TriggerKind.CROSS_SELL, Entry.ORDER_PLACED)
    assert steps_of(trigger) == [(1, 60, template_id), (2, 3 * 24 * 60, template_id)]
    assert trigger.audience == {
        "segments": ["champions", "loyal"],
        "channels": ["online"],
        "min_value": "25.00",
        "bought_categories": [],
        "not_bought_categories": [],
    }
    assert trigger.exit_conditions == ["ordered"]
    assert (trigger.reentry_days, trigger.priority, trigger.holdout_percent) == (14, 70, 10)
    assert trigger.marketing
    assert (trigger.quiet_hours, trigger.timezone) == ("22:00-07:30", "Europe/Berlin")
    page = text(client.get(f"/admin/triggers/{trigger.id}"))
    assert fields["name"] in page and "3 days" in page and "Champions" in page
    listed = text(client.get("/admin/triggers"))
    assert fields["name"] in listed and "1 hour" in listed


def test_the_form_shows_each_error_next_to_its_field_and_saves_nothing(
    client: FlaskClient, db: Database, shop: Shop
) -> None:
    template_id = add_template(db)
    signed_in(client, db, Role.MANAGER)
    fields = trigger_fields(
        template_id,
        name="",
        kind="spam",
        min_value="lots",
        bought_categories=["no-such-category"],
        holdout_percent="95",
        quiet_hours="late",
        timezone="Mars/Olympus",
        **{"step-2-template": "", "step-3-delay": "1", "step-3-template": "999999"},
    )
    response = post_form(client, "/admin/triggers/new", **fields)
    assert response.status_code == 422
    page = text(response)
    assert error_of(page, "name") == "Required."
    assert error_of(page, "kind").startswith("Choose one of")
    assert error_of(page, "min_value") == "Must be an amount like 50.00."
    assert error_of(page, "bought_categories") == "Choose from the products&#39; categories."
    assert error_of(page, "holdout_percent") == "Enter a number from 0 to 90."
    assert error_of(page, "quiet_hours").startswith("Write it like 21:00-08:00")
    assert error_of(page, "timezone").startswith("Not a time zone")
    assert error_of(page, "step-2-template").startswith("Choose a template")
    assert error_of(page, "step-3-template") == "No such template."
    # What was typed is kept.
    assert 'value="Mars/Olympus"' in page and 'value="lots"' in page
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Trigger)) == 0


def test_steps_must_come_in_order_and_a_trigger_needs_one(
    client: FlaskClient, db: Database
) -> None:
    template_id = add_template(db)
    signed_in(client, db, Role.MANAGER)
    backwards = trigger_fields(template_id, **{"step-2-delay": "30", "step-2-unit": "minutes"})
    page = text(post_form(client, "/admin/triggers/new", **backwards))
    assert error_of(page, "step-2-delay").startswith("Comes before the step above it")
    empty = trigger_fields(
        template_id, **{f"step-{i}-{p}": None for i in (1, 2) for p in ("delay", "template")}
    )
    response = post_form(client, "/admin/triggers/new", **empty)
    assert response.status_code == 422
    assert error_of(text(response), "steps") == "Add at least one step."


def test_editing_changes_settings_and_steps_and_refuses_a_name_in_use(
    client: FlaskClient, db: Database
) -> None:
    template_id, other_template = add_template(db), add_template(db)
    signed_in(client, db, Role.MANAGER)
    first, second = trigger_fields(template_id), trigger_fields(template_id)
    for fields in (first, second):
        assert post_form(client, "/admin/triggers/new", **fields).status_code == 302
    trigger = stored(db, first["name"])
    assert trigger is not None
    edit = f"/admin/triggers/{trigger.id}/edit"
    form_page = text(client.get(edit))
    assert f'value="{first["name"]}"' in form_page and 'value="22:00-07:30"' in form_page

    taken = post_form(client, edit, **{**first, "name": second["name"]})
    assert taken.status_code == 422
    assert error_of(text(taken), "name") == "Another trigger has this name."

    changed = {
        **first,
        "step-1-template": str(other_template),
        "step-2-delay": "",
        "step-2-template": "",
        "segments": [],
        "marketing": None,
        "quiet_hours": "",
        "timezone": "",
    }
    changed = {k: v for k, v in changed.items() if v is not None}
    assert post_form(client, edit, **changed).status_code == 302
    after = stored(db, first["name"])
    assert after is not None
    assert steps_of(after) == [(1, 60, other_template)]
    assert after.audience["segments"] == [] and not after.marketing
    assert (after.quiet_hours, after.timezone) == (None, None)


def test_a_step_customers_still_wait_for_cannot_be_removed(
    client: FlaskClient, db: Database
) -> None:
    template_id = add_template(db)
    signed_in(client, db, Role.MANAGER)
    fields = trigger_fields(template_id)
    assert post_form(client, "/admin/triggers/new", **fields).status_code == 302
    with db.session() as session:
        trigger = session.scalar(select(Trigger).where(Trigger.name == fields["name"]))
        assert trigger is not None
        add_due_steps(session, trigger, 2, due_at=utcnow() + timedelta(days=1))
        session.commit()
        trigger_id = trigger.id
    shorter = {**fields, "step-2-delay": "", "step-2-template": ""}
    response = post_form(client, f"/admin/triggers/{trigger_id}/edit", **shorter)
    assert response.status_code == 422
    assert "step 2 is still due for 2 customers" in error_of(text(response), "steps")
    after = stored(db, fields["name"])
    assert after is not None and len(after.steps) == 2


def test_enable_and_disable_switch_the_trigger(client: FlaskClient, db: Database) -> None:
    template_id = add_template(db)
    signed_in(client, db, Role.MANAGER)
    fields = trigger_fields(template_id)
    post_form(client, "/admin/triggers/new", **fields)
    trigger = stored(db, fields["name"])
    assert trigger is not None and not trigger.enabled
    page = f"/admin/triggers/{trigger.id}"
    assert post_form(client, f"{page}/enable").headers["Location"] == page
    assert (after := stored(db, fields["name"])) is not None and after.enabled
    assert "is on." in text(client.get(page))
    post_form(client, f"{page}/disable")
    assert (after := stored(db, fields["name"])) is not None and not after.enabled
    assert post_form(client, "/admin/triggers/99999/enable").status_code == 404


def test_a_viewer_reads_triggers_but_gets_403_on_every_post(
    client: FlaskClient, db: Database
) -> None:
    template_id = add_template(db)
    with db.session() as session:
        trigger = Trigger(
            name="Existing", kind=TriggerKind.CUSTOM, entry=Entry.ORDER_PLACED, enabled=False
        )
        trigger.steps = [TriggerStep(position=1, delay_minutes=0, template_id=template_id)]
        session.add(trigger)
        session.commit()
        trigger_id = trigger.id
    signed_in(client, db, Role.VIEWER)
    for path in ("/admin/triggers", f"/admin/triggers/{trigger_id}"):
        page = text(client.get(path))
        assert "Existing" in page and "New trigger" not in page
        assert f"/admin/triggers/{trigger_id}/enable" not in page
    assert client.get("/admin/triggers/new").status_code == 403
    fields = trigger_fields(template_id, name="By a viewer")
    posts = ["new", f"{trigger_id}/edit", f"{trigger_id}/enable", f"{trigger_id}/disable"]
    for path in posts:
        assert post_form(client, f"/admin/triggers/{path}", **fields).status_code == 403, path
    after = stored(db, "Existing")
    assert after is not None and not after.enabled
    assert stored(db, "By a viewer") is None


def customer_order(
    client: FlaskClient, db: Database, shop: Shop, *, quantity: int, consent: bool = True
) -> str:
    """A webhook order an hour ago of ``quantity`` teas at 4.50; returns the buyer's email."""
    email = random_email()
    placed_at = (utcnow() - timedelta(hours=1)).isoformat()
    customer = {"email": email, "first_name": "Ann", "accepts_marketing": consent}
    webhook_order(client, db, [(shop.tea, quantity)], customer=customer, placed_at=placed_at)
    return email


def test_the_dry_run_counts_who_would_enter_who_not_and_why_and_writes_nothing(
    client: FlaskClient, db: Database, shop: Shop
) -> None:
    template_id = add_template(db)
    small = customer_order(client, db, shop, quantity=2)  # 9.00: below the minimum
    silent = customer_order(client, db, shop, quantity=3, consent=False)
    again = customer_order(client, db, shop, quantity=3)
    entering = [customer_order(client, db, shop, quantity=3 + i) for i in range(4)]
    with db.session() as session:
        trigger = Trigger(
            name="Big orders",
            kind=TriggerKind.CROSS_SELL,
            entry=Entry.ORDER_PLACED,
            enabled=False,
            audience={"min_value": "10"},
            reentry_days=30,
            holdout_percent=50,
        )
        trigger.steps = [TriggerStep(position=1, delay_minutes=60, template_id=template_id)]
        session.add(trigger)
        session.flush()
        again_id = session.scalar(select(Customer.id).where(Customer.email == again))
        assert again_id is not None
        session.add(
            Enrollment(
                trigger_id=trigger.id,
                customer_id=again_id,
                subject="order:earlier",
                entered_at=utcnow() - timedelta(days=3),
                status=EnrollmentStatus.COMPLETED,
            )
        )
        session.commit()
        trigger_id = trigger.id
        entering_ids = session.scalars(select(Customer.id).where(Customer.email.in_(entering)))
        held_out = sum(in_holdout(trigger_id, cid, 50) for cid in entering_ids)

    signed_in(client, db, Role.VIEWER)
    response = client.get(f"/admin/triggers/{trigger_id}/dry-run")
    assert response.status_code == 200
    page = text(response)
    cards = dict(re.findall(r'<div class="label">([^<]+)</div><div class="value">([\d,]+)', page))
    assert cards == {
        "events": "7",
        "would enter": "4",
        "held out": str(held_out),
        "refused": "3",
    }
    reasons = dict(re.findall(r'<tr><td>([^<]+)</td><td class="num">(\d+)</td></tr>', page))
    assert reasons == {
        "value below 10": "1",
        "no marketing consent": "1",
        "entered within the last 30 days": "1",
    }
    for email in (small, silent, again, *entering):
        assert email in page
    assert "value 9.00 is below 10" in page
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Enrollment)) == 1
        assert session.scalar(select(func.count()).select_from(EnrollmentStep)) == 0


def test_the_dry_run_of_an_unknown_trigger_is_404(client: FlaskClient, db: Database) -> None:
    signed_in(client, db, Role.VIEWER)
    assert client.get("/admin/triggers/4242/dry-run").status_code == 404
