"""The burst rules, pure: when a trailing reconcile starts, and what a recent read screens."""

from __future__ import annotations

import pytest

from shared.bursts import MAX_DELAY_WINDOWS, RECENT_GROUP_TTL_SECONDS, Coalescing, RecentGroups
from shared.config import ConfigError
from shared.model import GroupRef
from shared.settings import Settings

SUB = "11111111-1111-1111-1111-111111111111"


def test_a_request_trails_only_within_the_window_after_the_last_run() -> None:
    rule = Coalescing(window=1.0)

    assert [rule.trails(now, 10.0) for now in (10.0, 10.999, 11.0)] == [True, True, False]
    assert rule.trails(10.0, None) is False, "no run ended recently: the leading edge"
    assert Coalescing(window=0.0).trails(10.0, 10.0) is False, "no window: every request after a run leads"


def test_a_trailing_run_starts_a_window_after_its_last_request_bounded_after_its_first() -> None:
    rule = Coalescing(window=1.0)

    assert MAX_DELAY_WINDOWS == 5
    assert rule.max_delay == 5.0
    assert rule.start_at(first=0.0, last=0.3) == 1.3
    assert rule.start_at(first=0.0, last=4.5) == 5.0, "a steady stream cannot hold it longer than the bound"
    assert Coalescing(window=0.0).start_at(first=2.0, last=2.5) == 2.0, "no window: as soon as the run in flight ends"


def test_recent_groups_screen_for_the_ttl_and_forget_a_product() -> None:
    recent = RecentGroups()
    team, other = GroupRef(SUB, "team-x"), GroupRef(SUB, "team-y")
    recent.record(team, 0.0, "no tags")
    recent.record(other, 30.0, "no tags")

    assert RECENT_GROUP_TTL_SECONDS == 60.0
    assert recent.not_a_product(GroupRef(SUB, "TEAM-X"), 59.9) is not None, "group names are case-insensitive"
    assert recent.not_a_product(team, 60.0) is None
    assert len(recent) == 1, "expired entries are dropped"
    recent.forget(other)
    assert recent.not_a_product(other, 31.0) is None


def test_recent_groups_keep_at_most_their_limit_forgetting_the_oldest() -> None:
    recent = RecentGroups(limit=2)
    for i in range(3):
        recent.record(GroupRef(SUB, f"team-{i}"), float(i), "no tags")

    assert len(recent) == 2
    assert recent.not_a_product(GroupRef(SUB, "team-0"), 3.0) is None
    assert recent.not_a_product(GroupRef(SUB, "team-2"), 3.0) is not None


def test_the_coalescing_window_is_a_setting_in_milliseconds_zero_turning_it_off() -> None:
    assert Settings.from_environment({}).coalesce_window_ms == 1000
    assert Settings.from_environment({"DPGOV_COALESCE_WINDOW_MS": "0"}).coalesce_window_ms == 0
    with pytest.raises(ConfigError, match="DPGOV_COALESCE_WINDOW_MS must be an integer of at least 0, got '-1'"):
        Settings.from_environment({"DPGOV_COALESCE_WINDOW_MS": "-1"})
