"""The collector's background tasks (budget alerts, the daily reconciliation fetch) run in its event loop; this is
how one stops at shutdown."""

from __future__ import annotations

import asyncio


async def cancel(task: asyncio.Task | None) -> None:
    """Cancel `task` and wait until it has ended (a thread it awaits finishes first); None is a no-op."""
    if task is None:
        return
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
