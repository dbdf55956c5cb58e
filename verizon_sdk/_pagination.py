"""Iterators over the paged listings: every device, one page in memory at a time.

Two paging schemes exist:

- **cursor** (V2 and V3 license status): ask with ``lastSeenDeviceId=0`` at first (Verizon's
  pages call the parameter required, "use 0 for the first request") and, while the page says
  ``hasMoreData``, ask again with the ``lastSeenDeviceId`` it returned.
  :func:`iter_cursor_pages`.
- **index** (V2 removal candidates): ask with ``startIndex`` (left out at first: index 0) and
  move on by the number of ids received. :func:`iter_index_pages`.

The controllers expose them as ``iter_account_licenses(acc)`` (V3 and V2) and
``iter_licenses_to_remove(account)`` (V2); ``pages=True`` yields the page models themselves,
with their summary counts, instead of the items.

Memory: the iterators are generators that hold one page. They drop their reference to a page
before asking for the next one, so a page the caller did not keep can be collected.

A misbehaving server gets a :class:`PaginationError`, never an endless loop. Each page is
checked *before* any of its items is yielded, so an inconsistent page yields nothing:

- ``hasMoreData`` true with an empty page, or with no ``lastSeenDeviceId``;
- ``hasMoreData`` that is neither a boolean nor absent (absent means "no more");
- a ``lastSeenDeviceId`` already followed (a cycle), or one that goes backwards;
- a page whose first device is not after the cursor it was asked with (repeated devices);
- a page with the same device ids as an earlier one, however the cursor moved (a repeat);
- more than ``max_pages`` pages (``Configuration.max_pages``, default 100,000).

"Backwards" follows IMEI order, but only where the order is unambiguous: two all-digit ids
count as out of order only when they are out of order both as numbers and as strings. With
equal lengths the two orders agree; with unequal lengths (``"9"`` and ``"10"``) they disagree,
and only the repeated-cursor check applies. Ids with other characters are never
order-checked. Every cursor followed is remembered (one string per page), so a cycle is
always caught.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from verizon_sdk._configuration import DEFAULT_MAX_PAGES
from verizon_sdk.exceptions import PaginationError

if TYPE_CHECKING:
    from verizon_sdk._endpoints import Endpoint
    from verizon_sdk._pipeline import Pipeline

#: The cursor of the first request ("use 0 for the first request", Verizon's reference pages).
START_CURSOR = "0"

ItemT_co = TypeVar("ItemT_co", covariant=True)


class CursorPage(Protocol[ItemT_co]):
    """A license-status page: ``V3LicenseSummary`` or ``V2LicenseSummary``."""

    @property
    def has_more_data(self) -> bool | None: ...
    @property
    def last_seen_device_id(self) -> str | None: ...
    @property
    def device_list(self) -> Sequence[ItemT_co] | None: ...


class IndexPage(Protocol[ItemT_co]):
    """A removal-candidate page: ``V2ListOfLicensesToRemove``."""

    @property
    def has_more_data(self) -> bool | None: ...
    @property
    def device_list(self) -> Sequence[ItemT_co] | None: ...


ItemT = TypeVar("ItemT")
PageT = TypeVar("PageT")
CursorPageT = TypeVar("CursorPageT", bound=CursorPage[Any])
IndexPageT = TypeVar("IndexPageT", bound=IndexPage[Any])


def definitely_not_after(candidate: str, cursor: str) -> bool:
    """Whether ``candidate`` is at or before ``cursor`` in every plausible IMEI order.

    Both must be all digits; then they are compared as numbers *and* as strings, and only
    agreement counts. Anything else is never out of order.
    """
    if not (candidate.isdigit() and cursor.isdigit() and candidate.isascii() and cursor.isascii()):
        return False
    return _as_number(candidate) <= _as_number(cursor) and candidate <= cursor


def _as_number(digits: str) -> tuple[int, str]:
    """A sort key of ASCII digits in numeric order, for any length (``int()`` refuses past
    4,300 digits): fewer significant digits first, then the digits themselves."""
    significant = digits.lstrip("0")
    return len(significant), significant


class _Walk:
    """The checks every walk shares: the page limit, and pages that repeat.

    A page is remembered by a fingerprint of its device ids (one hash per page), so a
    server that serves the same page again is caught however its cursor or ``startIndex``
    moves; ``max_pages`` stops any other endless walk.
    """

    def __init__(self, what: str, max_pages: int, device_id: Callable[[Any], Any]) -> None:
        self.what = what
        self.max_pages = max_pages
        self.device_id = device_id
        self.number = 0
        self._seen: set[int] = set()

    def next_page(self, cursor: str | None) -> None:
        """Count the page asked with ``cursor``; past ``max_pages`` stop."""
        self.number += 1
        if self.number > self.max_pages:
            raise PaginationError(
                f"{self.what}: more than max_pages ({self.max_pages}) pages; stopping instead "
                "of looping (raise Configuration.max_pages for a larger account)",
                page_number=self.number,
                cursor=cursor,
            )

    def check_repeat(self, items: Sequence[Any], cursor: str | None) -> None:
        """Stop when ``items`` are the same devices, in order, as an earlier page's."""
        if not items:
            return
        ids = ((self.device_id(item), item) for item in items)
        fingerprint = hash(tuple(repr(item if key is None else key) for key, item in ids))
        if fingerprint in self._seen:
            raise PaginationError(
                f"{self.what} page {self.number}: the same devices as an earlier page "
                "(a repeated page); stopping instead of looping",
                page_number=self.number,
                cursor=cursor,
            )
        self._seen.add(fingerprint)


