"""The admin in a real browser: a demo store served by ``shopcore demo``, driven in Chromium.

Each page visited is screenshotted and must show no console error, no uncaught exception
and no Content-Security-Policy violation (see ``tests.e2e.chromium``).
"""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from shopcore.cli import DEMO_PASSWORD, DEMO_USER
from tests.conftest import service_missing
from tests.e2e.chromium import CHROMIUM, CHROMIUM_ARGS, AdminTab, admin_tab, artifacts_dir
from tests.e2e.conftest import clean_env, free_port, running, wait_for_health

MANAGER = ("manager@shop.example", "manager-password-1")
VIEWER = ("viewer@shop.example", "viewer-password-1")


@dataclass(frozen=True)
class Store:
    base: str


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """A seeded demo store with the standard triggers, a manager and a viewer, served."""
    folder = tmp_path_factory.mktemp("browser-store")
    env = clean_env()
    _shopcore(["db", "upgrade"], folder, env)
    for (email, password), role in ((MANAGER, "manager"), (VIEWER, "viewer")):
        _shopcore(["users", "create", email, "--role", role, "--password", password], folder, env)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = folder / "demo.log"
    with running(["demo", "--port", str(port), "--customers", "300"], cwd=folder, env=env, log=log):
        wait_for_health(base, timeout=180, log=log)
        yield Store(base)


