from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from verizon_sdk._timeparse import format_wire_datetime, parse_wire_datetime

UTC = timezone.utc


def tz(hours: int, minutes: int = 0) -> timezone:
    return timezone(timedelta(hours=hours, minutes=minutes))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # RFC 3339, as the seeds show it
        ("2017-11-29T16:03:42.000Z", datetime(2017, 11, 29, 16, 3, 42, tzinfo=UTC)),
        ("2022-08-05T21:05:27.129Z", datetime(2022, 8, 5, 21, 5, 27, 129000, tzinfo=UTC)),
        ("2022-10-05T21:05:01.19Z", datetime(2022, 10, 5, 21, 5, 1, 190000, tzinfo=UTC)),
        ("2022-10-06T18:35:00Z", datetime(2022, 10, 6, 18, 35, tzinfo=UTC)),
        # 0 to 9 fractional digits; beyond microseconds is truncated
        ("2022-10-06T18:35:00.1Z", datetime(2022, 10, 6, 18, 35, 0, 100000, tzinfo=UTC)),
        ("2022-10-06T18:35:00.123456Z", datetime(2022, 10, 6, 18, 35, 0, 123456, tzinfo=UTC)),
        ("2022-10-06T18:35:00.1234567Z", datetime(2022, 10, 6, 18, 35, 0, 123456, tzinfo=UTC)),
        ("2022-10-06T18:35:00.123456789Z", datetime(2022, 10, 6, 18, 35, 0, 123456, tzinfo=UTC)),
        # offsets, lower-case separators
        ("2022-10-06T18:35:00+00:00", datetime(2022, 10, 6, 18, 35, tzinfo=UTC)),
        ("2022-10-06T18:35:00-00:00", datetime(2022, 10, 6, 18, 35, tzinfo=UTC)),
        ("2022-10-06T18:35:00.5+02:00", datetime(2022, 10, 6, 18, 35, 0, 500000, tzinfo=tz(2))),
        ("2022-10-06T18:35:00-05:30", datetime(2022, 10, 6, 18, 35, tzinfo=tz(-5, -30))),
        ("2022-10-06t18:35:00z", datetime(2022, 10, 6, 18, 35, tzinfo=UTC)),
        ("2022-10-06 18:35:00Z", datetime(2022, 10, 6, 18, 35, tzinfo=UTC)),
        # Go's default layout
        (
            "2017-11-29 20:15:42.738 +0000 UTC",
            datetime(2017, 11, 29, 20, 15, 42, 738000, tzinfo=UTC),
        ),
        (
            "2018-03-22 00:06:00.069 +0000 UTC",
            datetime(2018, 3, 22, 0, 6, 0, 69000, tzinfo=UTC),
        ),
        ("2017-11-29 20:15:42 -0700 MST", datetime(2017, 11, 29, 20, 15, 42, tzinfo=tz(-7))),
        (
            "2017-11-29 20:15:42.123456789 +0530 IST",
            datetime(2017, 11, 29, 20, 15, 42, 123456, tzinfo=tz(5, 30)),
        ),
        (
            "2017-11-29 20:15:42.5 +0300 +03",
            datetime(2017, 11, 29, 20, 15, 42, 500000, tzinfo=tz(3)),
        ),
        (
            "2017-11-29 20:15:42.5 +0000 UTC m=+0.001234567",
            datetime(2017, 11, 29, 20, 15, 42, 500000, tzinfo=UTC),
        ),
    ],
)
def test_parse_wire_datetime_valid(value: str, expected: datetime) -> None:
    parsed = parse_wire_datetime(value)
    assert parsed == expected
    assert parsed is not None
    assert parsed.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize(
    "value",
    [
        "",
        " ",
        "not a date",
        "2017-11-29",
        "2017-11-29T16:03:42",  # no offset: the instant is unknown
        "2017-11-29T16:03:42.Z",
        "2017-11-29T16:03:42.0123456789Z",  # 10 fractional digits
        "2017-13-29T16:03:42Z",  # month 13
        "2017-02-30T16:03:42Z",
        "2017-11-29T25:03:42Z",
        "2016-12-31T23:59:60Z",  # leap second: datetime cannot hold it
        "0000-01-01T00:00:00Z",
        "2017-11-29T16:03:42+24:00",
        "2017-11-29T16:03:42+01:60",
        "2017-11-29T16:03:42+0100",
        " 2017-11-29T16:03:42Z",
        "2017-11-29T16:03:42Z ",
        "2017-11-29T16:03:42Z\n",
        "2017-11-29 20:15:42.738 +0000",  # Go layout without the zone name
        "2017-11-29 20:15:42.738 +00:00 UTC",
        "2017-11-29 20:15:42.738 +2400 XYZ",
        "\u0662017-11-29T16:03:42Z",  # a non-ASCII digit
        "06 Oct 22 18:05 UTC",
        None,
        0,
        1511971422,
        1.5,
        True,
        ["2017-11-29T16:03:42Z"],
        {"t": "2017-11-29T16:03:42Z"},
        b"2017-11-29T16:03:42Z",
    ],
)
def test_parse_wire_datetime_invalid_returns_none(value: object) -> None:
    assert parse_wire_datetime(value) is None


