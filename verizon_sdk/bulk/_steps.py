"""Drivers for the bulk engine's I/O-free step generators (cursors out, pages in)."""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any, TypeVar

StepT = TypeVar("StepT")


def advance(
    steps: Generator[str | None, Any, None], page: Any, error: Exception | None
) -> tuple[bool, str | None]:
    """One step of :meth:`_Run.reconcile_steps`: (finished, the next cursor to read)."""
    try:
        cursor = steps.throw(error) if error is not None else steps.send(page)
    except StopIteration:
        return True, None
    return False, cursor


def drive_steps(
    steps: Generator[str | None, Any, StepT], fetch: Callable[[str | None], Any]
) -> StepT:
    """Run an I/O-free step generator to its end with a sync ``fetch``; its return value.

    A fetch error is thrown into the generator, which handles it or lets it propagate.
    """
    page: Any = None
    error: Exception | None = None
    while True:
        try:
            cursor = steps.throw(error) if error is not None else steps.send(page)
        except StopIteration as stop:
            result: StepT = stop.value
            return result
        page, error = _fetched(fetch, cursor)


def _fetched(
    fetch: Callable[[str | None], Any], cursor: str | None
) -> tuple[Any, Exception | None]:
    try:
        return fetch(cursor), None
    except Exception as exc:
        return None, exc
