"""The admin's template pages: versions saved and restored, previews for a real customer,
test sends to the outbox."""

from __future__ import annotations

import email
import re
from email.message import Message as MimeMessage

from flask.testing import FlaskClient
from sqlalchemy import func, select

from retention.defaults import install_defaults
from retention.models import EmailTemplate, Message, OutboxEmail, TemplateVersion
from shopcore.db import Database
from shopcore.enums import Role
from tests.factories import random_email, random_ref
from tests.integration.admin_support import (
    add_user,
    place_order,
    post_form,
    sign_in,
    signed_in,
    text,
)
from tests.integration.api_support import Shop

Auth = dict[str, str]
DRAFT = """<mjml>
  <mj-head><mj-title>Draft for {{ customer.first_name }}</mj-title></mj-head>
  <mj-body><mj-section><mj-column>
    <mj-text>Hello {{ customer.first_name }}, this is a draft.</mj-text>
  </mj-column></mj-section></mj-body>
</mjml>
"""


def installed(db: Database, name: str = "welcome") -> int:
    """The standard templates and triggers installed; the id of template ``name``."""
    with db.session() as session:
        install_defaults(session)
        session.commit()
        found = session.scalar(select(EmailTemplate.id).where(EmailTemplate.name == name))
    assert found is not None
    return found


def versions(db: Database, template_id: int) -> list[TemplateVersion]:
    with db.session() as session:
        return list(
            session.scalars(
                select(TemplateVersion)
                .where(TemplateVersion.template_id == template_id)
                .order_by(TemplateVersion.version)
            )
        )


def buyer(client: FlaskClient, auth: Auth, shop: Shop, first_name: str) -> str:
    """A customer made by an order through the API; returns their email."""
    address = random_email()
    customer = {"email": address, "first_name": first_name, "accepts_marketing": True}
    place_order(client, auth, [(shop.tea, 1)], customer=customer)
    return address


def outbox(db: Database) -> list[tuple[int | None, MimeMessage]]:
    with db.session() as session:
        rows = session.execute(select(OutboxEmail.message_id, OutboxEmail.raw))
        return [(message_id, email.message_from_string(raw)) for message_id, raw in rows]


def html_part(msg: MimeMessage) -> str:
    for part in msg.walk():
        if part.get_content_type() == "text/html":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode(part.get_content_charset() or "utf-8")
    raise AssertionError("no HTML part")


def test_saving_in_the_editor_makes_version_2(client: FlaskClient, db: Database) -> None:
    template_id = installed(db)
    manager = add_user(db, Role.MANAGER)
    sign_in(client, manager)
    editor = f"/admin/templates/{template_id}"
    page = text(client.get(editor))
    assert "Save as version 2" in page and "Start shopping" in page
    (first,) = versions(db, template_id)
    # Browsers send textarea lines with CRLF; they are kept as plain newlines.
    edited = first.mjml.replace("Start shopping", "See what is new").replace("\n", "\r\n")
    response = post_form(client, editor, mjml=edited)
    assert response.status_code == 302
    assert response.headers["Location"].startswith(editor)
    v1, v2 = versions(db, template_id)
    assert (v1.mjml, v2.version, v2.author) == (first.mjml, 2, manager)
    assert "See what is new" in v2.mjml and "\r" not in v2.mjml
    assert "Saved as version 2." in text(client.get(response.headers["Location"]))
    listed = text(client.get("/admin/templates"))
    row = re.search(r"welcome</a></td>\s*<td class=\"num\">(\d+)</td>", listed)
    assert row is not None and row.group(1) == "2"


def test_a_template_that_does_not_compile_shows_its_line_and_saves_nothing(
    client: FlaskClient, db: Database
) -> None:
    template_id = installed(db)
    signed_in(client, db, Role.MANAGER)
    broken = DRAFT.replace("this is a draft.", "{{ customer. }} unclosed")
    response = post_form(client, f"/admin/templates/{template_id}", mjml=broken)
    assert response.status_code == 422
    page = text(response)
    error = re.search(r'id="e-mjml"[^>]*>([^<]+)<', page)
    assert error is not None and error.group(1).startswith("Line 4:")
    assert "unclosed" in page and "not saved" in page
    assert len(versions(db, template_id)) == 1


