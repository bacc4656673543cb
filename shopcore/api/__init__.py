"""The REST API under ``/api/v1``: orders, stock, customers, storefront events, OpenAPI."""

from __future__ import annotations

from shopcore.api import customers, events, orders, spec, stock
from shopcore.api.base import blueprint

__all__ = ["blueprint", "customers", "events", "orders", "spec", "stock"]
