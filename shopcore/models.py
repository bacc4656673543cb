"""Customers and their identities, sources, products, orders, admin users and API tokens."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shopcore.db import Base, UTCDateTime, utcnow
from shopcore.enums import (
    CartStatus,
    Channel,
    DeliveryStatus,
    IdentityKind,
    LineStatus,
    OrderStatus,
    Platform,
    Role,
    enum_column,
)

Money = Numeric(14, 2)


class Source(Base):
    """Where orders come from: a webhook store, the API or a CSV import."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    platform: Mapped[Platform] = mapped_column(enum_column(Platform))
    secret: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Customer(Base):
    """One person or company, however many channels and spellings they use."""

    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    phone: Mapped[str | None] = mapped_column(String(32), index=True)
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    company: Mapped[str | None] = mapped_column(String(200))
    timezone: Mapped[str | None] = mapped_column(String(64))
    accepts_marketing: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consent_source: Mapped[str | None] = mapped_column(String(64))
    # Kept current at intake so that segmenting a million customers is a pass over customers,
    # not a GROUP BY over every order.
    orders_count: Mapped[int] = mapped_column(Integer, default=0)
    total_spent: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    first_order_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_order_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # RFM scores 1-5 and the segment (a retention.rfm.Segment value), written by
    # ``shopcore rfm``; None until the first pass, and no scores for prospects.
    rfm_r: Mapped[int | None] = mapped_column(SmallInteger)
    rfm_f: Mapped[int | None] = mapped_column(SmallInteger)
    rfm_m: Mapped[int | None] = mapped_column(SmallInteger)
    segment: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    identities: Mapped[list[CustomerIdentity]] = relationship(
        back_populates="customer", cascade="all, delete-orphan"
    )

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p) or (self.email or "")


class CustomerIdentity(Base):
    """A normalised email, phone or per-source external id that points at one customer."""

    __tablename__ = "customer_identities"
    __table_args__ = (UniqueConstraint("kind", "scope", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    kind: Mapped[IdentityKind] = mapped_column(enum_column(IdentityKind))
    # Empty for emails and phones, which are global; the source's name for external ids.
    scope: Mapped[str] = mapped_column(String(64), default="")
    value: Mapped[str] = mapped_column(String(320))
    first_seen_raw: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    customer: Mapped[Customer] = relationship(back_populates="identities")


Index("ix_customer_identities_customer", CustomerIdentity.customer_id)
# A segment's members page by id; the R x F grid is read from the index alone.
Index("ix_customers_segment_id", Customer.segment, Customer.id)
Index("ix_customers_rfm_grid", Customer.rfm_r, Customer.rfm_f, Customer.total_spent)


class SegmentMove(Base):
    """A customer left one RFM segment for another in a pass (None: first segmented)."""

    __tablename__ = "segment_moves"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    from_segment: Mapped[str | None] = mapped_column(String(32))
    to_segment: Mapped[str] = mapped_column(String(32))
    moved_at: Mapped[datetime] = mapped_column(UTCDateTime)


Index("ix_segment_moves_moved_at", SegmentMove.moved_at)
Index("ix_segment_moves_customer", SegmentMove.customer_id, SegmentMove.moved_at)


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint("price >= 0", name="price_not_negative"),
        CheckConstraint("cycle_days IS NULL OR cycle_days > 0", name="cycle_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    price: Mapped[Decimal] = mapped_column(Money)
    category: Mapped[str] = mapped_column(String(100), index=True)
    image_url: Mapped[str | None] = mapped_column(String(500))
    # How long one unit lasts a customer (tea ~30 days); None for durable goods.
    cycle_days: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("source_id", "channel", "external_id"),
        Index("ix_orders_customer_placed", "customer_id", "placed_at"),
        Index("ix_orders_placed_at", "placed_at"),
        Index("ix_orders_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"))
    channel: Mapped[Channel] = mapped_column(enum_column(Channel))
    external_id: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    status: Mapped[OrderStatus] = mapped_column(enum_column(OrderStatus))
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    currency: Mapped[str] = mapped_column(String(3))
    subtotal: Mapped[Decimal] = mapped_column(Money)
    total: Mapped[Decimal] = mapped_column(Money)
    is_test: Mapped[bool] = mapped_column(Boolean, default=False)
    warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouses.id"))
    shipping_address: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The platform's own "updated at", so an older delivery never overwrites a newer one.
    source_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    source: Mapped[Source] = relationship()
    customer: Mapped[Customer | None] = relationship()
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.id"
    )


class OrderLine(Base):
    __tablename__ = "order_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        # "Bought together" samples the latest orders of a product straight from this index.
        Index("ix_order_lines_product_order", "product_id", "order_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    sku: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(Money)
    total: Mapped[Decimal] = mapped_column(Money)
    status: Mapped[LineStatus] = mapped_column(enum_column(LineStatus))

    order: Mapped[Order] = relationship(back_populates="lines")
    product: Mapped[Product | None] = relationship()


class AdminUser(Base):
    __tablename__ = "admin_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ApiToken(Base):
    """A bearer token for the API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Cart(Base):
    """A storefront cart or checkout, kept for abandoned-cart triggers."""

    __tablename__ = "carts"
    __table_args__ = (
        UniqueConstraint("source_id", "external_id"),
        Index("ix_carts_status_updated", "status", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"))
    external_id: Mapped[str] = mapped_column(String(128))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    status: Mapped[CartStatus] = mapped_column(enum_column(CartStatus))
    currency: Mapped[str] = mapped_column(String(3))
    total: Mapped[Decimal] = mapped_column(Money)
    # Set when the cart became an order; the order's id when it is known.
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    items: Mapped[list[CartItem]] = relationship(
        back_populates="cart", cascade="all, delete-orphan", order_by="CartItem.id"
    )


class CartItem(Base):
    __tablename__ = "cart_items"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cart_id: Mapped[int] = mapped_column(ForeignKey("carts.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    sku: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(Money)

    cart: Mapped[Cart] = relationship(back_populates="items")


class WebhookDelivery(Base):
    """One webhook as a store sent it: kept raw, so a rejected one can be replayed."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("source_id", "delivery_key"),
        Index("ix_webhook_deliveries_status", "status", "received_at"),
        Index("ix_webhook_deliveries_order", "order_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"))
    # The platform's delivery id (X-Shopify-Webhook-Id, X-WC-Webhook-Delivery-ID), else a
    # hash of the body: what makes a second delivery of the same event recognisable.
    delivery_key: Mapped[str] = mapped_column(String(128))
    topic: Mapped[str] = mapped_column(String(64))
    status: Mapped[DeliveryStatus] = mapped_column(enum_column(DeliveryStatus))
    error: Mapped[str | None] = mapped_column(Text)
    headers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    source: Mapped[Source] = relationship()


class IdempotencyKey(Base):
    """The first answer to an API request sent with an ``Idempotency-Key``, for replays."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("token_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
