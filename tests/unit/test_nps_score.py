"""The Net Promoter Score of a set of answers, and the survey's links; no I/O."""

from __future__ import annotations

import pytest

from retention.nps import nps, nps_links


def test_no_answers_have_no_score() -> None:
    assert nps([]) is None


def test_promoters_minus_detractors_in_percent_with_passives_counting_only_in_the_total() -> None:
    # 2 promoters, 1 passive, 1 detractor of 4: 50% - 25%.
    assert nps([10, 9, 8, 0]) == pytest.approx(25.0)


@pytest.mark.parametrize(
    "scores, expected",
    [([9, 10], 100.0), ([0, 6], -100.0), ([7, 8], 0.0), ([6, 9], 0.0), ([6, 7, 8], -100 / 3)],
)
def test_the_edges_of_promoters_passives_and_detractors(scores: list[int], expected: float) -> None:
    assert nps(scores) == pytest.approx(expected)


def test_a_generator_of_scores_is_read_once() -> None:
    assert nps(score for score in [10, 0]) == pytest.approx(0.0)


def test_a_survey_has_one_link_per_score_from_0_to_10() -> None:
    links = nps_links("https://shop.example.com/", "tok")
    assert [link["score"] for link in links] == list(range(11))
    assert links[0]["url"] == "https://shop.example.com/nps/tok/0"
    assert links[10]["url"] == "https://shop.example.com/nps/tok/10"
