"""Settings come in layers: defaults, then the environment, then explicit overrides."""

from __future__ import annotations

from datetime import time

import pytest

from config.settings import SettingsError, load_settings, parse_quiet_hours
from shopcore.db import normalize_database_url


def test_with_no_settings_the_demo_uses_sqlite_under_the_instance_folder() -> None:
    settings = load_settings(environ={})
    assert settings.effective_database_url.startswith("sqlite:///")
    assert settings.effective_database_url.endswith("instance/shopcore.sqlite3")
    assert not settings.uses_redis


def test_the_environment_overrides_defaults_and_overrides_win_over_the_environment() -> None:
    env = {"SHOPCORE_TIMEZONE": "Europe/Berlin", "SHOPCORE_REDIS_URL": "redis://r:6379/0"}
    assert load_settings(environ=env).timezone == "Europe/Berlin"
    assert load_settings(environ=env, timezone="Europe/Paris").timezone == "Europe/Paris"
    assert load_settings(environ=env).uses_redis


def test_quiet_hours_may_cross_midnight_and_may_be_empty() -> None:
    assert parse_quiet_hours("21:00-08:00") == (time(21), time(8))
    assert parse_quiet_hours("") is None


@pytest.mark.parametrize(
    "env",
    [
        {"SHOPCORE_TIMEZONE": "Mars/Olympus"},
        {"SHOPCORE_QUIET_HOURS": "late"},
        {"SHOPCORE_SMTP_URL": "mail.example.com"},
    ],
)
def test_unusable_settings_are_refused_with_a_reason(env: dict[str, str]) -> None:
    with pytest.raises(SettingsError):
        load_settings(environ=env)


def test_unknown_overrides_are_refused() -> None:
    with pytest.raises(SettingsError, match="unknown settings"):
        load_settings(environ={}, databse_url="x")


@pytest.mark.parametrize(
    "url", ["postgres://u@h/db", "postgresql://u@h/db", "postgresql+psycopg://u@h/db"]
)
def test_postgres_urls_of_every_usual_form_use_psycopg_3(url: str) -> None:
    assert normalize_database_url(url) == "postgresql+psycopg://u@h/db"
