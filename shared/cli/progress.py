"""A progress indicator for runs that take a while: on stderr only, and only on a terminal.

It appears once the work has taken a second (quick runs print nothing extra), shows a spinner with
what is being done and the time elapsed, and leaves no trace when it is done. When stderr is not a
terminal (a pipe, a file, CI) there is none at all, so logs and captured output stay clean.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

DELAY_SECONDS = 1.0


@asynccontextmanager
async def progress(console: Console, description: str, *, delay: float = DELAY_SECONDS) -> AsyncIterator[None]:
    """Show ``description`` with a spinner on ``console`` (stderr) while the block runs past ``delay``."""
    if not console.is_terminal:
        yield
        return
    display = Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console, transient=True
    )
    display.add_task(description, total=None)
    shown = asyncio.Event()

    async def show() -> None:
        await asyncio.sleep(delay)
        display.start()
        shown.set()

    waiting = asyncio.create_task(show())
    try:
        yield
    finally:
        waiting.cancel()
        await asyncio.gather(waiting, return_exceptions=True)
        if shown.is_set():
            display.stop()
