"""CSRF tokens on every admin form, and the security headers of every response."""

from __future__ import annotations

import secrets
from typing import cast

from flask import abort, request, session
from werkzeug.wrappers import Response

from shopcore.admin.base import blueprint

CSRF_FIELD = "csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# No inline scripts or styles anywhere: pages load admin.css and admin.js, nothing else.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def csrf_token() -> str:
    """The session's CSRF token, made on first use; forms carry it in a hidden field."""
    if CSRF_FIELD not in session:
        session[CSRF_FIELD] = secrets.token_urlsafe(32)
    return cast(str, session[CSRF_FIELD])


@blueprint.before_request
def _check_csrf() -> None:
    if request.method in SAFE_METHODS:
        return
    expected = session.get(CSRF_FIELD, "")
    sent = request.form.get(CSRF_FIELD, "")
    if not expected or not secrets.compare_digest(sent.encode(), expected.encode()):
        abort(400, "The form expired; reload the page and try again.")


@blueprint.after_app_request
def _add_security_headers(response: Response) -> Response:
    # Registered on the app, not only the admin: API answers and email links get them too.
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response


@blueprint.after_request
def _keep_admin_pages_out_of_caches(response: Response) -> Response:
    response.headers.setdefault("Cache-Control", "no-store")
    return response
