"""How each trigger did: its funnel, the revenue its clicks earned and what its holdout says.

For a period [since, until):

- enrolled / held out: enrollments that entered in the period, and those of them kept in
  the holdout (they get no messages).
- sent, opened, clicked, ordered: messages sent in the period; clicked counts only human
  clicks (``clicked_at``), ordered the messages that earned at least one attributed order.
- attributed revenue: orders attributed to those messages (``retention.attribution``).
  Such an order may fall after ``until``: a message sent on the period's last day keeps
  the orders its click brings.
- incremental revenue: treated against held-out members who entered in the period, each
  member's revenue being their orders within ``conversion_days`` after entry. Members who
  entered lately have had less time to order; that shortens both groups alike.

A handful of aggregate queries for all triggers together, whatever the number of messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Numeric, case, func, select
from sqlalchemy.orm import Session

from retention.attribution import attributed_orders, member_revenue
from retention.models import EmailTemplate, Message, NpsResponse, TemplateVersion, Trigger
from retention.stats import UNKNOWN, Estimate, Sample, incremental_revenue
from retention.vocabulary import TriggerKind

ZERO = Decimal(0)
EMPTY = Sample(0, ZERO, ZERO)
# Sums of revenue, and of its square, over up to millions of members.
Revenue = Numeric(20, 2)
SquaredRevenue = Numeric(30, 4)


@dataclass(frozen=True)
class Window:
    """The period reported on and the two measurement windows, in days."""

    since: datetime
    until: datetime
    attribution_days: int
    conversion_days: int


@dataclass(frozen=True)
class MessageFunnel:
    sent: int = 0
    opened: int = 0
    clicked: int = 0
    # Messages whose click was followed by at least one attributed order.
    ordered: int = 0
    attributed_orders: int = 0
    attributed_revenue: Decimal = ZERO

    def __add__(self, other: MessageFunnel) -> MessageFunnel:
        return MessageFunnel(
            self.sent + other.sent,
            self.opened + other.opened,
            self.clicked + other.clicked,
            self.ordered + other.ordered,
            self.attributed_orders + other.attributed_orders,
            self.attributed_revenue + other.attributed_revenue,
        )


@dataclass(frozen=True)
class VersionResult:
    """The messages of one trigger sent with one template version."""

    template_version_id: int
    template: str
    version: int
    messages: MessageFunnel


@dataclass(frozen=True)
class TriggerResult:
    trigger_id: int
    name: str
    kind: TriggerKind
    window: Window
    enrolled: int = 0
    held_out: int = 0
    messages: MessageFunnel = MessageFunnel()
    by_template_version: list[VersionResult] = field(default_factory=list)
    # Revenue per member within the conversion window, as (members, sum, sum of squares).
    treated: Sample = EMPTY
    holdout: Sample = EMPTY
    incremental_revenue: Estimate = UNKNOWN


@dataclass(frozen=True)
class NpsReport:
    responses: int
    promoters: int
    passives: int
    detractors: int

    @property
    def score(self) -> float | None:
        """Promoters' share minus detractors' share, in points from -100 to 100."""
        if not self.responses:
            return None
        return 100 * (self.promoters - self.detractors) / self.responses


def trigger_results(
    session: Session,
    *,
    since: datetime,
    until: datetime,
    attribution_days: int,
    conversion_days: int | None = None,
    trigger_id: int | None = None,
) -> list[TriggerResult]:
    """Each trigger's results for the period [since, until), ordered by trigger name.

    ``conversion_days``, the holdout comparison's window after entry, defaults to
    ``attribution_days`` so that both revenues look equally far ahead.
    """
    conversion = attribution_days if conversion_days is None else conversion_days
    window = Window(since, until, attribution_days, conversion)
    triggers = select(Trigger.id, Trigger.name, Trigger.kind).order_by(Trigger.name)
    if trigger_id is not None:
        triggers = triggers.where(Trigger.id == trigger_id)
    versions = _versions(session, window, trigger_id)
    samples = _samples(session, window, trigger_id)
    results = []
    for tid, name, kind in session.execute(triggers):
        by_version = versions.get(tid, [])
        treated = samples.get((tid, False), EMPTY)
        holdout = samples.get((tid, True), EMPTY)
        results.append(
            TriggerResult(
                trigger_id=tid,
                name=name,
                kind=kind,
                window=window,
                enrolled=treated.n + holdout.n,
                held_out=holdout.n,
                messages=sum((v.messages for v in by_version), MessageFunnel()),
                by_template_version=by_version,
                treated=treated,
                holdout=holdout,
                incremental_revenue=incremental_revenue(treated, holdout),
            )
        )
    return results


def overall_funnel(
    session: Session, *, since: datetime, until: datetime, attribution_days: int
) -> MessageFunnel:
    """Every trigger's messages sent in [since, until) as one funnel, without the holdout
    comparison (the costly part of ``trigger_results``)."""
    window = Window(since, until, attribution_days, attribution_days)
    versions = _versions(session, window, None).values()
    return sum((v.messages for found in versions for v in found), MessageFunnel())


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _versions(
    session: Session, window: Window, trigger_id: int | None
) -> dict[int, list[VersionResult]]:
    """Each trigger's message funnel per template version, in one grouped query."""
    claimed = attributed_orders(
        _dialect(session), since=window.since, attribution_days=window.attribution_days
    )
    per_message = (
        select(
            claimed.c.message_id,
            func.count().label("orders"),
            func.sum(claimed.c.total).label("revenue"),
        )
        .group_by(claimed.c.message_id)
        .subquery("per_message")
    )
    query = (
        select(
            Message.trigger_id,
            TemplateVersion.id,
            EmailTemplate.name,
            TemplateVersion.version,
            func.count(Message.id),
            func.count(Message.opened_at),
            func.count(Message.clicked_at),
            func.count(per_message.c.message_id),
            func.coalesce(func.sum(per_message.c.orders), 0),
            func.coalesce(func.sum(per_message.c.revenue), 0, type_=Revenue),
        )
        .join(TemplateVersion, TemplateVersion.id == Message.template_version_id)
        .join(EmailTemplate, EmailTemplate.id == TemplateVersion.template_id)
        .outerjoin(per_message, per_message.c.message_id == Message.id)
        .where(Message.sent_at >= window.since, Message.sent_at < window.until)
        .group_by(Message.trigger_id, TemplateVersion.id, EmailTemplate.name)
        .group_by(TemplateVersion.version)
        .order_by(Message.trigger_id, EmailTemplate.name, TemplateVersion.version)
    )
    if trigger_id is not None:
        query = query.where(Message.trigger_id == trigger_id)
    found: dict[int, list[VersionResult]] = {}
    for tid, vid, template, version, *counts in session.execute(query):
        sent, opened, clicked, ordered, orders, revenue = counts
        funnel = MessageFunnel(sent, opened, clicked, ordered, int(orders), _money(revenue))
        found.setdefault(tid, []).append(VersionResult(vid, template, version, funnel))
    return found