def test_the_preview_greets_the_chosen_customer_by_first_name(
    client: FlaskClient, db: Database, shop: Shop, auth: Auth
) -> None:
    template_id = installed(db)
    older = buyer(client, auth, shop, "Olga")
    buyer(client, auth, shop, "Zelda")
    signed_in(client, db, Role.VIEWER)
    preview = f"/admin/templates/{template_id}/preview"
    chosen = client.get(preview, query_string={"customer": older.upper()})
    assert chosen.status_code == 200
    assert "Welcome, Olga!" in text(chosen)
    policy = chosen.headers["Content-Security-Policy"]
    assert "sandbox" in policy and "default-src 'none'" in policy and "script-src" not in policy
    assert chosen.headers["X-Frame-Options"] == "SAMEORIGIN"
    # By default: the newest customer with an email.
    assert "Welcome, Zelda!" in text(client.get(preview))
    unknown = client.get(preview, query_string={"customer": "nobody@example.com"})
    assert unknown.status_code == 422 and "No customer has this email." in text(unknown)
    editor = text(client.get(f"/admin/templates/{template_id}", query_string={"customer": older}))
    assert re.search(r"<iframe[^>]*\ssandbox[\s>]", editor)
    assert "template_editor.js" in editor and "Save as version" not in editor


def test_a_draft_is_previewed_as_posted_and_its_errors_show_their_line(
    client: FlaskClient, db: Database, shop: Shop, auth: Auth
) -> None:
    template_id = installed(db)
    address = buyer(client, auth, shop, "Zelda")
    signed_in(client, db, Role.MANAGER)
    preview = f"/admin/templates/{template_id}/preview"
    shown = post_form(client, preview, mjml=DRAFT, customer=address)
    assert shown.status_code == 200
    assert "Hello Zelda, this is a draft." in text(shown)
    typo = post_form(client, preview, mjml=DRAFT.replace("first_name }},", "first_nam.x }},"))
    assert typo.status_code == 422 and "UndefinedError" in text(typo)
    syntax = post_form(client, preview, mjml=DRAFT.replace("{{ customer.first_name }},", "{{ }}"))
    assert syntax.status_code == 422 and "Line 4:" in text(syntax)
    assert len(versions(db, template_id)) == 1


def test_an_abandoned_cart_preview_shows_the_customers_own_cart(
    client: FlaskClient, db: Database, shop: Shop, auth: Auth
) -> None:
    template_id = installed(db, "abandoned_cart")
    address = random_email()
    event = {
        "type": "cart_updated",
        "occurred_at": "2026-12-01T10:00:00Z",
        "cart_id": random_ref("c-"),
        "customer": {"email": address, "accepts_marketing": True},
        "items": [{"sku": shop.mug, "quantity": 2, "unit_price": "12.00"}],
    }
    assert client.post("/api/v1/events", json=event, headers=auth).status_code == 202
    signed_in(client, db, Role.VIEWER)
    editor = text(client.get(f"/admin/templates/{template_id}", query_string={"customer": address}))
    assert 'value="abandoned_cart" selected' in editor
    shown = text(client.get(f"/admin/templates/{template_id}/preview?customer={address}"))
    assert "Test product" in shown and "Qty: 2" in shown and "EUR 24.00" in shown


