"""Webhook intake: each platform's signatures and bodies, read without touching the database.

``signatures`` checks and makes each platform's signature; ``shopify``, ``woocommerce`` and
``generic`` read their bodies into ``payloads``; ``topics`` says which reader a delivery
needs and what identifies it.
"""