def test_parse_wire_datetime_pads_fraction_for_python_310(monkeypatch: pytest.MonkeyPatch) -> None:
    # Python 3.10's fromisoformat takes only 3 or 6 fractional digits: the fraction is padded.
    monkeypatch.setattr("verizon_sdk._timeparse._PAD_FRACTION", True)
    for value, micros in [
        ("2022-10-06T18:35:00.1Z", 100000),
        ("2022-10-06T18:35:00.123Z", 123000),
        ("2022-10-06T18:35:00.123456789+00:00", 123456),
        ("2017-11-29 20:15:42.73 +0000 UTC", 730000),
    ]:
        parsed = parse_wire_datetime(value)
        assert parsed is not None
        assert parsed.microsecond == micros
        assert parsed.utcoffset() == timedelta(0)


@given(st.text(max_size=60))
def test_parse_wire_datetime_never_raises(value: str) -> None:
    parsed = parse_wire_datetime(value)
    assert parsed is None or parsed.utcoffset() is not None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime(2022, 10, 6, 18, 35, tzinfo=UTC), "2022-10-06T18:35:00.000Z"),
        (datetime(2022, 10, 6, 18, 35), "2022-10-06T18:35:00.000Z"),  # naive means UTC
        (datetime(2022, 10, 6, 20, 35, tzinfo=tz(2)), "2022-10-06T18:35:00.000Z"),
        (datetime(2022, 10, 6, 13, 5, tzinfo=tz(-5, -30)), "2022-10-06T18:35:00.000Z"),
        (datetime(2022, 10, 6, 18, 35, 0, 129000, tzinfo=UTC), "2022-10-06T18:35:00.129Z"),
        (datetime(2022, 10, 6, 18, 35, 0, 123456, tzinfo=UTC), "2022-10-06T18:35:00.123456Z"),
        (datetime(999, 1, 2, 3, 4, 5, tzinfo=UTC), "0999-01-02T03:04:05.000Z"),
    ],
)
def test_format_wire_datetime_rfc3339_utc(value: datetime, expected: str) -> None:
    assert format_wire_datetime(value) == expected


@given(
    st.datetimes(
        min_value=datetime(2, 1, 1),  # keep clear of the range edges when moving to UTC
        max_value=datetime(9998, 12, 31),
        timezones=st.sampled_from([UTC, tz(5, 30), tz(-8)]),
    )
)
def test_format_wire_datetime_round_trips_through_parse(value: datetime) -> None:
    assert parse_wire_datetime(format_wire_datetime(value)) == value
