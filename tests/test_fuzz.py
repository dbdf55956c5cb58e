"""Property tests (hypothesis): wire round trips, and any response body is a documented outcome.

- Every model: a well-formed wire object survives ``from_dictionary`` → ``to_dictionary``
  exactly: 0, False, empty values, raw timestamps and unknown fields included.
- Every endpoint: whatever status, content type and body come back (JSON of any shape,
  model-shaped objects with wrong values, text, bytes, hostile payloads), the call returns
  its model or raises an :class:`APIException` subclass, and reading every field of the
  returned model never raises.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode

import pytest
import responses
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import ACCOUNT, API_ROOT, TOKEN_URL, make_client, token_body
from tests.sim_helpers import sim_client
from verizon_sdk import VerizonClient
from verizon_sdk import _auth as auth
from verizon_sdk import _endpoints as endpoints
from verizon_sdk._endpoints import Endpoint
from verizon_sdk._redaction import Redactor
from verizon_sdk.exceptions import (
    APIConnectionError,
    APIException,
    APIStatusError,
    TokenRequestError,
)
from verizon_sdk.models import (
    FotaV2SuccessResult,
    V2DeviceStatus,
    V2LicenseDevice,
    V2LicenseIMEI,
    V2LicensesAssignedRemovedResult,
    V2LicenseSummary,
    V2ListOfLicensesToRemove,
    V2ListOfLicensesToRemoveRequest,
    V2ListOfLicensesToRemoveResult,
    V3DeviceStatus,
    V3LicenseAssignedRemovedResult,
    V3LicenseDevice,
    V3LicenseIMEI,
    V3LicenseSummary,
)
from verizon_sdk.models._base import Model
from verizon_sdk.simulator import Fault, Simulator

MODELS: list[type[Model]] = [
    FotaV2SuccessResult,
    V2DeviceStatus,
    V2LicenseDevice,
    V2LicenseIMEI,
    V2LicensesAssignedRemovedResult,
    V2LicenseSummary,
    V2ListOfLicensesToRemove,
    V2ListOfLicensesToRemoveRequest,
    V2ListOfLicensesToRemoveResult,
    V3DeviceStatus,
    V3LicenseAssignedRemovedResult,
    V3LicenseDevice,
    V3LicenseIMEI,
    V3LicenseSummary,
]

SCALARS = (
    st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
    | st.sampled_from(["", "0", "Success", "990003425730524"])
)
JSON: st.SearchStrategy[Any] = st.recursive(
    st.none() | SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=10,
)
TIMES = st.sampled_from(
    [
        "2017-11-29T16:03:42.000Z",
        "2022-10-05T21:05:01.19Z",
        "2017-11-29 20:15:42.738 +0000 UTC",
        "2017-11-29 20:15:42 +0000 UTC",
        "not a time",
        "",
        "9999-99-99T99:99:99Z",
    ]
) | st.text(max_size=30)


def wire_object(model: type[Model], depth: int = 0) -> st.SearchStrategy[dict[str, Any]]:
    """A well-formed wire object of ``model``: known fields in shape, plus unknown fields."""
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for field in model._fields:
        nested: type[Model] | None = getattr(field, "model", None)
        if field.kind == "scalar":
            fields[field.wire] = SCALARS | st.lists(SCALARS, max_size=2)
        elif field.kind == "list-of-str":
            fields[field.wire] = st.lists(st.text(max_size=16) | SCALARS, max_size=4)
        elif field.kind == "time":
            fields[field.wire] = TIMES
        elif field.kind == "model" and nested is not None:
            fields[field.wire] = wire_object(nested, depth + 1)
        elif field.kind == "list-of-model" and nested is not None:
            fields[field.wire] = st.lists(wire_object(nested, depth + 1), max_size=3)
        else:  # pragma: no cover - a new field kind needs a strategy here
            raise AssertionError(f"no strategy for {field.kind}")
    known = set(fields)
    extra = st.dictionaries(st.text(max_size=10).filter(lambda k: k not in known), JSON, max_size=2)
    return st.fixed_dictionaries({}, optional=fields).flatmap(
        lambda own: extra.map(lambda more: {**more, **own})
    )


def read_everything(value: Any) -> None:
    """Touch every field (time fields parse lazily) and the repr of a model tree."""
    if isinstance(value, Model):
        repr(value)
        for field in type(value)._fields:
            read_everything(getattr(value, field.name))
        value.to_dictionary()
    elif isinstance(value, list):
        for item in value:
            read_everything(item)


@pytest.mark.parametrize("model", MODELS, ids=[m.__name__ for m in MODELS])
def test_model_round_trip_is_exact(model: type[Model]) -> None:
    @settings(max_examples=40, deadline=None)
    @given(wire_object(model))
    def check(data: dict[str, Any]) -> None:
        obj = model.from_dictionary(data)
        assert obj.to_dictionary() == data
        again = model.from_dictionary(json.loads(json.dumps(obj.to_dictionary())))
        assert again == obj
        read_everything(obj)

    check()


# -- any response body, every endpoint --------------------------------------------------------

STATUSES = st.sampled_from([200, 200, 200, 201, 204, 302, 400, 401, 403, 404, 409, 429, 500, 503])
CONTENT_TYPES = st.sampled_from(
    [
        "application/json",
        "application/json; charset=utf-8",
        "application/problem+json",
        "text/plain",
        "text/html",
        "application/x-yaml",
        "application/octet-stream",
        "",
    ]
)
HOSTILE = st.sampled_from(
    [
        b'{"py/reduce": [{"py/type": "os.makedirs"}, {"py/tuple": ["/tmp/verizon-sdk-fuzz"]}]}',
        b'{"py/object": "builtins.dict"}',
        b"!!python/object/apply:os.system ['true']\n",
        b"accountName: x\nhasMoreData: false\n",
        b"[" * 100_000,
        b'{"a":' * 50_000,
        b"\xff\xfe\x00garbage",
        b"NaN",
        b'{"deviceList": [' + b"{}," * 2000 + b"{}]}",
    ]
)


def bodies(model: type[Model]) -> st.SearchStrategy[bytes]:
    shaped = wire_object(model) | st.dictionaries(
        st.sampled_from(sorted(f.wire for f in model._fields)), JSON, max_size=6
    )
    return st.one_of(
        shaped.map(lambda d: json.dumps(d).encode()),
        JSON.map(lambda d: json.dumps(d).encode()),
        st.text(max_size=60).map(str.encode),
        st.binary(max_size=60),
        HOSTILE,
    )


def _invoke(client: VerizonClient, endpoint: Endpoint[Any]) -> Any:
    controller = getattr(
        client, "software_management_licenses_" + endpoint.server.value.rsplit("_", 1)[-1]
    )
    args: list[Any] = [ACCOUNT]
    if endpoint.body_model is V3LicenseIMEI or endpoint.body_model is V2LicenseIMEI:
        args.append(endpoint.body_model(device_list=["990003425730524"]))
    elif endpoint.body_model is V2ListOfLicensesToRemoveRequest:
        args.append(V2ListOfLicensesToRemoveRequest(device_list=["990003425730524"]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return getattr(controller, endpoint.name)(*args)


def _url(endpoint: Endpoint[Any]) -> str:
    version = "v2" if endpoint.server.value.endswith("v2") else "v3"
    param = endpoint.path_params[0]
    return f"{API_ROOT}/fota/{version}" + endpoint.path.replace("{" + param + "}", ACCOUNT)


def outcome(call: Callable[[], Any]) -> Any:
    """The call's result, or the SDK error it raised; anything else propagates."""
    try:
        return call()
    except APIException as exc:
        return exc


