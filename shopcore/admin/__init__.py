"""The web admin: roles, the dashboard, orders, inventory, customers, segments, results, messages.

Every view declares the least role it needs (``access.requires``); forms carry a CSRF token
and every response the security headers (``security``); failed sign-ins are throttled
(``throttle``).
"""

from __future__ import annotations

from datetime import datetime

from shopcore.admin import (
    customers,
    dashboard,
    email_templates,
    inventory,
    jobs,
    messages,
    orders,
    receipts,
    results,
    security,
    segments,
    signin,
    sources,
    template_previews,
    tokens,
    triggers,
    users,
)
from shopcore.admin.access import can, current_user
from shopcore.admin.base import blueprint, root, settings
from shopcore.enums import Role

__all__ = [
    "blueprint",
    "customers",
    "dashboard",
    "email_templates",
    "inventory",
    "jobs",
    "messages",
    "orders",
    "receipts",
    "results",
    "root",
    "security",
    "segments",
    "signin",
    "sources",
    "template_previews",
    "tokens",
    "triggers",
    "users",
]


@blueprint.app_context_processor
def _template_globals() -> dict[str, object]:
    return {
        "csrf_token": security.csrf_token,
        "current_user": current_user,
        "can": can,
        "Role": Role,
    }


@blueprint.app_template_filter("shop_time")
def _shop_time(moment: datetime) -> str:
    """A stored UTC time as the shop's local time, to the minute."""
    return moment.astimezone(settings().zone).strftime("%Y-%m-%d %H:%M")
