"""Who may do what in the admin: the signed-in user and the least role each view needs.

Roles are ordered viewer < manager < admin, each able to do all that the ones below it can.
Viewers only read: whatever a view's role, a request that changes something (any method but
GET and HEAD) needs at least a manager, so a viewer posting any form gets 403.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import abort, g, redirect, request, session, url_for

from shopcore.admin.base import db_session
from shopcore.enums import Role
from shopcore.models import AdminUser

View = TypeVar("View", bound=Callable[..., Any])

RANKS = {Role.VIEWER: 0, Role.MANAGER: 1, Role.ADMIN: 2}
READS = frozenset({"GET", "HEAD"})
# Set on each view by ``requires``: the access test checks that no admin view lacks one.
ROLE_ATTRIBUTE = "required_role"


def at_least(role: Role, needed: Role) -> bool:
    """Whether ``role`` includes what ``needed`` may do."""
    return RANKS[role] >= RANKS[needed]


def current_user() -> AdminUser | None:
    """The signed-in user of this request, loaded afresh so a changed role applies at once."""
    if "user" not in g:
        user_id = session.get("user_id")
        g.user = db_session().get(AdminUser, user_id) if isinstance(user_id, int) else None
    return cast(AdminUser | None, g.user)


def can(needed: Role) -> bool:
    """Whether the signed-in user has ``needed`` or a higher role (for templates)."""
    user = current_user()
    return user is not None and at_least(user.role, needed)


def requires(role: Role) -> Callable[[View], View]:
    """Let in signed-in users with ``role`` or higher; strangers go to the login page."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                return redirect(url_for("admin.login", next=request.full_path.rstrip("?")))
            needed = (
                role if request.method in READS else max(role, Role.MANAGER, key=RANKS.__getitem__)
            )
            if not at_least(user.role, needed):
                abort(403, f"This needs the {needed.value} role; you are {user.role.value}.")
            return view(*args, **kwargs)

        setattr(wrapped, ROLE_ATTRIBUTE, role)
        return cast(View, wrapped)

    return decorate
