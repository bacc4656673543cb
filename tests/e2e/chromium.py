"""The system Chromium driven by Playwright, and an admin tab that proves each page it opens.

The browser is Debian's ``/usr/bin/chromium``, never one Playwright downloads. Every page
visited is screenshotted into ``SHOPCORE_ARTIFACTS`` (default ``test-artifacts/screenshots``)
and checked for console errors, uncaught exceptions and Content-Security-Policy violations.
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Route

from tests.e2e.conftest import ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Remote images in emails (the shop's logo, product photos) get this instead of the internet.
_PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
# A violation is reported to the test through a binding; the page's policy cannot block it.
_REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.__shopcoreViolation(`${e.violatedDirective} blocked ${e.blockedURI || "inline"}`);
});
"""


def artifacts_dir(test_name: str) -> Path:
    """This test's screenshot folder, emptied: screenshots are artifacts, never committed."""
    root = Path(os.environ.get("SHOPCORE_ARTIFACTS") or ROOT / "test-artifacts" / "screenshots")
    folder = root / re.sub(r"[^\w.-]+", "_", test_name)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    return folder


class AdminTab:
    """One signed-in (or not yet) browser tab on the admin of a running Shopcore."""

    def __init__(self, context: BrowserContext, base: str, shots: Path) -> None:
        self.base = base
        self.shots = shots
        self.problems: list[str] = []
        self._count = 0
        context.expose_binding(
            "__shopcoreViolation", lambda _source, text: self.problems.append(f"CSP: {text}")
        )
        context.add_init_script(_REPORT_VIOLATIONS)
        context.route(re.compile(r"^https?://"), self._keep_local)
        self.page = context.new_page()
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.problems.append(f"exception: {error}"))

    def _keep_local(self, route: Route) -> None:
        if route.request.url.startswith(self.base):
            route.continue_()
        else:
            route.fulfill(status=200, content_type="image/gif", body=_PIXEL)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.problems.append(f"console: {message.text} ({message.location.get('url')})")

    def open(self, path: str, name: str) -> Page:
        """Go to an admin path, then prove the page as ``shown`` does."""
        response = self.page.goto(self.base + path)
        assert response is not None and response.ok, f"{path}: {response and response.status}"
        self.shown(name)
        return self.page

    def shown(self, name: str) -> None:
        """Screenshot the page as it stands; fail on any error or violation seen so far."""
        self.page.wait_for_load_state("load")
        self._count += 1
        self.page.screenshot(path=self.shots / f"{self._count:02d}-{name}.png", full_page=True)
        assert not self.problems, f"{name} ({self.page.url}): {self.problems}"

    def sign_in(self, email: str, password: str) -> None:
        self.open("/admin/login", "sign-in")
        self.page.get_by_label("Email").fill(email)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.get_by_role("navigation", name="Sections").wait_for()
        self.shown("signed-in")

    def csrf(self) -> str:
        """The session's CSRF token, as every page's sign-out form carries it."""
        return str(self.page.locator("form.signout input[name=csrf]").input_value())


@contextmanager
def admin_tab(browser: Browser, base: str, shots: Path, **options: Any) -> Iterator[AdminTab]:
    """A fresh browser context (its own cookies) with one admin tab."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, **options)
    context.set_default_timeout(30_000)
    try:
        yield AdminTab(context, base, shots)
    finally:
        context.close()