def _samples(
    session: Session, window: Window, trigger_id: int | None
) -> dict[tuple[int, bool], Sample]:
    """Revenue per member as (n, sum, sum of squares), by trigger and holdout flag."""
    members = member_revenue(
        _dialect(session),
        since=window.since,
        until=window.until,
        conversion_days=window.conversion_days,
        trigger_id=trigger_id,
    )
    revenue = members.c.revenue
    query = select(
        members.c.trigger_id,
        members.c.holdout,
        func.count(),
        func.coalesce(func.sum(revenue), 0, type_=Revenue),
        func.coalesce(func.sum(revenue * revenue), 0, type_=SquaredRevenue),
    ).group_by(members.c.trigger_id, members.c.holdout)
    return {
        (tid, bool(holdout)): Sample(n, _money(total), _money(squares))
        for tid, holdout, n, total, squares in session.execute(query)
    }


def _money(value: Any) -> Decimal:
    # SQLite hands sums back as floats; through str they keep the digits shown, not the
    # binary expansion.
    return value if isinstance(value, Decimal) else Decimal(str(value))


def nps_report(session: Session, *, since: datetime, until: datetime) -> NpsReport:
    """Survey answers received in [since, until): 9-10 promote, 7-8 pass, 0-6 detract."""

    def answers(low: int, high: int) -> Any:
        return func.coalesce(func.sum(case((NpsResponse.score.between(low, high), 1), else_=0)), 0)

    row = session.execute(
        select(func.count(NpsResponse.id), answers(9, 10), answers(7, 8), answers(0, 6)).where(
            NpsResponse.answered_at >= since, NpsResponse.answered_at < until
        )
    ).one()
    return NpsReport(*(int(n) for n in row))