def _shopcore(args: list[str], cwd: Path, env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", "shopcore", *args], cwd=cwd, env=env, check=True, capture_output=True
    )


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        service_missing(f"no browser at {CHROMIUM} (apt-get install chromium chromium-driver)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def tab(request: pytest.FixtureRequest, browser: Browser, store: Store) -> Iterator[AdminTab]:
    with admin_tab(browser, store.base, artifacts_dir(request.node.name)) as opened:
        yield opened


def test_an_admin_sees_every_section_render_cleanly(tab: AdminTab) -> None:
    tab.sign_in(DEMO_USER, DEMO_PASSWORD)
    page = tab.page
    expect(page.get_by_role("heading", name="Overview", level=1)).to_be_visible()
    expect(page.get_by_role("figure").first).to_be_visible()

    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Orders").click()
    tab.shown("orders")
    page.locator("table tbody tr a").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Order ")
    tab.shown("order")

    for section, heading in (
        ("Inventory", "Inventory"),
        ("Customers", "Customers"),
        ("Segments", "Segments"),
        ("Results", "Results"),
        ("Triggers", "Triggers"),
        ("Templates", "Email templates"),
        ("Messages", "Messages"),
        ("Jobs", "Jobs"),
        ("Sources", "Sources"),
        ("Tokens", "API tokens"),
        ("Users", "Users"),
    ):
        page.get_by_role("navigation", name="Sections").get_by_role("link", name=section).click()
        expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
        tab.shown(section.lower())
        if section in ("Customers", "Segments"):
            page.locator("table tbody tr a").first.click()
            expect(page.get_by_role("heading", level=1)).not_to_have_text(heading)
            tab.shown(section.lower().rstrip("s"))
    expect(page.get_by_role("cell", name=MANAGER[0])).to_be_visible()
    for path, name in (
        ("/admin/inventory/low", "low-stock"),
        ("/admin/inventory/movements", "movements"),
        ("/admin/inventory/analysis", "abc-xyz"),
        ("/admin/inventory/count", "count-stock"),
        ("/admin/messages/outbox", "outbox"),
    ):
        tab.open(path, name)


def test_a_manager_creates_a_trigger_through_the_form_and_dry_runs_it(tab: AdminTab) -> None:
    tab.sign_in(*MANAGER)
    page = tab.page
    tab.open("/admin/triggers", "triggers")
    page.get_by_role("link", name="New trigger").click()
    expect(page.get_by_role("heading", name="New trigger")).to_be_visible()
    tab.shown("new-trigger")

    name = f"Thank-you {uuid.uuid4().hex[:6]}"
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Kind").select_option("welcome")
    page.get_by_label("Enters on").select_option("order_placed")
    page.get_by_label("Channels").select_option(["online", "retail"])
    page.get_by_label("Step 1 delay").fill("2")
    page.get_by_label("Step 1 unit").select_option("hours")
    page.get_by_label("Step 1 template").select_option(label="welcome")
    page.get_by_label("Holdout %").fill("20")
    tab.shown("new-trigger-filled")
    page.get_by_role("button", name="Create trigger").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text(name)
    expect(page.get_by_role("status")).to_contain_text("Trigger created.")
    expect(page.get_by_role("link", name="welcome", exact=True)).to_be_visible()
    tab.shown("trigger-created")

    page.get_by_role("link", name="Dry run").click()
    expect(page.get_by_role("heading", name=f"Dry run of {name}")).to_be_visible()
    tab.shown("dry-run")
    labels = ("events", "would enter", "held out", "refused")
    counts = {label: _card(tab, label) for label in labels}
    assert counts["events"] > 0, "the demo's recent orders are events a new trigger would see"
    assert counts["events"] == counts["would enter"] + counts["refused"]
    assert counts["held out"] <= counts["would enter"]
    sample = page.locator("table").last.locator("tbody tr")
    expect(sample).to_have_count(min(counts["events"], 20))


def _card(tab: AdminTab, label: str) -> int:
    # Matched by words, not the whole caption: captions carry hints ("of them held out").
    caption = tab.page.locator(".label", has_text=re.compile(rf"\b{label}$"))
    card = tab.page.locator(".card").filter(has=caption)
    value = card.locator(".value").inner_text()
    found = re.match(r"[\d,]+", value.strip())
    assert found, f"{label}: {value!r}"
    return int(found.group().replace(",", ""))


def test_the_template_editor_previews_the_changed_text_live(tab: AdminTab) -> None:
    tab.sign_in(*MANAGER)
    page = tab.page
    tab.open("/admin/templates", "templates")
    page.get_by_role("link", name="welcome", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("welcome")
    preview = page.frame_locator("#preview-frame")
    expect(preview.locator("body")).to_contain_text("Thanks for joining")
    tab.shown("template-editor")

    marker = f"Fresh tea every week {uuid.uuid4().hex[:6]}"
    editor = page.get_by_label("MJML")
    text = editor.input_value()
    assert "<mj-text>Thanks for joining" in text
    editor.fill(text.replace("<mj-text>Thanks for joining", f"<mj-text>{marker}. Thanks", 1))
    expect(preview.locator("body")).to_contain_text(marker)
    tab.shown("template-preview-changed")

    page.get_by_text("Mobile (375px)").click()
    expect(page.locator("#preview-frame")).to_have_js_property("offsetWidth", 375)
    tab.shown("template-preview-mobile")


def test_the_results_page_shows_a_funnel_row_per_trigger(tab: AdminTab) -> None:
    tab.sign_in(*MANAGER)
    tab.open("/admin/results", "results")
    page = tab.page
    expect(page.get_by_role("heading", name="Funnel per trigger")).to_be_visible()
    for trigger in ("Abandoned cart", "Welcome", "Win-back"):
        row = page.locator(f'tr[data-trigger="{trigger}"]')
        expect(row).to_have_count(1)
        expect(row.locator('[data-figure="enrolled"]')).to_have_text(re.compile(r"^[\d,]+$"))


def test_a_viewer_sees_no_edit_controls_and_a_post_is_refused(tab: AdminTab) -> None:
    tab.sign_in(*VIEWER)
    page = tab.page
    tab.open("/admin/triggers", "triggers")
    expect(page.get_by_role("link", name="New trigger")).to_have_count(0)
    page.get_by_role("link", name="Abandoned cart", exact=True).click()
    tab.shown("trigger")
    expect(page.get_by_role("link", name="Dry run")).to_be_visible()
    for control in ("Edit", "Disable", "Enable"):
        expect(page.get_by_role("link", name=control, exact=True)).to_have_count(0)
        expect(page.get_by_role("button", name=control, exact=True)).to_have_count(0)
    trigger_url = page.url

    page.get_by_role("link", name="abandoned_cart").first.click()
    tab.shown("template-read-only")
    expect(page.get_by_label("MJML")).not_to_be_editable()
    for control in ("Preview", "Send a test to me", "Restore"):
        expect(page.get_by_role("button", name=control)).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("^Save"))).to_have_count(0)

    tab.open("/admin/orders", "orders")
    page.locator("table tbody tr a").first.click()
    tab.shown("order")
    for control in ("Ship", "Cancel order"):
        expect(page.get_by_role("button", name=control)).to_have_count(0)
    tab.open("/admin/inventory", "inventory")
    expect(page.get_by_role("link", name="Count stock")).to_have_count(0)
    expect(page.get_by_role("link", name="Users", exact=True)).to_have_count(0)

    # The session's own CSRF token: the refusal is the role's, not a stale form's.
    refused = page.request.post(
        f"{trigger_url}/disable", form={"csrf": tab.csrf()}, max_redirects=0
    )
    assert refused.status == 403
    page.goto(trigger_url)
    expect(page.locator("h1 .status")).to_have_text("on")
    tab.shown("trigger-still-on")
