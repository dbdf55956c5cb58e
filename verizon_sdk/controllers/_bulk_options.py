"""The options of the bulk methods, defined once for the sync and async ``assign_licenses_bulk``
and ``remove_licenses_bulk``: spelled out as keyword-only parameters with their defaults, so
``help()``, ``inspect.signature`` and completion show them.

Type checkers read the methods' ``**options: Unpack[BulkOptions]``; at run time
:func:`takes_bulk_options` gives each method the signature of :func:`bulk_options` and fills
in the defaults. ``tests/test_bulk.py`` checks that the two agree.
"""

from __future__ import annotations

import functools
import inspect
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from verizon_sdk._checks import DEFAULT_CHUNK_SIZE, DEFAULT_MAX_WORKERS, unexpected_keyword

if TYPE_CHECKING:
    from verizon_sdk import bulk

MethodT = TypeVar("MethodT", bound=Callable[..., Any])


def bulk_options(
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    max_workers: int = DEFAULT_MAX_WORKERS,
    reconcile: bool = True,
    stop_on_error: bool = False,
    strict: bool = False,
    progress: bool = False,
    on_chunk: Callable[[bulk.ChunkEvent], object] | None = None,
    journal: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """Every option of a bulk run: the given ones, or their defaults (see ``verizon_sdk.bulk``)."""
    return {
        "chunk_size": chunk_size,
        "max_workers": max_workers,
        "reconcile": reconcile,
        "stop_on_error": stop_on_error,
        "strict": strict,
        "progress": progress,
        "on_chunk": on_chunk,
        "journal": journal,
    }


OPTIONS = inspect.signature(bulk_options).parameters


def takes_bulk_options(method: MethodT) -> MethodT:
    """``method(self, acc, device_ids, **options)``, given every option (defaults filled in).

    Its signature lists the options as keyword-only; an unknown one is Python's TypeError for
    an unexpected keyword, with a "did you mean" hint. An async ``method`` stays async.
    """
    name = method.__name__

    def complete(options: dict[str, Any]) -> dict[str, Any]:
        for key in options:
            if key not in OPTIONS:
                raise unexpected_keyword(name, key, OPTIONS)
        return bulk_options(**options)

    wrapper: Callable[..., Any]
    if inspect.iscoroutinefunction(method):

        async def run_async(self: Any, acc: Any, device_ids: Any, **options: Any) -> Any:
            return await method(self, acc, device_ids, **complete(options))

        wrapper = run_async
    else:

        def run(self: Any, acc: Any, device_ids: Any, **options: Any) -> Any:
            return method(self, acc, device_ids, **complete(options))

        wrapper = run
    wrapper = functools.wraps(method)(wrapper)
    own = inspect.signature(method)
    positional = [p for p in own.parameters.values() if p.kind is not p.VAR_KEYWORD]
    signature = own.replace(parameters=[*positional, *OPTIONS.values()])
    wrapper.__signature__ = signature  # type: ignore[attr-defined]
    return cast(MethodT, wrapper)