def test_a_test_send_goes_to_the_managers_own_address_through_the_outbox(
    client: FlaskClient, db: Database, shop: Shop, auth: Auth
) -> None:
    template_id = installed(db)
    address = buyer(client, auth, shop, "Zelda")
    manager = add_user(db, Role.MANAGER)
    sign_in(client, manager)
    path = f"/admin/templates/{template_id}/test-send"
    response = post_form(client, path, mjml=DRAFT, customer=address, kind="welcome")
    assert response.status_code == 200
    page = text(response)
    assert f"Test sent to {manager}" in page and "outbox" in page
    assert "this is a draft." in page  # the unsaved text stays in the editor
    ((message_id, sent),) = outbox(db)
    assert message_id is None
    assert sent["To"] == manager
    assert sent["Subject"] == "[Test] Draft for Zelda"
    assert sent["X-Shopcore-Trigger"] == "welcome"
    assert sent["X-Shopcore-Test"] == "yes"
    assert "Hello Zelda, this is a draft." in html_part(sent)
    # Without a draft, the newest saved version goes.
    post_form(client, path, customer=address)
    assert "Welcome, Zelda!" in html_part(outbox(db)[1][1])
    with db.session() as session:
        # A test is no trigger's message: nothing counts it.
        assert session.scalar(select(func.count()).select_from(Message)) == 0
    assert len(versions(db, template_id)) == 1


def test_restoring_an_old_version_saves_it_again_as_the_newest(
    client: FlaskClient, db: Database
) -> None:
    template_id = installed(db)
    signed_in(client, db, Role.MANAGER)
    editor = f"/admin/templates/{template_id}"
    assert post_form(client, editor, mjml=DRAFT).status_code == 302
    old = text(client.get(f"{editor}/versions/1"))
    assert "Start shopping" in old and "Restore as the newest version" in old
    response = post_form(client, f"{editor}/versions/1/restore")
    assert response.headers["Location"] == editor
    v1, v2, v3 = versions(db, template_id)
    assert v3.mjml == v1.mjml and v2.mjml == DRAFT
    assert "Version 1 restored as version 3." in text(client.get(editor))
    assert client.get(f"{editor}/versions/9").status_code == 404


def test_a_new_template_starts_blank_or_as_a_copy_and_names_are_unique(
    client: FlaskClient, db: Database
) -> None:
    welcome = installed(db)
    signed_in(client, db, Role.MANAGER)
    blank = post_form(client, "/admin/templates", name="spring sale")
    assert blank.status_code == 302
    copy = post_form(client, "/admin/templates", name="welcome 2", copy_from=str(welcome))
    assert copy.status_code == 302
    with db.session() as session:
        rows = session.execute(
            select(EmailTemplate.name, TemplateVersion.mjml)
            .join(TemplateVersion)
            .where(EmailTemplate.name.in_(["spring sale", "welcome 2", "welcome"]))
        )
        texts = dict(rows.all())
    assert "{{ unsubscribe_url }}" in texts["spring sale"]
    assert texts["welcome 2"] == texts["welcome"]
    again = post_form(client, "/admin/templates", name="welcome")
    assert again.status_code == 422 and "A template has this name." in text(again)
    assert len(versions(db, welcome)) == 1


def test_a_viewer_reads_and_previews_templates_but_gets_403_on_every_post(
    client: FlaskClient, db: Database
) -> None:
    template_id = installed(db)
    signed_in(client, db, Role.VIEWER)
    editor = f"/admin/templates/{template_id}"
    page = text(client.get(editor))
    assert "readonly" in page and "Send a test" not in page and "Add a template" not in page
    assert client.get(f"{editor}/preview").status_code == 200
    for path in (
        "/admin/templates",
        editor,
        f"{editor}/preview",
        f"{editor}/test-send",
        f"{editor}/versions/1/restore",
    ):
        response = post_form(client, path, mjml=DRAFT, name="by a viewer")
        assert response.status_code == 403, path
    assert len(versions(db, template_id)) == 1
    assert outbox(db) == []


def test_the_list_names_each_templates_subject_and_triggers(
    client: FlaskClient, db: Database
) -> None:
    installed(db)
    signed_in(client, db, Role.VIEWER)
    page = text(client.get("/admin/templates"))
    assert "Post-purchase NPS survey" in page and "Abandoned cart" in page
    assert "your cart is waiting" in page
