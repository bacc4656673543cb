"""The set-up commands of ``shopcore``: users, tokens, sources, warehouses and the schema."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select, update

from inventory.models import StockLevel, Warehouse
from inventory.stock import set_on_hand
from shopcore.auth import authenticate_token, hash_token
from shopcore.cli import main
from shopcore.db import Database
from shopcore.enums import Channel, Platform, Role
from shopcore.models import AdminUser, ApiToken, Source
from tests.factories import add_product, add_warehouses

Run = Callable[..., Result]


@pytest.fixture
def run(db: Database, monkeypatch: pytest.MonkeyPatch) -> Run:
    monkeypatch.setenv(
        "SHOPCORE_DATABASE_URL", db.engine.url.render_as_string(hide_password=False)
    )

    def invoke(*args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)

    return invoke


def test_db_upgrade_is_safe_to_repeat(run: Run) -> None:
    first, second = run("db", "upgrade"), run("db", "upgrade")
    assert first.exit_code == second.exit_code == 0
    assert "newest schema" in second.output


def test_commands_on_an_unmigrated_database_say_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOPCORE_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    result = CliRunner().invoke(main, ["tokens", "create", "pos"])
    assert result.exit_code == 1
    assert "shopcore db upgrade" in result.output


def test_a_created_user_can_sign_in_with_a_hashed_password(run: Run, db: Database) -> None:
    result = run("users", "create", " Mia@Shop.example ", "--role", "manager",
                 "--password", "correct horse")
    assert result.exit_code == 0, result.output
    with db.session() as session:
        user = session.scalar(select(AdminUser))
        assert user is not None
        assert (user.email, user.role) == ("mia@shop.example", Role.MANAGER)
        assert "correct horse" not in user.password_hash


def test_the_password_is_prompted_for_when_omitted(run: Run, db: Database) -> None:
    result = run("users", "create", "ann@shop.example", "--role", "viewer",
                 input="long enough\nlong enough\n")
    assert result.exit_code == 0, result.output


def test_a_second_user_with_the_same_email_is_refused(run: Run) -> None:
    args = ("users", "create", "a@shop.example", "--role", "admin", "--password", "12345678")
    assert run(*args).exit_code == 0
    again = run(*args)
    assert again.exit_code == 1 and "already exists" in again.output


def test_a_token_is_printed_alone_on_the_last_line_and_stored_only_as_a_hash(
    run: Run, db: Database
) -> None:
    result = run("tokens", "create", "pos-terminal")
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("shc_") and " " not in token
    with db.session() as session:
        stored = session.scalar(select(ApiToken))
        assert stored is not None and stored.token_hash == hash_token(token)
        assert token not in (stored.token_hash, stored.prefix)
        assert authenticate_token(session, token) is not None
        assert authenticate_token(session, token + "x") is None


def test_a_webhook_source_is_added_once(run: Run, db: Database) -> None:
    ok = run("sources", "add", "eu-store", "--platform", "shopify", "--secret", "s3cret")
    assert ok.exit_code == 0 and "/webhooks/eu-store" in ok.output
    again = run("sources", "add", "eu-store", "--platform", "shopify", "--secret", "x")
    assert again.exit_code == 1 and "already exists" in again.output
    with db.session() as session:
        source = session.scalar(select(Source))
        assert source is not None and source.platform == Platform.SHOPIFY


def test_a_source_name_must_fit_in_its_webhook_path(run: Run, db: Database) -> None:
    bad = run("sources", "add", "eu store/x", "--platform", "shopify", "--secret", "s3cret")
    assert bad.exit_code == 1 and "letters, digits" in bad.output
    with db.session() as session:
        assert session.scalar(select(Source)) is None


def test_a_warehouse_serves_the_channels_it_is_given(run: Run, db: Database) -> None:
    result = run("warehouses", "add", "fc-north", "--name", "North", "--priority", "10",
                 "--channels", "online,wholesale")
    assert result.exit_code == 0, result.output
    with db.session() as session:
        warehouse = session.scalar(select(Warehouse))
        assert warehouse is not None and warehouse.code == "FC-NORTH"
        assert warehouse.channels == {Channel.ONLINE, Channel.WHOLESALE}
    bad = run("warehouses", "add", "x", "--name", "X", "--priority", "1", "--channels", "moon")
    assert bad.exit_code == 2 and "online, retail, wholesale" in bad.output


def test_stock_check_passes_a_clean_ledger_and_fails_on_drift(run: Run, db: Database) -> None:
    with db.session() as session:
        product = add_product(session)
        warehouse = add_warehouses(session, ("FC", 10, "online"))["FC"]
        set_on_hand(session, product.id, warehouse.id, 4)
        session.commit()
    clean = run("stock", "check")
    assert clean.exit_code == 0 and "1 stock levels checked, 0 with drift" in clean.output
    with db.session() as session:
        session.execute(update(StockLevel).values(on_hand=9))
        session.commit()
    drifted = run("stock", "check")
    assert drifted.exit_code == 1
    assert "on_hand 9 (ledger 4)" in drifted.output


def test_the_trigger_commands_install_tick_and_report(run: Run) -> None:
    installed = run("triggers", "defaults")
    assert installed.exit_code == 0 and "Abandoned cart" in installed.output
    again = run("triggers", "defaults")
    assert "already installed" in again.output
    ticked = run("triggers", "tick")
    assert ticked.exit_code == 0 and "0 due steps queued in 0 batches" in ticked.output
    report = run("triggers", "results", "--days", "7")
    assert report.exit_code == 0 and "Win-back (win_back)" in report.output