def _more(page: Any, what: str, number: int, cursor: str | None) -> bool:
    more = page.has_more_data
    if more is None or isinstance(more, bool):
        return bool(more)
    raise PaginationError(
        f"{what} page {number}: hasMoreData is {more!r}, not a boolean",
        page_number=number,
        cursor=cursor,
    )


def _cursor_page_problem(
    items: Sequence[Any],
    more: bool,
    cursor: Any,
    after: str | None,
    followed: set[str],
    device_id: Callable[[Any], Any],
) -> str | None:
    """What is wrong with a page asked for after ``after`` (None: the first page), if anything."""
    first = device_id(items[0]) if items else None
    if isinstance(first, str) and after is not None and definitely_not_after(first, after):
        return f"the first device {first!r} is not after the cursor (repeated devices)"
    if not more:
        return None
    if not items:
        return "hasMoreData is true but the page has no devices"
    if cursor is None or cursor == "":
        return "hasMoreData is true but lastSeenDeviceId is missing"
    if not isinstance(cursor, str):
        return f"lastSeenDeviceId {cursor!r} is not a string"
    if cursor in followed:
        return f"lastSeenDeviceId {cursor!r} repeats a cursor already followed"
    if definitely_not_after(cursor, after or START_CURSOR):
        return f"lastSeenDeviceId {cursor!r} goes backwards"
    return None


def _device_id(item: Any) -> Any:
    return getattr(item, "device_id", None)


class CursorWalk(_Walk):
    """The decisions of a cursor walk, free of I/O: what to ask next, whether a page is sane.

    A driver asks for the page after :attr:`requested` (None: the first page) while not
    :attr:`done`, and hands each page to :meth:`check` before yielding it. The sync iterator
    (:func:`iter_cursor_pages`) and the async one (:mod:`verizon_sdk._async_pagination`) are
    such drivers.
    """

    def __init__(
        self,
        what: str = "license status",
        device_id: Callable[[Any], Any] = _device_id,
        max_pages: int = DEFAULT_MAX_PAGES,
    ) -> None:
        super().__init__(what, max_pages, device_id)
        self.requested: str | None = START_CURSOR  # what the next page is asked with
        self.done = False
        self.followed: set[str] = {START_CURSOR}

    def check(self, page: CursorPage[Any]) -> None:
        """Raise :class:`PaginationError` for an inconsistent page; else move the cursor on."""
        self.next_page(self.requested)
        requested, number = self.requested, self.number
        more = _more(page, self.what, number, requested)
        cursor = page.last_seen_device_id
        problem = _cursor_page_problem(
            page.device_list or (), more, cursor, requested, self.followed, self.device_id
        )
        if problem is not None:
            after = START_CURSOR if requested is None else requested
            raise PaginationError(
                f"{self.what} page {number} (after lastSeenDeviceId {after!r}): {problem}; "
                "stopping instead of looping",
                page_number=number,
                cursor=requested,
            )
        self.check_repeat(page.device_list or (), requested)
        if not more:
            self.done = True
            return
        self.requested = str(cursor)  # checked above: a new, non-empty string
        self.followed.add(self.requested)


