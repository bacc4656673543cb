"""Sources and API tokens in the admin: adding a webhook source that then receives orders,
and a token shown once that the API takes until it is revoked."""

from __future__ import annotations

import json
import time

from flask.testing import FlaskClient
from sqlalchemy import select

from shopcore.db import Database
from shopcore.enums import Platform, Role
from shopcore.intake.signatures import sign_generic
from shopcore.models import ApiToken, Order, Source
from tests.integration.admin_support import post_form, signed_in, text
from tests.integration.api_support import Shop, bearer, order_body
from tests.integration.page_figures import within

SECRET = "a-long-shared-signing-secret"


def test_an_added_source_receives_signed_webhooks_at_the_url_shown(
    client: FlaskClient, db: Database, shop: Shop
) -> None:
    signed_in(client, db, Role.ADMIN)

    response = post_form(
        client, "/admin/sources", name="eu-store", platform="generic", secret=SECRET
    )

    assert response.status_code == 302
    page = text(client.get("/admin/sources"))
    assert "http://127.0.0.1:5000/webhooks/eu-store" in within(page, "data-source", "eu-store")
    assert SECRET not in page
    with db.session() as session:
        source = session.scalar(select(Source).where(Source.name == "eu-store"))
        assert source is not None
        assert (source.platform, source.secret) == (Platform.GENERIC, SECRET)
    body = json.dumps({"type": "order", "data": order_body([(shop.tea, 1)])}).encode()
    signature = sign_generic(body, SECRET, timestamp=int(time.time()))
    hook = client.post("/webhooks/eu-store", data=body, headers={"X-Shopcore-Signature": signature})
    assert hook.status_code < 300, hook.get_json()
    with db.session() as session:
        assert session.scalar(select(Order.id).where(Order.source_id == source.id)) is not None


def test_a_source_form_with_mistakes_shows_them_and_never_echoes_the_secret(
    client: FlaskClient, db: Database
) -> None:
    signed_in(client, db, Role.ADMIN)
    post_form(client, "/admin/sources", name="eu-store", platform="shopify", secret=SECRET)

    taken = post_form(client, "/admin/sources", name="eu-store", platform="shopify", secret=SECRET)
    odd = post_form(client, "/admin/sources", name="eu store/1", platform="api", secret="")

    assert taken.status_code == 422 and "A source with this name exists." in text(taken)
    assert SECRET not in text(taken)
    assert odd.status_code == 422
    page = text(odd)
    assert "Letters, digits" in page
    assert "Choose shopify, woocommerce or generic." in page
    assert "Required: the secret the store signs its webhooks with." in page
    with db.session() as session:
        assert session.scalar(select(Source.platform).where(Source.name == "eu-store")) == (
            Platform.SHOPIFY
        )


def test_a_new_token_is_shown_once_works_and_stops_working_when_revoked(
    client: FlaskClient, db: Database
) -> None:
    signed_in(client, db, Role.ADMIN)

    created = post_form(client, "/admin/tokens", name="storefront")

    assert created.status_code == 200
    token = text(created).split('<code class="token" data-token>')[1].split("<")[0]
    assert token.startswith("shc_")
    api = client.get("/api/v1/orders", query_string={"channel": "online"}, headers=bearer(token))
    assert api.status_code == 200
    listing = text(client.get("/admin/tokens"))
    assert token not in listing
    with db.session() as session:
        row = session.scalars(select(ApiToken).where(ApiToken.name == "storefront")).one()
        assert row.last_used_at is not None
        token_id = row.id
    assert f"{token[:10]}…" in within(listing, "data-token-id", str(token_id))

    revoked = post_form(client, f"/admin/tokens/{token_id}/revoke")

    assert revoked.status_code == 302
    again = client.get("/api/v1/orders", query_string={"channel": "online"}, headers=bearer(token))
    assert again.status_code == 401
    assert "revoked" in within(text(client.get("/admin/tokens")), "data-token-id", str(token_id))
    assert post_form(client, f"/admin/tokens/{token_id}/revoke").status_code == 302
    assert post_form(client, "/admin/tokens/99999/revoke").status_code == 404


def test_a_token_needs_a_name(client: FlaskClient, db: Database) -> None:
    signed_in(client, db, Role.ADMIN)

    response = post_form(client, "/admin/tokens", name="  ")

    assert response.status_code == 422
    assert "data-token>" not in text(response)
    with db.session() as session:
        assert session.scalar(select(ApiToken.id)) is None


def test_only_admins_see_jobs_sources_and_tokens_in_the_navigation(
    client: FlaskClient, db: Database
) -> None:
    signed_in(client, db, Role.MANAGER)
    manager = text(client.get("/admin/segments"))
    client.post(
        "/admin/logout", data={"csrf": manager.split('name="csrf" value="')[1].split('"')[0]}
    )
    signed_in(client, db, Role.ADMIN)
    admin = text(client.get("/admin/segments"))

    for path in ("/admin/segments", "/admin/results", "/admin/messages"):
        assert f'href="{path}"' in manager and f'href="{path}"' in admin
    for path in ("/admin/jobs", "/admin/sources", "/admin/tokens"):
        assert f'href="{path}"' not in manager and f'href="{path}"' in admin