def assert_documented(endpoint: Endpoint[Any], call: Callable[[], Any], status: int) -> None:
    result = outcome(call)
    if isinstance(result, APIException):
        assert type(result) is not APIException  # always a specific subclass
        assert isinstance(str(result), str)
        assert isinstance(repr(result), str)
        if isinstance(result, APIStatusError):
            assert result.response_code == status
        return
    assert 200 <= status < 300
    assert isinstance(result, endpoint.response_model)
    read_everything(result)


@pytest.mark.parametrize(
    "endpoint",
    endpoints.ALL_ENDPOINTS,
    ids=[e.name + "-" + e.server.value[-2:] for e in endpoints.ALL_ENDPOINTS],
)
def test_any_response_is_a_model_or_a_documented_error(endpoint: Endpoint[Any]) -> None:
    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        status=STATUSES,
        content_type=CONTENT_TYPES,
        body=bodies(endpoint.response_model),
        retry_after=st.none() | st.sampled_from(["1", "-1", "soon", "1e309", "Wed, 21 Oct 2015"]),
    )
    def check(status: int, content_type: str, body: bytes, retry_after: str | None) -> None:
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            mock.add(responses.POST, TOKEN_URL, json=token_body())
            mock.add(
                endpoint.method,
                _url(endpoint),
                body=body,
                status=status,
                content_type=content_type or None,
                headers=headers,
            )
            with make_client() as client:
                assert_documented(endpoint, lambda: _invoke(client, endpoint), status)

    check()


@settings(max_examples=60, deadline=None)
@given(status=STATUSES, content_type=CONTENT_TYPES, body=bodies(V3LicenseSummary))
def test_any_token_response_is_a_token_or_token_request_error(
    status: int, content_type: str, body: bytes
) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(
            responses.POST, TOKEN_URL, body=body, status=status, content_type=content_type or None
        )
        mock.add(responses.GET, f"{API_ROOT}/fota/v3/licenses/{ACCOUNT}", json={"deviceList": []})
        with make_client() as client:
            result = outcome(
                lambda: client.software_management_licenses_v3.get_account_licenses_status(ACCOUNT)
            )
    if isinstance(result, TokenRequestError):
        assert result.response_code == status
        assert str(result)
    elif isinstance(result, APIConnectionError):  # e.g. a 204 with a body: not HTTP
        assert "OAuth token request" in str(result)
    else:
        assert 200 <= status < 300
        assert isinstance(result, V3LicenseSummary)


