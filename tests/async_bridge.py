"""Drive an ``AsyncVerizonClient`` from sync test code, so one test body checks both clients.

:class:`AsyncBridge` runs an event loop on a thread; :func:`bridged` wraps the async client so
that every coroutine a method returns is awaited on that loop, and every async iterator is
read to the end as a sync one. Nothing is re-implemented: the wrapped calls are the async
client's own.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from typing import Any

from verizon_sdk import AsyncVerizonClient, VerizonClient


class AsyncBridge:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, awaitable: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(_awaited(awaitable), self.loop).result()

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
        self.loop.close()


async def _awaited(awaitable: Any) -> Any:
    return await awaitable


class _Bridged:
    def __init__(self, target: Any, bridge: AsyncBridge) -> None:
        self._target = target
        self._bridge = bridge

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if callable(value):
            return self._call(value)
        if name.startswith("software_management") or name == "with_raw_response":
            return _Bridged(value, self._bridge)
        return value

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: object) -> None:
        self._bridge.run(self._target.aclose())

    def __repr__(self) -> str:
        return repr(self._target)

    def _call(self, method: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            result = method(*args, **kwargs)
            if inspect.isawaitable(result):
                return self._bridge.run(result)
            if isinstance(result, AsyncIterator):
                return self._iterate(result)
            if isinstance(result, AsyncVerizonClient):  # clone_with
                return _Bridged(result, self._bridge)
            return result

        return call

    def _iterate(self, iterator: AsyncIterator[Any]) -> Iterator[Any]:
        while True:
            try:
                yield self._bridge.run(iterator.__anext__())
            except StopAsyncIteration:
                return


@contextmanager
def open_client(kind: str, make: Callable[..., VerizonClient], **options: Any) -> Iterator[Any]:
    """A client of ``kind`` ("sync" or "async") built like ``make(**options)`` builds one."""
    sync = make(**options)
    if kind == "sync":
        with sync:
            yield sync
        return
    sync.close()
    bridge = AsyncBridge()
    try:
        client = bridge.run(_make_async(sync))
        with bridged_on(client, bridge) as facade:
            yield facade
    finally:
        bridge.close()


async def _make_async(sync: VerizonClient) -> AsyncVerizonClient:
    return AsyncVerizonClient(configuration=sync.config)  # on the bridge's loop


@contextmanager
def bridged_on(client: AsyncVerizonClient, bridge: AsyncBridge) -> Iterator[Any]:
    try:
        yield _Bridged(client, bridge)
    finally:
        bridge.run(client.aclose())