_VERSION_ROW = "  {:<30}{:>9}{:>9}{:>9}{:>9}{:>14}"


def format_results(results: list[TriggerResult]) -> str:
    """A plain-text table per trigger, for the command line."""
    if not results:
        return "No triggers."
    return "\n\n".join(_format_one(result) for result in results)


def _format_one(r: TriggerResult) -> str:
    w, m = r.window, r.messages
    lines = [
        f"{r.name} ({r.kind.value}), {w.since:%Y-%m-%d %H:%M} to {w.until:%Y-%m-%d %H:%M} UTC",
        _row("enrolled", r.enrolled),
        _row("held out", r.held_out, _share(r.held_out, r.enrolled, "enrolled")),
        _row("sent", m.sent),
        _row("opened", m.opened, _share(m.opened, m.sent, "sent")),
        _row("clicked (human)", m.clicked, _share(m.clicked, m.sent, "sent")),
        _row("ordered after click", m.ordered, _share(m.ordered, m.sent, "sent")),
        _row(
            "attributed revenue",
            _amount(m.attributed_revenue),
            f"{m.attributed_orders:,} orders within {w.attribution_days} days of a click",
        ),
        *_incremental(r),
    ]
    if r.by_template_version:
        heading = ("template version", "sent", "opened", "clicked", "ordered", "revenue")
        lines.append(_VERSION_ROW.format(*heading))
        for v in r.by_template_version:
            f = v.messages
            counts = (f"{n:,}" for n in (f.sent, f.opened, f.clicked, f.ordered))
            label = f"{v.template} v{v.version}"[:29]
            lines.append(_VERSION_ROW.format(label, *counts, _amount(f.attributed_revenue)))
    return "\n".join(lines)


def _incremental(r: TriggerResult) -> list[str]:
    estimate, treated, holdout = r.incremental_revenue, r.treated, r.holdout
    if estimate.difference is None:
        return [_row("incremental revenue", "-", "needs treated and held-out members")]
    note = "no interval: a group has fewer than two members"
    if estimate.interval is not None:
        low, high = estimate.interval
        note = f"95% interval {_amount(low)} to {_amount(high)}"
    members = f"members; revenue within {r.window.conversion_days} days after entering"
    return [
        _row("incremental revenue", _amount(estimate.difference), note),
        _row("per treated member", _amount(treated.mean or ZERO), f"{treated.n:,} {members}"),
        _row("per held-out member", _amount(holdout.mean or ZERO), f"{holdout.n:,} members"),
    ]


def _row(label: str, value: int | str, note: str = "") -> str:
    shown = f"{value:,}" if isinstance(value, int) else value
    return f"  {label:<22}{shown:>12}  {note}".rstrip()


def _share(part: int, whole: int, of: str) -> str:
    return f"{100 * part / whole:5.1f}% of {of}" if whole else ""


def _amount(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01')):,}"