class IndexWalk(_Walk):
    """The decisions of a ``startIndex`` walk; driven like :class:`CursorWalk`."""

    def __init__(
        self, what: str = "license removal candidates", max_pages: int = DEFAULT_MAX_PAGES
    ) -> None:
        super().__init__(what, max_pages, lambda item: item)  # the items are the ids
        self.requested: str | None = None
        self.done = False
        self.offset = 0

    def check(self, page: IndexPage[Any]) -> None:
        self.next_page(self.requested)
        more = _more(page, self.what, self.number, self.requested)
        received = len(page.device_list or ())
        if more and not received:
            raise PaginationError(
                f"{self.what} page {self.number} (startIndex {self.offset}): hasMoreData is "
                "true but the page has no devices; stopping instead of looping",
                page_number=self.number,
                cursor=self.requested,
            )
        self.check_repeat(page.device_list or (), self.requested)
        if not more:
            self.done = True
            return
        self.offset += received
        self.requested = str(self.offset)


Walk = CursorWalk | IndexWalk


def walk_pages(walk: Walk, fetch: Callable[[str | None], PageT]) -> Iterator[PageT]:
    """Drive ``walk`` with ``fetch(cursor)``: every page, checked before it is yielded."""
    while not walk.done:
        # The page lives only in ``held``: ``yield held.pop()`` hands it over and keeps no
        # reference, where ``yield page`` would keep it in this suspended frame while the
        # caller works, and until it is replaced by the next page.
        held = [fetch(walk.requested)]
        walk.check(held[0])  # type: ignore[arg-type]
        yield held.pop()


def iter_cursor_pages(
    fetch: Callable[[str | None], CursorPageT],
    *,
    what: str = "license status",
    device_id: Callable[[Any], Any] = _device_id,
    max_pages: int = DEFAULT_MAX_PAGES,
) -> Iterator[CursorPageT]:
    """Every page, following ``lastSeenDeviceId`` while ``hasMoreData``.

    ``fetch(cursor)`` returns one page; the first call gets ``"0"``. ``what`` names the
    listing in error messages; ``device_id(item)`` reads an item's id for the order check.
    At most ``max_pages`` pages are yielded.
    """
    return walk_pages(CursorWalk(what, device_id, max_pages), fetch)


def iter_index_pages(
    fetch: Callable[[str | None], IndexPageT],
    *,
    what: str = "license removal candidates",
    max_pages: int = DEFAULT_MAX_PAGES,
) -> Iterator[IndexPageT]:
    """Every page, moving ``startIndex`` on by the ids received while ``hasMoreData``.

    ``fetch(start_index)`` returns one page; the first call gets ``None`` (index 0). At most
    ``max_pages`` pages are yielded; the items are the ids themselves.
    """
    return walk_pages(IndexWalk(what, max_pages), fetch)


def iter_items(pages: Iterator[CursorPage[ItemT]] | Iterator[IndexPage[ItemT]]) -> Iterator[ItemT]:
    """The items of ``pages``, in order, keeping no page alive once its items are handed out."""
    for page in pages:
        items = page.device_list or ()
        del page
        yield from items
        del items


def page_fetcher(
    pipeline: Pipeline, endpoint: Endpoint[PageT], cursor_parameter: str, **arguments: Any
) -> Callable[[str | None], PageT]:
    """``fetch(cursor)`` for the iterators: one call of ``endpoint``, its model returned.

    It goes straight to the pipeline, so it neither warns (a deprecated listing warns once,
    when its iterator is created) nor returns raw responses in a ``with_raw_response`` view.
    """

    def fetch(cursor: str | None) -> PageT:
        page: PageT = pipeline.execute(endpoint, {**arguments, cursor_parameter: cursor}).body
        return page

    return fetch
