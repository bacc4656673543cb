"""Post-purchase NPS: one link per score in the email, the clicked score kept per message."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TypedDict

from sqlalchemy import select
from sqlalchemy.orm import Session

from retention.links import nps_url
from retention.models import NpsResponse
from retention.tokens import message_by_token
from shopcore.db import utcnow

SCORES = range(0, 11)


class InvalidScore(ValueError):
    """An NPS score outside 0-10."""

    def __init__(self, score: object) -> None:
        super().__init__(f"an NPS score is a whole number from 0 to 10, not {score!r}")
        self.score = score


class NpsLink(TypedDict):
    score: int
    url: str


def nps_links(base_url: str, token: str) -> list[NpsLink]:
    """The eleven answer links (0-10) for a survey email, lowest first."""
    return [{"score": score, "url": nps_url(base_url, token, score)} for score in SCORES]


def record_nps(
    session: Session, token: str, score: int, *, now: datetime | None = None
) -> NpsResponse | None:
    """Keep the score clicked in a survey (a later click replaces it); None for an unknown token.

    The caller commits; a concurrent first answer for the same message loses on the unique
    key and, run again, updates the row the other one made.
    """
    if isinstance(score, bool) or not isinstance(score, int) or score not in SCORES:
        raise InvalidScore(score)
    message = message_by_token(session, token)
    if message is None:
        return None
    now = now or utcnow()
    response = session.scalar(select(NpsResponse).where(NpsResponse.message_id == message.id))
    if response is None:
        response = NpsResponse(message_id=message.id, customer_id=message.customer_id)
        session.add(response)
    response.score = score
    response.answered_at = now
    session.flush()
    return response


def nps(scores: Iterable[int]) -> float | None:
    """Net Promoter Score: % promoters (9-10) minus % detractors (0-6); None without answers."""
    answers = list(scores)
    if not answers:
        return None
    promoters = sum(1 for score in answers if score >= 9)
    detractors = sum(1 for score in answers if score <= 6)
    return 100.0 * (promoters - detractors) / len(answers)
