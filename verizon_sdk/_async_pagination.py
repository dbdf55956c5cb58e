"""Async drivers of the page walks of :mod:`verizon_sdk._pagination` (same checks, same errors)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

from verizon_sdk._pagination import Walk

PageT = TypeVar("PageT")


async def awalk_pages(
    walk: Walk, fetch: Callable[[str | None], Awaitable[PageT]]
) -> AsyncIterator[PageT]:
    """Every page, each checked by ``walk`` before it is yielded; one page held at a time."""
    while not walk.done:
        held = [await fetch(walk.requested)]
        walk.check(held[0])  # type: ignore[arg-type]
        yield held.pop()


async def aiter_items(pages: AsyncIterator[Any]) -> AsyncIterator[Any]:
    """The items of ``pages``, in order."""
    async for page in pages:
        items = page.device_list or ()
        del page
        for item in items:
            yield item
        del items