# -- the same over real HTTP, through the simulator's raw-body fault --------------------------


@pytest.fixture(scope="module")
def simulator() -> Any:
    with Simulator() as sim:
        yield sim


@pytest.mark.parametrize(
    "endpoint",
    [endpoints.V3_GET_ACCOUNT_LICENSES_STATUS, endpoints.V3_ASSIGN_LICENSES_TO_DEVICES],
    ids=["v3-status", "v3-assign"],
)
def test_any_raw_body_over_http_is_a_model_or_a_documented_error(
    simulator: Simulator, endpoint: Endpoint[Any]
) -> None:
    suffix = endpoint.path.replace("{acc}", ACCOUNT)
    with sim_client(simulator, max_retries=0) as client:

        @settings(
            max_examples=40,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        )
        @given(
            status=STATUSES.filter(lambda s: s != 401),
            content_type=CONTENT_TYPES.filter(bool),
            body=bodies(endpoint.response_model),
        )
        def check(status: int, content_type: str, body: bytes) -> None:
            simulator.clear_faults()
            simulator.inject(
                Fault(path=suffix, status=status, raw_body=body, content_type=content_type)
            )
            assert_documented(endpoint, lambda: _invoke(client, endpoint), status)

        check()


@pytest.mark.parametrize("status", [200, 400, 401, 500])
@pytest.mark.parametrize("body", [b"[" * 100_000, b'{"a":' * 50_000], ids=["array", "object"])
def test_absurdly_deep_json_is_not_a_recursion_error(status: int, body: bytes) -> None:
    # json.loads raises RecursionError (not ValueError) on such input
    endpoint = endpoints.V3_GET_ACCOUNT_LICENSES_STATUS
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(responses.POST, TOKEN_URL, json=token_body())
        mock.add(endpoint.method, _url(endpoint), body=body, status=status)
        with make_client() as client:
            result = outcome(lambda: _invoke(client, endpoint))
    assert isinstance(result, APIException)
    assert type(result) is not APIException
    assert str(result)


# -- the token helpers never fail on what a server sends --------------------------------------


@settings(max_examples=200, deadline=None)
@given(JSON | st.sampled_from([10**400, "1e400", "nan", "-inf", "3600", " 60 ", -1]))
def test_any_expires_in_gives_a_usable_lifetime(value: Any) -> None:
    seconds = auth._lifetime(value)
    assert math.isfinite(seconds)
    assert seconds >= 0
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value < 1e300:
        assert seconds == float(value)


@settings(max_examples=200, deadline=None)
@given(st.none() | st.text(max_size=80) | JSON.map(json.dumps))
def test_any_401_body_blames_at_most_one_credential(body: str | None) -> None:
    blamed = auth.rejected_credentials(body)
    assert blamed in (frozenset(), {auth.OAUTH_AUTH}, {auth.M2M_AUTH})


@pytest.mark.parametrize(
    ("body", "blamed"),
    [
        ('{"errorCode": "AccessToken.Expired"}', {auth.OAUTH_AUTH}),
        ('{"error": "invalid_token"}', set()),  # any token may be "invalid_token"
        ('{"errorMessage": "Bearer access token has expired"}', {auth.OAUTH_AUTH}),
        ('{"errorCode": "SessionToken.Expired"}', {auth.M2M_AUTH}),
        ('{"errorMessage": "VZ-M2M-Token is invalid"}', {auth.M2M_AUTH}),
        ('{"message": "Unauthorized"}', set()),
        ('{"errorMessage": "access token and session both expired"}', set()),
        ('{"unrelated": "session"}', set()),  # only error fields are read
        ("session expired", set()),  # not JSON
        ('["AccessToken.Expired"]', set()),
        ("[" * 100_000, set()),
    ],
)
def test_which_credential_a_401_blames(body: str, blamed: set[str]) -> None:
    assert auth.rejected_credentials(body) == blamed


@settings(max_examples=200, deadline=None)
@given(
    secret=st.text(min_size=4, max_size=24).filter(lambda s: s.strip() == s and "*" not in s),
    before=st.text(max_size=10),
)
def test_a_secret_is_masked_however_it_is_echoed(secret: str, before: str) -> None:
    redactor = Redactor(secret)
    for echoed in (
        secret,
        json.dumps({"echo": secret}),
        json.dumps({"echo": secret}, ensure_ascii=False),
        urlencode({"echo": secret}),
        quote(secret, safe=""),
    ):
        masked = redactor(before + echoed)
        assert secret not in masked
        assert json.dumps(secret)[1:-1] not in masked
