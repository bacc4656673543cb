"""Warehouses, stock levels, the movement ledger and allocation."""
