"""The links in retention emails: unsubscribe, the open pixel, tracked clicks, NPS answers.

Anyone may follow these links, from any mail client or gateway, so the views need no
login and no CSRF token (a one-click unsubscribe POST comes from the mail provider), and
read nothing from the request but the token, the method, the user agent and the click's
signed target; anything else is ignored, and anything malformed is a 4xx. The token is
a credential for its message's links: responses ask browsers not to pass it on as a
referrer.
"""

from __future__ import annotations

import base64
from typing import cast

from flask import Blueprint, current_app, redirect, render_template, request
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from config.settings import Settings
from retention.consent import unsubscribe
from retention.links import verify_link
from retention.nps import record_nps
from retention.tokens import message_by_token
from retention.tracking import classify_visit, record_click, record_open
from retention.vocabulary import TrackKind
from shopcore.db import Database
from shopcore.transactions import run_in_transaction

blueprint = Blueprint("retention", __name__)

# A 1x1 transparent GIF.
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
_NO_CACHE = {
    "Cache-Control": "no-store, no-cache, must-revalidate, max-age=0",
    "Pragma": "no-cache",
    "Expires": "0",
}
# A tracked link's target is a URL we wrote into an email; anything longer is not one.
_MAX_TARGET = 8000


@blueprint.after_request
def _private(response: Response) -> Response:
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers.setdefault("Cache-Control", "no-store")
    return response


@blueprint.get("/u/<token>")
def unsubscribe_page(token: str) -> Response:
    """Show the address and a button to unsubscribe it; changes nothing."""
    with _database().session() as session:
        message = message_by_token(session, token)
        if message is None:
            return _missing()
        return _page("unsubscribe.html", email=message.to_email, done=False)


@blueprint.post("/u/<token>")
def unsubscribe_now(token: str) -> Response:
    """Unsubscribe at once: the page's button, or a mail client's RFC 8058 one-click POST."""
    message = run_in_transaction(_database(), lambda session: unsubscribe(session, token))
    if message is None:
        return _missing()
    return _page("unsubscribe.html", email=message.to_email, done=True)


@blueprint.get("/t/o/<token>.gif")
def open_pixel(token: str) -> Response:
    """Record an open and answer with a transparent pixel, known token or not."""
    run_in_transaction(
        _database(),
        lambda session: record_open(
            session, token, method=request.method, user_agent=request.user_agent.string
        ),
    )
    return Response(PIXEL, mimetype="image/gif", headers=_NO_CACHE)


@blueprint.route("/t/c/<token>", methods=["GET", "HEAD"])
def click(token: str) -> Response:
    """Record a click and redirect to its target, if the link's signature is ours."""
    target = request.args.get("u", "")
    signature = request.args.get("s", "")
    if (
        not target
        or len(target) > _MAX_TARGET
        or not target.lower().startswith(("http://", "https://"))
        or not verify_link(_secret(), token, target, signature)
    ):
        return _page("link_invalid.html", status=400, reason="This link is damaged.")
    run_in_transaction(
        _database(),
        lambda session: record_click(
            session, token, target, method=request.method, user_agent=request.user_agent.string
        ),
    )
    return redirect(target, code=302)


@blueprint.get("/nps/<token>/<int:score>")
def nps_answer(token: str, score: int) -> Response:
    """Keep the score a customer clicked in a survey email, unless a link scanner clicked."""
    if score > 10:
        return _missing()

    def answer(session: Session) -> bool:
        message = message_by_token(session, token)
        if message is None:
            return False
        human, _reason = classify_visit(
            message,
            method=request.method,
            user_agent=request.user_agent.string,
            kind=TrackKind.CLICK,
        )
        if human:
            record_nps(session, token, score)
        return True

    if not run_in_transaction(_database(), answer):
        return _missing()
    return _page("nps_thanks.html", score=score)


def _page(template: str, *, status: int = 200, **context: object) -> Response:
    settings = cast(Settings, current_app.config["SHOPCORE"])
    html = render_template(template, shop_name=settings.shop_name, **context)
    return Response(html, status=status, mimetype="text/html")


def _missing() -> Response:
    return _page("link_invalid.html", status=404, reason="This link is unknown or has expired.")


def _database() -> Database:
    return cast(Database, current_app.extensions["shopcore.db"])


def _secret() -> str:
    # The app's SECRET_KEY is config.settings.secret_key(settings): what the send job signs with.
    return cast(str, current_app.config["SECRET_KEY"])
