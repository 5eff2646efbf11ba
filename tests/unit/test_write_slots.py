"""Write slots: waiting gives the slot away, and the count of slots never drifts."""

from __future__ import annotations

import asyncio

import pytest

from shared.write_slots import WriteSlots, released


async def test_an_action_that_waits_lends_its_slot_to_the_next() -> None:
    slots = WriteSlots(1)
    order: list[str] = []
    polling = asyncio.Event()
    finished = asyncio.Event()

    async def slow() -> None:
        async with slots.held():
            order.append("slow: request")
            async with released():
                polling.set()
                await finished.wait()
            order.append("slow: next request")

    async def quick() -> None:
        await polling.wait()
        async with slots.held():
            order.append("quick")
        finished.set()

    async with asyncio.timeout(5):
        await asyncio.gather(slow(), quick())

    assert order == ["slow: request", "quick", "slow: next request"]


async def test_the_slot_is_taken_back_before_the_next_request() -> None:
    slots = WriteSlots(1)
    order: list[str] = []
    waited = asyncio.Event()

    async def waiter() -> None:
        async with slots.held():
            async with released():
                waited.set()
                await asyncio.sleep(0)
            order.append("waiter resumes")
            await asyncio.sleep(0.01)
            order.append("waiter done")

    async def other() -> None:
        await waited.wait()
        async with slots.held():
            order.append("other")
            await asyncio.sleep(0.02)

    async with asyncio.timeout(5):
        await asyncio.gather(waiter(), other())

    assert order == ["other", "waiter resumes", "waiter done"]


async def test_released_outside_a_slot_and_nested_is_harmless() -> None:
    slots = WriteSlots(2)
    async with released():
        pass
    async with slots.held(), released(), released():
        pass
    async with slots.held(), slots.held():
        pass  # both slots are still there


async def test_a_cancelled_wait_does_not_leak_or_double_release_a_slot() -> None:
    slots = WriteSlots(1)
    blocker_in = asyncio.Event()
    release_blocker = asyncio.Event()

    async def waiter() -> None:
        async with slots.held(), released():
            await asyncio.sleep(10)

    async def blocker() -> None:
        async with slots.held():
            blocker_in.set()
            await release_blocker.wait()

    waiting = asyncio.ensure_future(waiter())
    await asyncio.sleep(0)
    holding = asyncio.ensure_future(blocker())
    await blocker_in.wait()
    waiting.cancel()  # its wait ends; it queues to take its slot back, which the blocker holds
    await asyncio.sleep(0)
    waiting.cancel()  # and is cancelled again while queued: it never got the slot back
    with pytest.raises(asyncio.CancelledError):
        await waiting
    release_blocker.set()
    await holding

    async with asyncio.timeout(1), slots.held():
        pass
    acquired = [slots.held() for _ in range(2)]
    await acquired[0].__aenter__()
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.05):
            await acquired[1].__aenter__()
    await acquired[0].__aexit__(None, None, None)
