"""Bad input across every public method and constructor: a documented error, nothing sent.

Methods raise :class:`ValidationError` (or its subclass :class:`InvalidTypeError`, also a
``TypeError``) naming the parameter; constructors and ``clone_with`` raise
:class:`ConfigurationError`. ``tests/test_validation.py`` holds the first table of method
cases; this one sweeps every method with the same kinds of bad value, and the constructors.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import responses

from tests.conftest import ACCOUNT, API_ROOT, make_client
from verizon_sdk import (
    Configuration,
    M2MSessionCredentials,
    ThingspaceOauthCredentials,
    VerizonClient,
    VZM2mTokenCredentials,
)
from verizon_sdk.exceptions import ConfigurationError, InvalidTypeError, ValidationError
from verizon_sdk.models import V2LicenseIMEI, V2ListOfLicensesToRemoveRequest, V3LicenseIMEI

GOOD = "990003425730524"
OAUTH = ThingspaceOauthCredentials(oauth_client_id="id", oauth_client_secret="secret")
M2M = VZM2mTokenCredentials(vz_m2m_token="m2m-token")


def _gen(*items: Any) -> Iterator[Any]:
    yield from items


# -- methods ----------------------------------------------------------------------------------

# (controller, method, name of the account parameter, extra arguments after the account)
METHODS: list[tuple[str, str, str, tuple[Any, ...]]] = [
    ("v2", "get_account_license_status", "account", ()),
    ("v2", "assign_licenses_to_devices", "account", (V2LicenseIMEI(device_list=[GOOD]),)),
    ("v2", "remove_licenses_from_devices", "account", (V2LicenseIMEI(device_list=[GOOD]),)),
    (
        "v2",
        "create_list_of_licenses_to_remove",
        "account",
        (V2ListOfLicensesToRemoveRequest(device_list=[GOOD], mtype="append"),),
    ),
    ("v2", "list_licenses_to_remove", "account", ()),
    ("v2", "delete_licenses_removal_candidates", "account", ()),
    ("v2", "iter_account_licenses", "account", ()),
    ("v2", "iter_licenses_to_remove", "account", ()),
    ("v3", "get_account_licenses_status", "acc", ()),
    ("v3", "assign_licenses_to_devices", "acc", (V3LicenseIMEI(device_list=[GOOD]),)),
    ("v3", "remove_licenses_from_devices", "acc", (V3LicenseIMEI(device_list=[GOOD]),)),
    ("v3", "iter_account_licenses", "acc", ()),
    ("v3", "assign_licenses_bulk", "acc", ([GOOD],)),
    ("v3", "remove_licenses_bulk", "acc", ([GOOD],)),
]

# (label, account value, error)
BAD_ACCOUNTS: list[tuple[str, Any, type[ValidationError]]] = [
    ("none", None, InvalidTypeError),
    ("int", 1234567890, InvalidTypeError),
    ("bytes", ACCOUNT.encode(), InvalidTypeError),
    ("list", [ACCOUNT], InvalidTypeError),
    ("generator", _gen(ACCOUNT), InvalidTypeError),
    ("empty", "", ValidationError),
    ("blank", "   ", ValidationError),
    ("tab-newline", "\t\n", ValidationError),
    ("padded", f" {ACCOUNT} ", ValidationError),
    ("traversal", "../../ts/v1/oauth2/token", ValidationError),
    ("inner-traversal", "0000123456-00001/../other", ValidationError),
    ("encoded-traversal", "%2e%2e%2f", ValidationError),
    ("dotdot", "..", ValidationError),
    ("query", "acc?lastSeenDeviceId=1", ValidationError),
    ("fragment", "acc#x", ValidationError),
    ("non-ascii", "kontö-00001", ValidationError),
    ("arabic-digits", "\u0660" * 10 + "-" + "\u0661" * 5, ValidationError),
    ("nul", "acc\x00", ValidationError),
    ("long", "9" * 65, ValidationError),
    ("very-long", "9" * 100_000, ValidationError),
]


def _call(client: VerizonClient, api: str, method: str, *args: Any) -> Any:
    controller = getattr(client, f"software_management_licenses_{api}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        result = getattr(controller, method)(*args)
        if method.startswith("iter_"):
            result = next(iter(result))
    return result


@pytest.mark.parametrize(
    ("api", "method", "parameter", "extra"), METHODS, ids=[f"{m[0]}-{m[1]}" for m in METHODS]
)
@pytest.mark.parametrize(
    ("value", "error"), [c[1:] for c in BAD_ACCOUNTS], ids=[c[0] for c in BAD_ACCOUNTS]
)
def test_bad_account_is_rejected_before_sending(
    client: VerizonClient,
    mocked: responses.RequestsMock,
    api: str,
    method: str,
    parameter: str,
    extra: tuple[Any, ...],
    value: Any,
    error: type[ValidationError],
) -> None:
    with pytest.raises(error) as info:
        _call(client, api, method, value, *extra)
    assert type(info.value) is error
    assert info.value.parameter == parameter
    assert str(info.value).startswith(f"{parameter}: ")
    assert len(str(info.value)) < 400  # a 100 000-character value is not echoed whole
    assert len(mocked.calls) == 0


BODY_METHODS = [
    ("v2", "assign_licenses_to_devices", V2LicenseIMEI),
    ("v2", "remove_licenses_from_devices", V2LicenseIMEI),
    ("v2", "create_list_of_licenses_to_remove", V2ListOfLicensesToRemoveRequest),
    ("v3", "assign_licenses_to_devices", V3LicenseIMEI),
    ("v3", "remove_licenses_from_devices", V3LicenseIMEI),
]

# (label, body factory taking the model class, error, parameter prefix)
BAD_BODIES: list[tuple[str, Callable[[type[Any]], Any], type[ValidationError], str]] = [
    ("none", lambda m: None, ValidationError, "body"),
    ("dict", lambda m: {"deviceList": [GOOD]}, InvalidTypeError, "body"),
    ("json-text", lambda m: f'{{"deviceList": ["{GOOD}"]}}', InvalidTypeError, "body"),
    ("no-list", lambda m: m(), ValidationError, "body.device_list"),
    ("empty-list", lambda m: m(device_list=[]), ValidationError, "body.device_list"),
    ("string-list", lambda m: m(device_list=GOOD), InvalidTypeError, "body.device_list"),
    ("generator", lambda m: m(device_list=_gen(GOOD)), InvalidTypeError, "body.device_list"),
    ("set", lambda m: m(device_list={GOOD}), InvalidTypeError, "body.device_list"),
    ("none-item", lambda m: m(device_list=[GOOD, None]), InvalidTypeError, "body.device_list[1]"),
    (
        "int-item",
        lambda m: m(device_list=[990003425730524]),
        InvalidTypeError,
        "body.device_list[0]",
    ),
    (
        "bytes-item",
        lambda m: m(device_list=[GOOD.encode()]),
        InvalidTypeError,
        "body.device_list[0]",
    ),
    ("empty-item", lambda m: m(device_list=[""]), ValidationError, "body.device_list[0]"),
    ("blank-item", lambda m: m(device_list=["   "]), ValidationError, "body.device_list[0]"),
    ("padded-item", lambda m: m(device_list=[f"{GOOD}\n"]), ValidationError, "body.device_list[0]"),
    ("non-ascii-item", lambda m: m(device_list=["99000٣"]), ValidationError, "body.device_list[0]"),
    ("control-item", lambda m: m(device_list=["99\x0700"]), ValidationError, "body.device_list[0]"),
    ("long-item", lambda m: m(device_list=["9" * 65]), ValidationError, "body.device_list[0]"),
    ("huge-list", lambda m: m(device_list=[GOOD] * 10_001), ValidationError, "body.device_list"),
    (
        "huge-list-of-bad",
        lambda m: m(device_list=[None] * 1_000_000),
        ValidationError,
        "body.device_list",
    ),
]


@pytest.mark.parametrize(
    ("api", "method", "model"), BODY_METHODS, ids=[f"{m[0]}-{m[1]}" for m in BODY_METHODS]
)
@pytest.mark.parametrize(
    ("factory", "error", "parameter"), [c[1:] for c in BAD_BODIES], ids=[c[0] for c in BAD_BODIES]
)
def test_bad_body_is_rejected_before_sending(
    client: VerizonClient,
    mocked: responses.RequestsMock,
    api: str,
    method: str,
    model: type[Any],
    factory: Callable[[type[Any]], Any],
    error: type[ValidationError],
    parameter: str,
) -> None:
    with pytest.raises(error) as info:
        _call(client, api, method, ACCOUNT, factory(model))
    assert type(info.value) is error
    assert info.value.parameter == parameter
    assert len(mocked.calls) == 0


# (label, controller, method, arguments, error, parameter)
OTHER_METHOD_CASES: list[tuple[str, str, str, tuple[Any, ...], type[ValidationError], str]] = [
    (
        "v3-last-seen-list",
        "v3",
        "get_account_licenses_status",
        (ACCOUNT, ["1"]),
        InvalidTypeError,
        "last_seen_device_id",
    ),
    (
        "v3-last-seen-float",
        "v3",
        "get_account_licenses_status",
        (ACCOUNT, 1.0),
        InvalidTypeError,
        "last_seen_device_id",
    ),
    (
        "v3-last-seen-bool",
        "v3",
        "get_account_licenses_status",
        (ACCOUNT, False),
        InvalidTypeError,
        "last_seen_device_id",
    ),
    (
        "v3-last-seen-empty",
        "v3",
        "get_account_licenses_status",
        (ACCOUNT, ""),
        ValidationError,
        "last_seen_device_id",
    ),
    (
        "v3-last-seen-tab",
        "v3",
        "get_account_licenses_status",
        (ACCOUNT, "\t1"),
        ValidationError,
        "last_seen_device_id",
    ),
    (
        "v3-last-seen-long",
        "v3",
        "get_account_licenses_status",
        (ACCOUNT, "1" * 10_000),
        ValidationError,
        "last_seen_device_id",
    ),
    (
        "v2-last-seen-bytes",
        "v2",
        "get_account_license_status",
        (ACCOUNT, b"1"),
        InvalidTypeError,
        "last_seen_device_id",
    ),
    (
        "v2-start-index-float",
        "v2",
        "list_licenses_to_remove",
        (ACCOUNT, 1.5),
        InvalidTypeError,
        "start_index",
    ),
    (
        "v2-start-index-none-list",
        "v2",
        "list_licenses_to_remove",
        (ACCOUNT, [0]),
        InvalidTypeError,
        "start_index",
    ),
    (
        "v2-start-index-blank",
        "v2",
        "list_licenses_to_remove",
        (ACCOUNT, " "),
        ValidationError,
        "start_index",
    ),
    (
        "v2-cancel-count-bool",
        "v2",
        "create_list_of_licenses_to_remove",
        (ACCOUNT, V2ListOfLicensesToRemoveRequest(device_list=[GOOD], count=True)),
        InvalidTypeError,
        "body.count",
    ),
    (
        "v2-cancel-type-bytes",
        "v2",
        "create_list_of_licenses_to_remove",
        (ACCOUNT, V2ListOfLicensesToRemoveRequest(device_list=[GOOD], mtype=b"append")),
        InvalidTypeError,
        "body.mtype",
    ),
    (
        "v2-account-name-int",
        "v2",
        "remove_licenses_from_devices",
        (ACCOUNT, V2LicenseIMEI(device_list=[GOOD], account_name=1)),
        InvalidTypeError,
        "body.account_name",
    ),
]


@pytest.mark.parametrize(
    ("api", "method", "args", "error", "parameter"),
    [c[1:] for c in OTHER_METHOD_CASES],
    ids=[c[0] for c in OTHER_METHOD_CASES],
)
def test_bad_optional_argument_is_rejected_before_sending(
    client: VerizonClient,
    mocked: responses.RequestsMock,
    api: str,
    method: str,
    args: tuple[Any, ...],
    error: type[ValidationError],
    parameter: str,
) -> None:
    with pytest.raises(error) as info:
        _call(client, api, method, *args)
    assert type(info.value) is error
    assert info.value.parameter == parameter
    assert len(mocked.calls) == 0


# -- constructors -----------------------------------------------------------------------------


def _client(**options: Any) -> VerizonClient:
    settings: dict[str, Any] = {
        "thingspace_oauth_credentials": OAUTH,
        "vz_m2m_token_credentials": M2M,
        "base_url": API_ROOT,
    }
    settings.update(options)
    return VerizonClient(**settings)


def _environ(**values: str) -> VerizonClient:
    base = {"VERIZON_CLIENT_ID": "id", "VERIZON_CLIENT_SECRET": "s", "VERIZON_M2M_TOKEN": "t"}
    return VerizonClient.from_environment({**base, **values})


def _clone(**changes: Any) -> VerizonClient:
    with make_client() as client:
        return client.clone_with(**changes)


CONSTRUCTOR_CASES: list[tuple[str, Callable[[], Any], str]] = [
    ("no-arguments", lambda: VerizonClient(), "thingspace_oauth_credentials is required"),
    ("oauth-none", lambda: _client(thingspace_oauth_credentials=None), "is required"),
    (
        "oauth-tuple",
        lambda: _client(thingspace_oauth_credentials=("id", "s")),
        "must be a Thingspace",
    ),
    (
        "oauth-id-none",
        lambda: ThingspaceOauthCredentials(oauth_client_id=None, oauth_client_secret="s"),
        "oauth_client_id must be a string",
    ),  # type: ignore[arg-type]
    (
        "oauth-id-empty",
        lambda: ThingspaceOauthCredentials(oauth_client_id="", oauth_client_secret="s"),
        "oauth_client_id must not be empty",
    ),
    (
        "oauth-id-blank",
        lambda: ThingspaceOauthCredentials(oauth_client_id=" \t", oauth_client_secret="s"),
        "oauth_client_id must not be empty",
    ),
    (
        "oauth-id-colon",
        lambda: _client(
            thingspace_oauth_credentials=ThingspaceOauthCredentials(
                oauth_client_id="a:b", oauth_client_secret="s"
            )
        ),
        "must not contain ':'",
    ),
    (
        "oauth-secret-int",
        lambda: ThingspaceOauthCredentials(oauth_client_id="i", oauth_client_secret=123),
        "oauth_client_secret must be a string",
    ),  # type: ignore[arg-type]
    (
        "oauth-scopes-str",
        lambda: ThingspaceOauthCredentials(
            oauth_client_id="i", oauth_client_secret="s", oauth_scopes="read"
        ),
        "oauth_scopes",
    ),  # type: ignore[arg-type]
    (
        "oauth-scopes-none",
        lambda: ThingspaceOauthCredentials(
            oauth_client_id="i", oauth_client_secret="s", oauth_scopes=None
        ),
        "oauth_scopes",
    ),  # type: ignore[arg-type]
    (
        "oauth-scopes-blank",
        lambda: ThingspaceOauthCredentials(
            oauth_client_id="i", oauth_client_secret="s", oauth_scopes=("a", "")
        ),
        "oauth_scopes",
    ),
    ("m2m-none", lambda: VZM2mTokenCredentials(vz_m2m_token=None), "vz_m2m_token must be a string"),  # type: ignore[arg-type]
    (
        "m2m-blank",
        lambda: VZM2mTokenCredentials(vz_m2m_token="  "),
        "vz_m2m_token must not be empty",
    ),
    (
        "m2m-space",
        lambda: _client(vz_m2m_token_credentials=VZM2mTokenCredentials(vz_m2m_token="tok en")),
        "vz_m2m_token must be printable ASCII",
    ),
    (
        "m2m-non-ascii",
        lambda: _client(vz_m2m_token_credentials=VZM2mTokenCredentials(vz_m2m_token="tökén")),
        "vz_m2m_token must be printable ASCII",
    ),
    (
        "m2m-header-injection",
        lambda: _client(
            vz_m2m_token_credentials=VZM2mTokenCredentials(vz_m2m_token="t\r\nX-Evil: 1")
        ),
        "vz_m2m_token must be printable ASCII",
    ),
    (
        "session-user-empty",
        lambda: M2MSessionCredentials(username="", password="p"),
        "username must not be empty",
    ),
    (
        "session-password-none",
        lambda: M2MSessionCredentials(username="u", password=None),
        "password must be a string",
    ),  # type: ignore[arg-type]
    (
        "m2m-both",
        lambda: _client(m2m_session_credentials=M2MSessionCredentials(username="u", password="p")),
        "not both",
    ),
    (
        "m2m-neither",
        lambda: _client(vz_m2m_token_credentials=None),
        "an M2M credential is required",
    ),
    ("unknown-option", lambda: _client(max_retry=3), "max_retry (did you mean max_retries?)"),
    (
        "configuration-and-options",
        lambda: VerizonClient(
            configuration=Configuration(
                thingspace_oauth_credentials=OAUTH, vz_m2m_token_credentials=M2M
            ),
            timeout=3,
        ),
        "not both",
    ),
    ("environment-unknown", lambda: _client(environment="stage"), "unknown environment"),
    ("environment-none", lambda: _client(environment=None), "unknown environment"),
    ("base-url-ftp", lambda: _client(base_url="ftp://example.com/api"), "base_url must be an http"),
    (
        "base-url-bytes",
        lambda: _client(base_url=b"http://example.com/api"),
        "base_url must be an http",
    ),
    ("base-url-no-host", lambda: _client(base_url="http://"), "has no host"),
    (
        "base-url-credentials",
        lambda: _client(base_url="https://user:pw@example.com/api"),
        "must not carry credentials",
    ),
    (
        "base-url-query",
        lambda: _client(base_url="https://example.com/api?x=1"),
        "query or fragment",
    ),
    (
        "base-url-fragment",
        lambda: _client(base_url="https://example.com/api#top"),
        "query or fragment",
    ),
    (
        "base-url-space",
        lambda: _client(base_url="https://exa mple.com/api"),
        "must not contain whitespace",
    ),
    (
        "base-url-non-ascii",
        lambda: _client(base_url="https://exämple.com/api"),
        "must not contain whitespace",
    ),
    (
        "base-url-bad-port",
        lambda: _client(base_url="https://example.com:99999/api"),
        "not a valid URL",
    ),
    ("timeout-none", lambda: _client(timeout=None), "timeout must be seconds"),
    ("timeout-one-tuple", lambda: _client(timeout=(1,)), "timeout must be seconds"),
    ("timeout-nan", lambda: _client(timeout=float("nan")), "positive finite"),
    ("timeout-negative-read", lambda: _client(timeout=(1, -1)), "timeout.read must be a positive"),
    ("max-retries-negative", lambda: _client(max_retries=-1), "max_retries must be >= 0"),
    ("max-retries-string", lambda: _client(max_retries="3"), "max_retries must be an integer"),
    ("max-retries-bool", lambda: _client(max_retries=True), "max_retries must be an integer"),
    ("backoff-inf", lambda: _client(backoff_factor=float("inf")), "backoff_factor must be >= 0"),
    ("backoff-none", lambda: _client(backoff_factor=None), "backoff_factor must be a number"),
    ("backoff-max-string", lambda: _client(backoff_max="30"), "backoff_max must be a number"),
    (
        "max-retry-after-negative",
        lambda: _client(max_retry_after=-1),
        "max_retry_after must be >= 0",
    ),
    (
        "retry-statuses-none",
        lambda: _client(retry_statuses=None),
        "retry_statuses must be a collection",
    ),
    (
        "retry-statuses-string",
        lambda: _client(retry_statuses="503"),
        "retry_statuses must be a collection",
    ),
    (
        "retry-statuses-600",
        lambda: _client(retry_statuses=[503, 600]),
        "retry_statuses must be HTTP status codes",
    ),
    (
        "retry-statuses-bool",
        lambda: _client(retry_statuses=[True]),
        "retry_statuses must be HTTP status codes",
    ),
    ("pool-zero", lambda: _client(pool_maxsize=0), "pool_maxsize must be at least 1"),
    ("pool-bool", lambda: _client(pool_maxsize=True), "pool_maxsize must be an integer"),
    ("skew-negative", lambda: _client(token_refresh_skew=-5), "token_refresh_skew must be >= 0"),
    ("user-agent-empty", lambda: _client(user_agent=""), "user_agent must be a non-empty string"),
    ("user-agent-newline", lambda: _client(user_agent="sdk\r\nX-Evil: 1"), "printable ASCII"),
    ("user-agent-non-ascii", lambda: _client(user_agent="sdk-ü"), "printable ASCII"),
    ("proxy-string", lambda: _client(proxy_settings="http://proxy:3128"), "proxy_settings"),
    (
        "session-object",
        lambda: _client(http_session=object()),
        "http_session must be a requests.Session",
    ),
    ("clone-unknown", lambda: _clone(max_retires=0), "max_retires (did you mean max_retries?)"),
    ("clone-bad-timeout", lambda: _clone(timeout="slow"), "timeout must be seconds"),
    (
        "environ-half-client",
        lambda: VerizonClient.from_environment({"VERIZON_CLIENT_ID": "id"}),
        "VERIZON_CLIENT_SECRET",
    ),
    (
        "environ-bad-base-url",
        lambda: _environ(VERIZON_BASE_URL="localhost:8080"),
        "base_url must be an http",
    ),
    (
        "environ-bad-environment",
        lambda: _environ(VERIZON_ENVIRONMENT="prod-eu"),
        "unknown environment",
    ),
]


@pytest.mark.parametrize(
    ("factory", "message"),
    [c[1:] for c in CONSTRUCTOR_CASES],
    ids=[c[0] for c in CONSTRUCTOR_CASES],
)
def test_bad_construction_raises_configuration_error(
    mocked: responses.RequestsMock, factory: Callable[[], Any], message: str
) -> None:
    with pytest.raises(ConfigurationError) as info:
        factory()
    assert message in str(info.value)
    assert "secret" not in str(info.value).replace("client_secret", "")
    assert len(mocked.calls) == 0


def test_the_table_is_large() -> None:
    method_cases = len(METHODS) * len(BAD_ACCOUNTS) + len(BODY_METHODS) * len(BAD_BODIES)
    assert method_cases + len(OTHER_METHOD_CASES) >= 30
    assert len(CONSTRUCTOR_CASES) >= 30


def test_generators_that_are_valid_are_read_once() -> None:
    credentials = ThingspaceOauthCredentials(
        oauth_client_id="i", oauth_client_secret="s", oauth_scopes=_gen("a", "b")
    )
    assert credentials.oauth_scopes == ("a", "b")
    with make_client(retry_statuses=_gen(429, 503)) as client:
        assert client.config.retry_statuses == (429, 503)
