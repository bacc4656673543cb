"""Admin users with hashed passwords, and API bearer tokens stored only as hashes."""

from __future__ import annotations

import hashlib
import secrets
from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from shopcore.db import utcnow
from shopcore.enums import Role
from shopcore.identity import normalize_email
from shopcore.models import AdminUser, ApiToken

TOKEN_PREFIX = "shc_"
# scrypt with N=2**15, r=8, p=1, in werkzeug's notation. A stored hash made another way (an
# older werkzeug's pbkdf2, or weaker scrypt settings) is replaced at the next sign-in.
PASSWORD_METHOD = "scrypt:32768:8:1"


class UserExists(ValueError):
    """An admin user with that email already exists."""


class TokenNotFound(LookupError):
    """No API token has that id."""


def create_user(session: Session, email: str, *, role: Role, password: str) -> AdminUser:
    """Add an admin login; the caller commits."""
    address = normalize_email(email)
    if address is None:
        raise ValueError(f"not an email address: {email!r}")
    if len(password) < 8:
        raise ValueError("passwords need at least 8 characters")
    if session.scalar(select(AdminUser).where(AdminUser.email == address)):
        raise UserExists(address)
    user = AdminUser(email=address, role=role, password_hash=hash_password(password))
    session.add(user)
    return user


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=PASSWORD_METHOD)


def needs_rehash(password_hash: str) -> bool:
    """Whether a stored hash was made otherwise than by ``PASSWORD_METHOD`` (an older scheme)."""
    return not password_hash.startswith(PASSWORD_METHOD + "$")


def authenticate_user(session: Session, email: str, password: str) -> AdminUser | None:
    """The user with this email and password, its hash upgraded if weak; the caller commits."""
    user = session.scalar(select(AdminUser).where(AdminUser.email == normalize_email(email)))
    if user is None:
        # Spend the same time as for a known email, so timing does not reveal which exist.
        check_password_hash(_unknown_user_hash(), password)
        return None
    if not check_password_hash(user.password_hash, password):
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    return user


@cache
def _unknown_user_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def hash_token(token: str) -> str:
    # Tokens are 256 random bits, so a plain SHA-256 is enough: nothing to brute-force.
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, name: str) -> str:
    """Store a new API token's hash and return the token itself, shown only this once."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(name=name, token_hash=hash_token(token), prefix=token[:10]))
    return token


def revoke_token(session: Session, token_id: int) -> ApiToken:
    """Refuse the token from now on (revoking it again changes nothing); the caller commits."""
    found = session.get(ApiToken, token_id)
    if found is None:
        raise TokenNotFound(token_id)
    if found.revoked_at is None:
        found.revoked_at = utcnow()
    return found


def authenticate_token(session: Session, token: str) -> ApiToken | None:
    found = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if found is None or found.revoked_at is not None:
        return None
    found.last_used_at = utcnow()
    return found
