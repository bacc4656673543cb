"""The small fixed vocabularies of retention, as ``str`` enums."""

from __future__ import annotations

from enum import StrEnum


class TriggerKind(StrEnum):
    """What a trigger is for; sent as ``X-Shopcore-Trigger`` on every message."""

    ABANDONED_CART = "abandoned_cart"
    CROSS_SELL = "cross_sell"
    REORDER = "reorder"
    WIN_BACK = "win_back"
    WELCOME = "welcome"
    NPS = "nps"
    CUSTOM = "custom"


class Entry(StrEnum):
    """The event that enrolls a customer."""

    ORDER_PLACED = "order_placed"
    FIRST_ORDER = "first_order"
    CART_ABANDONED = "cart_abandoned"
    SEGMENT_MOVED = "segment_moved"
    REORDER_DUE = "reorder_due"


class ExitCondition(StrEnum):
    """Why an enrollment stops before its last step."""

    ORDERED = "ordered"
    CART_EMPTIED = "cart_emptied"
    LEFT_SEGMENT = "left_segment"


class EnrollmentStatus(StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    EXITED = "exited"


class StepStatus(StrEnum):
    PENDING = "pending"
    CLAIMED = "claimed"
    SENT = "sent"
    # Not sent, for a reason in the step's note: exited, no consent, suppressed, holdout.
    SKIPPED = "skipped"
    FAILED = "failed"


class MessageStatus(StrEnum):
    # The row exists before the SMTP conversation: a crash leaves it here, never sent twice
    # by a second job (the unique key), re-sent only by the recovery pass.
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class TrackKind(StrEnum):
    OPEN = "open"
    CLICK = "click"
