"""What the app reads from host.json: the queue's dequeue limit, after which a zone is given up on."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.config import ConfigError
from shared.settings import max_dequeue_count


def test_the_shipped_host_json_gives_up_after_five_deliveries() -> None:
    assert max_dequeue_count() == 5


def test_without_host_json_the_hosts_default_of_five_applies(tmp_path: Path) -> None:
    assert max_dequeue_count(tmp_path / "host.json") == 5


def test_a_dequeue_limit_set_in_host_json_is_the_one_used(tmp_path: Path) -> None:
    (tmp_path / "host.json").write_text('{"extensions": {"queues": {"maxDequeueCount": 3}}}')

    assert max_dequeue_count(tmp_path / "host.json") == 3


@pytest.mark.parametrize("value", ["0", '"5"', "true"])
def test_a_dequeue_limit_that_is_not_a_positive_integer_is_refused(tmp_path: Path, value: str) -> None:
    (tmp_path / "host.json").write_text(f'{{"extensions": {{"queues": {{"maxDequeueCount": {value}}}}}}}')

    with pytest.raises(ConfigError, match="maxDequeueCount"):
        max_dequeue_count(tmp_path / "host.json")
