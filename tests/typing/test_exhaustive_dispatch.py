"""``mypy --strict`` rejects an aspect whose executor has no case for one of its action types.

Every aspect's ``execute`` matches on its own action union and ends in ``assert_never``. This test
type-checks a small aspect twice — once complete, once with an action type added to the union but
not to ``execute`` — and expects mypy to accept the first and reject the second at the
``assert_never`` line. So "forgetting an executor" is a type error, not a silent ``ok``.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from mypy import api

ROOT = Path(__file__).resolve().parents[2]

ASPECT = textwrap.dedent(
    """
    from dataclasses import dataclass, field
    from typing import Any, assert_never

    from shared.aspects.base import Aspect, AspectPlan, Disposition, Outputs, Reads, Subject, Target
    from shared.aspects.views import ViaReads
    from shared.config import LandingZone
    from shared.ledger import LedgerRecord


    @dataclass(frozen=True)
    class Paint:
        colour: str
        depends_on: frozenset[str] = field(default_factory=frozenset)
        aspect: str = "paint"

        @property
        def key(self) -> str:
            return f"paint:{self.colour}"

        def describe(self) -> str:
            return self.key

        def to_dict(self) -> dict[str, Any]:
            return {"key": self.key}


    @dataclass(frozen=True)
    class Scrape:
        depends_on: frozenset[str] = field(default_factory=frozenset)
        aspect: str = "paint"

        @property
        def key(self) -> str:
            return "scrape"

        def describe(self) -> str:
            return self.key

        def to_dict(self) -> dict[str, Any]:
            return {"key": self.key}


    PaintAction = {union}


    class PaintAspect:
        name = "paint"

        def desire(self, subject: Subject) -> str:
            return "blue"

        async def observe(self, target: Target, reads: Reads) -> str:
            return "red"

        async def observe_zone(self, zone: LandingZone, reads: Reads) -> ViaReads[str]:
            return ViaReads(self.observe, reads)

        def diff(self, desired: str, observed: str) -> AspectPlan[PaintAction]:
            return AspectPlan((Paint(desired),))

        async def execute(self, action: PaintAction, outputs: Outputs) -> None:
            match action:
                case Paint():
                    pass
                case _:
                    assert_never(action)

        def interpret(self, action: PaintAction, error: BaseException) -> Disposition:
            return Disposition.TERMINAL

        def retire(self, record: LedgerRecord) -> AspectPlan[PaintAction]:
            return AspectPlan()


    aspect: Aspect[str, str, PaintAction] = PaintAspect()
    """
)


def type_check(tmp_path: Path, union: str) -> tuple[str, int]:
    module = tmp_path / "paint_aspect.py"
    module.write_text(ASPECT.replace("{union}", union))
    stdout, _, status = api.run(
        [
            "--strict",
            "--python-version",
            "3.11",
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(tmp_path / ".mypy_cache"),
            str(module),
        ]
    )
    return stdout, status


@pytest.mark.timeout(300)
def test_mypy_rejects_an_action_type_without_an_executor(tmp_path: Path) -> None:
    complete, complete_status = type_check(tmp_path, "Paint")
    forgotten, forgotten_status = type_check(tmp_path, "Paint | Scrape")

    assert complete_status == 0, complete
    assert forgotten_status == 1
    assert 'Argument 1 to "assert_never" has incompatible type "Scrape"' in forgotten
