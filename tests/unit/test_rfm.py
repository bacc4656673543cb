"""RFM rules: the R x F grid and the absolute-threshold scores, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from config.settings import SettingsError, load_settings
from retention.rfm import (
    GRID,
    InvalidThresholds,
    Segment,
    Thresholds,
    name_segment,
    score_at_least,
    score_recency,
)

NOW = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("r", "f", "segment"),
    [
        (5, 5, Segment.CHAMPIONS),
        (5, 4, Segment.CHAMPIONS),
        (4, 5, Segment.LOYAL),
        (3, 4, Segment.LOYAL),
        (5, 2, Segment.POTENTIAL_LOYALISTS),
        (4, 3, Segment.POTENTIAL_LOYALISTS),
        (5, 1, Segment.NEW),
        (4, 1, Segment.PROMISING),
        (3, 3, Segment.NEED_ATTENTION),
        (3, 1, Segment.ABOUT_TO_SLEEP),
        (3, 2, Segment.ABOUT_TO_SLEEP),
        (2, 3, Segment.AT_RISK),
        (1, 4, Segment.AT_RISK),
        (1, 5, Segment.CANT_LOSE_THEM),
        (2, 5, Segment.CANT_LOSE_THEM),
        (1, 1, Segment.HIBERNATING),
        (2, 2, Segment.HIBERNATING),
    ],
)
def test_a_recency_and_frequency_pair_names_its_segment(r: int, f: int, segment: Segment) -> None:
    assert name_segment(r, f) is segment


def test_the_grid_names_every_segment_but_prospects_and_covers_every_pair() -> None:
    named = {name_segment(r, f) for r in range(1, 6) for f in range(1, 6)}
    assert named == set(Segment) - {Segment.PROSPECTS}
    assert sorted(GRID) == [1, 2, 3, 4, 5]


@pytest.mark.parametrize(("r", "f"), [(0, 3), (6, 1), (3, 0), (2, 6)])
def test_scores_outside_one_to_five_are_refused(r: int, f: int) -> None:
    with pytest.raises(ValueError):
        name_segment(r, f)


def test_segments_have_the_labels_managers_read() -> None:
    assert Segment.CANT_LOSE_THEM.label == "Can't lose them"
    assert Segment.POTENTIAL_LOYALISTS.label == "Potential loyalists"


@pytest.mark.parametrize(
    ("orders", "score"), [(1, 1), (2, 2), (3, 3), (4, 3), (5, 4), (9, 4), (10, 5), (80, 5)]
)
def test_reaching_a_cut_point_scores_one_more(orders: int, score: int) -> None:
    assert score_at_least(orders, (2, 3, 5, 10)) == score


def test_spend_bands_compare_exact_money() -> None:
    bands = (Decimal("50"), Decimal("150"), Decimal("400"), Decimal("1000"))
    assert score_at_least(Decimal("49.99"), bands) == 1
    assert score_at_least(Decimal("50.00"), bands) == 2
    assert score_at_least(Decimal("1000"), bands) == 5


@pytest.mark.parametrize(
    ("days", "score"), [(0, 5), (30, 5), (31, 4), (90, 4), (91, 3), (180, 3), (365, 2), (366, 1)]
)
def test_recency_scores_five_within_the_first_cut_point(days: int, score: int) -> None:
    assert score_recency(NOW - timedelta(days=days), NOW, (30, 90, 180, 365)) == score


@pytest.mark.parametrize(
    "orders", [(2, 3, 5), (2, 2, 5, 10), (5, 3, 2, 1), (0, 1, 2, 3), (1, 2, 3, 4, 5)]
)
def test_thresholds_need_four_ascending_positive_cut_points(orders: tuple[int, ...]) -> None:
    with pytest.raises(InvalidThresholds):
        Thresholds(orders=orders)


def test_the_rfm_mode_and_cut_points_come_from_the_environment() -> None:
    settings = load_settings(
        environ={"SHOPCORE_RFM_MODE": "thresholds", "SHOPCORE_RFM_ORDERS": "2,4,6,8"}
    )
    assert (settings.rfm_mode, settings.rfm_orders) == ("thresholds", "2,4,6,8")


@pytest.mark.parametrize(
    "environ",
    [
        {"SHOPCORE_RFM_MODE": "deciles"},
        {"SHOPCORE_RFM_RECENCY_DAYS": "30,90"},
        {"SHOPCORE_RFM_SPEND": "50,abc,400,1000"},
        {"SHOPCORE_RFM_SPEND": "50,NaN,400,1000"},
        {"SHOPCORE_RFM_ORDERS": "10,5,3,2"},
        {"SHOPCORE_RFM_ORDERS": "1.5,3,5,10"},
    ],
)
def test_unusable_rfm_settings_are_refused_with_their_name(environ: dict[str, str]) -> None:
    with pytest.raises(SettingsError, match="SHOPCORE_RFM_"):
        load_settings(environ=environ)
