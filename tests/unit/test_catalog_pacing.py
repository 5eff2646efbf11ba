"""The Unified Catalog client's pacing: never more than N requests in any window, as the service counts."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import AsyncHTTPPolicy
from azure.core.rest import HttpRequest

from shared.azure.unified_catalog import CatalogPacing


class Service(AsyncHTTPPolicy[HttpRequest, Any]):
    """The far end: records when each request arrives and answers after ``latency`` seconds."""

    def __init__(self, latency: float) -> None:
        super().__init__()
        self.latency = latency
        self.arrivals: list[float] = []

    async def send(self, request: PipelineRequest[HttpRequest]) -> PipelineResponse[HttpRequest, Any]:
        self.arrivals.append(time.monotonic())
        await asyncio.sleep(self.latency)
        return PipelineResponse(request.http_request, None, request.context)


def paced(requests: int, window: float, latency: float) -> tuple[CatalogPacing, Service]:
    pacing, service = CatalogPacing(requests, window), Service(latency)
    pacing.next = service
    return pacing, service


def most_in_any_window(arrivals: list[float], window: float) -> int:
    return max(sum(1 for other in arrivals if start <= other < start + window) for start in arrivals)


async def send_all(pacing: CatalogPacing, count: int) -> None:
    request = PipelineRequest(HttpRequest("GET", "https://catalog.invalid/x"), None)  # type: ignore[arg-type]
    await asyncio.gather(*(pacing.send(request) for _ in range(count)))


async def test_a_burst_is_let_through_up_to_the_limit_then_paced_to_the_window() -> None:
    pacing, service = paced(requests=5, window=0.3, latency=0.01)
    started = time.monotonic()

    await send_all(pacing, 12)

    assert len(service.arrivals) == 12
    assert most_in_any_window(service.arrivals, 0.3) == 5
    assert [round(t - started, 1) for t in service.arrivals[:5]] == [0.0] * 5, "the first five go at once"
    assert pacing.waited_seconds > 0


async def test_a_place_is_held_until_a_window_after_the_answer_so_slow_answers_slow_the_pace() -> None:
    pacing, service = paced(requests=2, window=0.2, latency=0.1)

    await send_all(pacing, 4)

    first_answers = service.arrivals[0] + 0.1
    assert service.arrivals[2] >= first_answers + 0.2 - 0.01, "the third waits for a window after the first answer"


async def test_under_the_limit_nothing_waits() -> None:
    pacing, service = paced(requests=10, window=5.0, latency=0.0)

    await send_all(pacing, 10)

    assert (len(service.arrivals), pacing.waited_seconds) == (10, 0.0)
