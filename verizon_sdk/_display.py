"""Rich display for Jupyter and pandas: ``_repr_html_`` and ``to_dataframe`` of a bulk result,
a license summary page and a list of device outcomes.

The classes keep one-line methods that call here; this module knows them only by the
attributes it reads, so it imports nothing of the package. Every cell is HTML-escaped: reasons
and ids come from the server.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import Any

#: Rows shown in a notebook table; the rest are counted under it.
SHOWN_ROWS = 10


def to_dataframe(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> Any:
    """A ``pandas.DataFrame`` of ``rows``; ImportError naming the extra without pandas."""
    try:
        import pandas
    except ImportError:
        raise ImportError(
            "to_dataframe() needs pandas: pip install 'verizon-sdk[pandas]'"
        ) from None
    return pandas.DataFrame(list(rows), columns=list(columns))


def table_html(
    title: str, facts: Sequence[tuple[str, Any]], columns: Sequence[str], rows: Sequence[Any]
) -> str:
    """A heading line of ``facts`` and a table of the first :data:`SHOWN_ROWS` rows."""
    summary = ", ".join(
        f"{escape(str(name))}: <b>{escape(str(value))}</b>" for name, value in facts
    )
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(_cell(v))}</td>" for v in row) + "</tr>"
        for row in rows[:SHOWN_ROWS]
    )
    more = len(rows) - SHOWN_ROWS
    tail = f"<p>... {more} more rows: see to_dataframe()</p>" if more > 0 else ""
    return (
        f"<div><p><b>{escape(title)}</b> {summary}</p>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{tail}</div>"
    )


def _cell(value: Any) -> str:
    if value is None:
        return ""
    isoformat = getattr(value, "isoformat", None)
    return str(isoformat()) if callable(isoformat) else str(value)


# -- BulkResult --------------------------------------------------------------------------------

BULK_COLUMNS = ("device_id", "outcome", "status", "reason", "error")


def bulk_rows(result: Any) -> list[dict[str, Any]]:
    return [
        {
            "device_id": device_id,
            "outcome": record.outcome.value,
            "status": record.status,
            "reason": record.reason,
            "error": record.error,
        }
        for device_id, record in result.items()
    ]


def bulk_html(result: Any) -> str:
    """Counts, then the devices that did not succeed first (they are what one looks for)."""
    rows = bulk_rows(result)
    rows.sort(key=lambda r: r["outcome"] == "succeeded")
    facts = [*result.counts.items()]
    if result.stopped:
        facts.append(("stopped", result.stopped))
    title = f"BulkResult {result.action} {result.account}"
    return table_html(title, facts, BULK_COLUMNS, [[r[c] for c in BULK_COLUMNS] for r in rows])


# -- a license summary page ----------------------------------------------------------------------

SUMMARY_COLUMNS = ("device_id", "assignment_time")


def summary_rows(page: Any) -> list[dict[str, Any]]:
    return [
        {"device_id": d.device_id, "assignment_time": d.assignment_time}
        for d in page.device_list or []
    ]


def summary_html(page: Any) -> str:
    total = getattr(page, "total_licenses", None)
    if total is None:
        total = getattr(page, "total_license", None)
    facts = [
        ("account", getattr(page, "account_name", None)),
        ("total licenses", total),
        ("assigned", getattr(page, "assigned_licenses", None)),
        ("has more data", page.has_more_data),
    ]
    rows = [[r[c] for c in SUMMARY_COLUMNS] for r in summary_rows(page)]
    return table_html(type(page).__name__, facts, SUMMARY_COLUMNS, rows)


# -- a list of device outcomes (an assign or remove answer) -----------------------------------

OUTCOME_COLUMNS = ("device_id", "status", "result_reason")


def outcome_rows(answer: Any) -> list[dict[str, Any]]:
    return [{c: getattr(d, c, None) for c in OUTCOME_COLUMNS} for d in answer.device_list or []]


def outcomes_html(answer: Any) -> str:
    facts = [
        ("account", getattr(answer, "account_name", None)),
        ("licenses used", getattr(answer, "lic_used_count", None)),
        ("devices", len(answer.device_list or [])),
    ]
    rows = [[r[c] for c in OUTCOME_COLUMNS] for r in outcome_rows(answer)]
    return table_html(type(answer).__name__, facts, OUTCOME_COLUMNS, rows)


# Mixins for the models. No class docstrings: a model without its own docstring must keep
# inheriting Model's (the generated model pages read it).
class SummaryDisplay:
    # rich display of a license summary page (the V2 and V3 summary models)

    __slots__ = ()

    def _repr_html_(self) -> str:
        return summary_html(self)

    def to_dataframe(self) -> Any:
        """The devices as a ``pandas.DataFrame`` (``pip install 'verizon-sdk[pandas]'``)."""
        return to_dataframe(summary_rows(self), SUMMARY_COLUMNS)


class OutcomesDisplay:
    # rich display of an assign/remove answer (the V2 and V3 result models)

    __slots__ = ()

    def _repr_html_(self) -> str:
        return outcomes_html(self)

    def to_dataframe(self) -> Any:
        """The device outcomes as a ``pandas.DataFrame`` (``verizon-sdk[pandas]``)."""
        return to_dataframe(outcome_rows(self), OUTCOME_COLUMNS)
