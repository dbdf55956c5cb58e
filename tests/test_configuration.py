from __future__ import annotations

import socket
import threading
from typing import Any

import pytest
import requests
import responses

from tests.conftest import ACCOUNT, CLIENT_SECRET, M2M_TOKEN, V3, make_client
from verizon_sdk import (
    Configuration,
    Environment,
    M2MSessionCredentials,
    ProxySettings,
    ThingspaceOauthCredentials,
    Timeout,
    VerizonClient,
    VZM2mTokenCredentials,
)
from verizon_sdk._configuration import API_ROOTS, Server
from verizon_sdk.exceptions import APIException, ConfigurationError

OAUTH = ThingspaceOauthCredentials(oauth_client_id="id", oauth_client_secret="secret")
M2M = VZM2mTokenCredentials(vz_m2m_token="m2m-token")
SUMMARY = {"accountName": ACCOUNT, "hasMoreData": False, "deviceList": []}


def config(**options: Any) -> Configuration:
    settings: dict[str, Any] = {
        "thingspace_oauth_credentials": OAUTH,
        "vz_m2m_token_credentials": M2M,
    }
    settings.update(options)
    return Configuration(**settings)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"thingspace_oauth_credentials": None}, "thingspace_oauth_credentials is required"),
        ({"thingspace_oauth_credentials": "id:secret"}, "must be a ThingspaceOauthCredentials"),
        ({"vz_m2m_token_credentials": None}, "an M2M credential is required"),
        (
            {"m2m_session_credentials": M2MSessionCredentials(username="u", password="p")},
            "not both",
        ),
        ({"timeout": -1}, "timeout.connect must be a positive"),
        ({"timeout": 0}, "must be a positive"),
        ({"timeout": (1, float("inf"))}, "timeout.read must be a positive finite"),
        ({"timeout": "30"}, "timeout must be seconds"),
        ({"timeout": (1, "x")}, "timeout.read must be a number"),
        ({"environment": "sandbox"}, "unknown environment 'sandbox'"),  # staging exists now
        ({"environment": 3}, "unknown environment 3"),
        ({"base_url": "ftp://x"}, "base_url must be an http"),
        ({"base_url": "127.0.0.1:8080"}, "base_url must be an http"),
        ({"max_retries": -1}, "max_retries must be >= 0"),
        ({"max_retries": 1.5}, "max_retries must be an integer"),
        ({"max_retries": True}, "max_retries must be an integer"),
        ({"backoff_factor": -0.1}, "backoff_factor must be >= 0"),
        ({"retry_statuses": (503, 99)}, "retry_statuses"),
        ({"retry_statuses": "503"}, "retry_statuses"),
        ({"pool_maxsize": 0}, "pool_maxsize must be at least 1"),
        ({"proxy_settings": "http://proxy"}, "proxy_settings"),
        ({"http_session": object()}, "http_session must be a requests.Session"),
        ({"user_agent": " "}, "user_agent"),
    ],
)
def test_bad_configuration_is_rejected_clearly(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message.replace("(", r"\(")):
        config(**options)


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (
            lambda: ThingspaceOauthCredentials(oauth_client_id="", oauth_client_secret="s"),
            "oauth_client_id must not be empty",
        ),
        (
            lambda: ThingspaceOauthCredentials(oauth_client_id="i", oauth_client_secret=None),
            "oauth_client_secret must be a string",
        ),
        (
            lambda: ThingspaceOauthCredentials(
                oauth_client_id="i", oauth_client_secret="s", oauth_scopes="scope"
            ),
            "oauth_scopes",
        ),
        (lambda: VZM2mTokenCredentials(vz_m2m_token="  "), "vz_m2m_token must not be empty"),
        (lambda: M2MSessionCredentials(username="u", password=""), "password must not be empty"),
    ],
)
def test_bad_credentials_are_rejected(factory: Any, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        factory()


def test_credentials_repr_hides_secrets() -> None:
    text = repr(
        [
            ThingspaceOauthCredentials(oauth_client_id="id", oauth_client_secret="s3cr3t"),
            VZM2mTokenCredentials(vz_m2m_token="t0k3n"),
            M2MSessionCredentials(username="me", password="pa55"),
        ]
    )
    for secret in ("s3cr3t", "t0k3n", "pa55"):
        assert secret not in text
    assert "'id'" in text
    assert "'me'" in text


@pytest.mark.parametrize(
    ("environment", "root"),
    [
        (Environment.PRODUCTION, "https://thingspace.verizon.com/api"),
        # the published SDK 2.0.0's roots (1.7.0's mock was https://mock.thingspace...)
        (Environment.MOCK_SERVER, "https://mock-staging.thingspace.verizon.com/api"),
        ("mock_server", "https://mock-staging.thingspace.verizon.com/api"),
        (Environment.STAGING, "https://staging.thingspace.verizon.com/api"),
        ("staging", "https://staging.thingspace.verizon.com/api"),
        ("PRODUCTION", "https://thingspace.verizon.com/api"),
    ],
)
def test_environment_selects_api_root(environment: Any, root: str) -> None:
    cfg = config(environment=environment)
    assert cfg.server_url(Server.OAUTH) == root + "/ts/v1"
    assert cfg.server_url(Server.M2M) == root + "/m2m"
    assert cfg.server_url(Server.SOFTWARE_MANAGEMENT_V2) == root + "/fota/v2"
    assert cfg.server_url(Server.SOFTWARE_MANAGEMENT_V3) == root + "/fota/v3"


def test_base_url_replaces_root_of_every_server() -> None:
    cfg = config(base_url="http://127.0.0.1:8080/api/", environment=Environment.MOCK_SERVER)
    assert cfg.api_root == "http://127.0.0.1:8080/api"
    assert cfg.server_url(Server.SOFTWARE_MANAGEMENT_V3) == "http://127.0.0.1:8080/api/fota/v3"


def test_timeout_forms() -> None:
    assert config(timeout=5).timeout == Timeout(connect=5, read=5)
    assert config(timeout=(2, 40)).timeout == Timeout(connect=2, read=40)
    assert config(timeout=Timeout(read=90)).timeout.as_requests() == (10.0, 90.0)


def test_timeouts_reach_the_wire(mocked: responses.RequestsMock) -> None:
    mocked.get(f"{V3}/licenses/{ACCOUNT}", json=SUMMARY)
    with make_client(timeout=Timeout(connect=3, read=45)) as client:
        client.software_management_licenses_v3.get_account_licenses_status(ACCOUNT)
    assert all(c.request.req_kwargs["timeout"] == (3.0, 45.0) for c in mocked.calls)


def test_clone_with_respects_zero_and_false() -> None:
    with make_client(max_retries=5) as client, client.clone_with(max_retries=0) as clone:
        assert clone.config.max_retries == 0
        assert client.config.max_retries == 5
        assert clone.config.backoff_factor == client.config.backoff_factor
        adapter: Any = clone._pipeline.session.get_adapter("http://api.test/")
        assert adapter.max_retries.total == 0
        adapter = client._pipeline.session.get_adapter("http://api.test/")
        assert adapter.max_retries.total == 5


def test_clone_with_switches_m2m_credential_kind() -> None:
    session = M2MSessionCredentials(username="u", password="p")
    with make_client() as client, client.clone_with(m2m_session_credentials=session) as clone:
        assert clone.config.vz_m2m_token_credentials is None
        assert clone.config.m2m_session_credentials is session


def test_clone_with_unknown_option_is_rejected() -> None:
    with make_client() as client, pytest.raises(ConfigurationError, match=r"max_retry\b"):
        client.clone_with(max_retry=1)


def test_configuration_and_options_are_exclusive() -> None:
    with pytest.raises(ConfigurationError, match="either configuration"):
        VerizonClient(configuration=config(), max_retries=1)


def test_from_environment_reads_variables() -> None:
    environ = {
        "VERIZON_CLIENT_ID": "id",
        "VERIZON_CLIENT_SECRET": "secret",
        "VERIZON_M2M_TOKEN": "tok",
        "VERIZON_BASE_URL": "http://127.0.0.1:9/api",
        "VERIZON_ENVIRONMENT": "mock_server",
    }
    with VerizonClient.from_environment(environ, max_retries=1) as client:
        cfg = client.config
        assert cfg.thingspace_oauth_credentials == ThingspaceOauthCredentials(
            oauth_client_id="id", oauth_client_secret="secret"
        )
        assert cfg.vz_m2m_token_credentials == VZM2mTokenCredentials(vz_m2m_token="tok")
        assert cfg.api_root == "http://127.0.0.1:9/api"
        # base_url replaces the mock server's root: the client says so (issue 12.6)
        assert client.environment is Environment.CUSTOM
        assert cfg.environment is Environment.MOCK_SERVER
        assert cfg.max_retries == 1


def test_from_environment_strips_stray_whitespace() -> None:
    environ = {
        "VERIZON_CLIENT_ID": " id\n",
        "VERIZON_CLIENT_SECRET": "secret ",
        "VERIZON_M2M_TOKEN": "tok\n",
        "VERIZON_BASE_URL": " http://127.0.0.1:9/api",
    }
    with VerizonClient.from_environment(environ) as client:
        assert client.config.thingspace_oauth_credentials == ThingspaceOauthCredentials(
            oauth_client_id="id", oauth_client_secret="secret"
        )
        assert client.config.vz_m2m_token_credentials == VZM2mTokenCredentials(vz_m2m_token="tok")
        assert client.config.api_root == "http://127.0.0.1:9/api"


def test_from_environment_m2m_override_replaces_the_variables() -> None:
    environ = {"VERIZON_CLIENT_ID": "id", "VERIZON_CLIENT_SECRET": "s", "VERIZON_M2M_TOKEN": "t"}
    session = M2MSessionCredentials(username="me", password="pw")
    with VerizonClient.from_environment(environ, m2m_session_credentials=session) as client:
        assert client.config.m2m_session_credentials is session
        assert client.config.vz_m2m_token_credentials is None


def test_from_environment_session_login(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("VERIZON_M2M_TOKEN", "VERIZON_BASE_URL", "VERIZON_ENVIRONMENT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("VERIZON_CLIENT_ID", "id")
    monkeypatch.setenv("VERIZON_CLIENT_SECRET", "secret")
    monkeypatch.setenv("VERIZON_USERNAME", "me")
    monkeypatch.setenv("VERIZON_PASSWORD", "pw")
    with VerizonClient.from_environment() as client:
        assert client.config.m2m_session_credentials == M2MSessionCredentials(
            username="me", password="pw"
        )
        assert client.environment is Environment.PRODUCTION


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({}, "set VERIZON_CLIENT_ID and VERIZON_CLIENT_SECRET"),
        ({"VERIZON_CLIENT_ID": "id"}, "VERIZON_CLIENT_SECRET"),
        ({"VERIZON_CLIENT_ID": "id", "VERIZON_CLIENT_SECRET": "s"}, "set VERIZON_M2M_TOKEN"),
        (
            {"VERIZON_CLIENT_ID": "id", "VERIZON_CLIENT_SECRET": "s", "VERIZON_USERNAME": "u"},
            "VERIZON_PASSWORD",
        ),
        (
            {
                "VERIZON_CLIENT_ID": "i",
                "VERIZON_CLIENT_SECRET": "s",
                "VERIZON_M2M_TOKEN": "t",
                "VERIZON_ENVIRONMENT": "qa",
            },
            "unknown environment",
        ),
    ],
)
def test_from_environment_missing_values(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        VerizonClient.from_environment(environ)


def test_proxy_settings_and_environment_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://env-proxy:3128")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/tmp/ca.pem")
    with make_client(base_url="https://api.example/api") as client:
        session = client._pipeline.session
        assert session.trust_env is False
        assert session.proxies["https"] == "http://env-proxy:3128"
        assert session.verify == "/tmp/ca.pem"
    proxy = ProxySettings(address="proxy.local", port=8080, username="u", password="p w")
    with make_client(proxy_settings=proxy) as client:
        session = client._pipeline.session
        # one plain-HTTP proxy for both schemes (HTTPS tunnels through it with CONNECT)
        assert session.proxies == {
            "http": "http://u:p%20w@proxy.local:8080",
            "https": "http://u:p%20w@proxy.local:8080",
        }
        assert session.verify == "/tmp/ca.pem"  # the CA bundle still applies
        shown = [repr(client), repr(client.config), str(client.config), repr(proxy), str(proxy)]
        assert all("p w" not in text and "p%20w" not in text for text in shown)
    tls_proxy = ProxySettings(address="https://proxy.local/", port=443)
    with make_client(proxy_settings=tls_proxy, verify=False) as client:
        assert client._pipeline.session.proxies["https"] == "https://proxy.local:443"
        assert client._pipeline.session.verify is False


def test_https_goes_through_a_plain_proxy_with_connect() -> None:
    seen: list[bytes] = []
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        connection, _ = listener.accept()
        with connection:
            seen.append(connection.recv(1024))
            connection.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        proxy = ProxySettings(address="127.0.0.1", port=listener.getsockname()[1])
        with (
            make_client(
                base_url="https://api.example/api", proxy_settings=proxy, max_retries=0
            ) as client,
            pytest.raises(APIException),
        ):
            client.software_management_licenses_v3.get_account_licenses_status(ACCOUNT)
    finally:
        thread.join(timeout=10)
        listener.close()
    assert seen
    assert seen[0].startswith(b"CONNECT api.example:443 HTTP/1.")  # a tunnel, not TLS


@pytest.mark.parametrize(
    "options",
    [
        {"proxy_settings": ProxySettings(address="proxy.local", port=8080)},
        {"verify": False},
        {"verify": "/tmp/ca.pem"},
    ],
)
def test_injected_session_excludes_proxy_and_verify_options(options: dict[str, Any]) -> None:
    with requests.Session() as session, pytest.raises(ConfigurationError, match="as given"):
        config(http_session=session, **options)


@pytest.mark.parametrize(
    ("proxy", "message"),
    [
        (ProxySettings(address="http://127.0.0.1:3128", port=8080), "is not a proxy address"),
        (ProxySettings(address="", port=None), "address must be a host name"),
        (ProxySettings(address="proxy", port="abc"), "port must be an integer"),  # type: ignore[arg-type]
        (ProxySettings(address="proxy", port=99999), "port must be 1-65535"),
        (ProxySettings(address="proxy", port=True), "port must be an integer"),  # type: ignore[arg-type]
    ],
)
def test_bad_proxy_settings_are_rejected_at_construction(proxy: Any, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        config(proxy_settings=proxy)


@pytest.mark.parametrize("verify", [None, "", 1])
def test_bad_verify_is_rejected(verify: Any) -> None:
    with pytest.raises(ConfigurationError, match="verify must be"):
        config(verify=verify)


def test_missing_ca_bundle_is_rejected_at_construction(tmp_path: Any) -> None:
    with pytest.raises(ConfigurationError, match="no CA bundle at"):
        config(verify=str(tmp_path / "missing.pem"))
    bundle = tmp_path / "ca.pem"
    bundle.write_text("")
    assert config(verify=str(bundle)).verify == str(bundle)


def test_configuration_is_keyword_only() -> None:
    with pytest.raises(TypeError):
        Configuration(OAUTH, M2M)  # type: ignore[misc]


def test_injected_session_is_never_changed() -> None:
    session = requests.Session()
    adapters = dict(session.adapters)
    retries = {prefix: adapter.max_retries for prefix, adapter in adapters.items()}  # type: ignore[attr-defined]
    with make_client(http_session=session) as client, client.clone_with(max_retries=0):
        assert client._pipeline.session is session
    assert dict(session.adapters) == adapters
    assert {p: a.max_retries for p, a in session.adapters.items()} == retries  # type: ignore[attr-defined]
    session.close()


def test_injected_session_is_used_and_left_open(mocked: responses.RequestsMock) -> None:
    mocked.get(f"{V3}/licenses/{ACCOUNT}", json=SUMMARY)
    session = requests.Session()
    session.headers["X-Custom"] = "yes"
    with make_client(http_session=session) as client:
        assert client._pipeline.session is session
        client.software_management_licenses_v3.get_account_licenses_status(ACCOUNT)
    assert all(c.request.headers["X-Custom"] == "yes" for c in mocked.calls)
    assert session.adapters  # still usable: the client did not close it
    session.close()


def test_controllers_are_lazy_and_cached() -> None:
    with make_client() as client:
        assert "software_management_licenses_v3" not in vars(client)
        assert client.software_management_licenses_v3 is client.software_management_licenses_v3
        assert client.software_management_licenses_v2 is client.software_management_licenses_v2
        assert repr(client) == "VerizonClient(environment=CUSTOM, api_root='http://api.test/api')"
        text = repr(client.config)
        assert CLIENT_SECRET not in text
        assert M2M_TOKEN not in text


@pytest.mark.parametrize("environment", [Environment.PRODUCTION, Environment.STAGING])
def test_environment_and_repr_name_the_root_really_used(environment: Environment) -> None:
    options = {"thingspace_oauth_credentials": OAUTH, "vz_m2m_token_credentials": M2M}
    with VerizonClient(environment=environment, **options) as client:
        assert client.environment is environment
        assert client.api_root == API_ROOTS[environment]
        assert (
            repr(client)
            == f"VerizonClient(environment={environment.name}, api_root="
            + repr(API_ROOTS[environment])
            + ")"
        )
        with client.clone_with(base_url="http://127.0.0.1:9/api") as local:
            assert local.environment is Environment.CUSTOM
            assert local.api_root == "http://127.0.0.1:9/api"
            assert "environment=CUSTOM, api_root='http://127.0.0.1:9/api'" in repr(local)


def test_custom_environment_needs_base_url() -> None:
    with pytest.raises(ConfigurationError, match="give base_url"):
        config(environment=Environment.CUSTOM)
    assert config(environment="custom", base_url="http://h/api").api_root == "http://h/api"
