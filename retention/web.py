"""Links in retention emails: unsubscribe, open pixel, tracked clicks, NPS answers."""

from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint("retention", __name__)
