"""The clients compared on the fixed-response server, and what each one does per call.

Every contender makes the same HTTP request (same method, URL and headers) and returns the
decoded body. What differs is what it does with the body:

=================  ==========================================================================
``raw``            ``requests.Session()`` as a user writes it (``trust_env`` left on, so every
                   request scans the environment for proxies), ``raise_for_status()``,
                   ``json.loads``. Times stay strings; no model; no error mapping; no retries.
``raw_no_env``     the same with ``trust_env = False``: the fastest plain ``requests`` call.
``ours``           this SDK's controller method: validation, apimatic request builder, auth
                   headers from the token cache, status→exception mapping, ``json.loads``,
                   typed models. Time fields are kept raw and parsed on first read.
``ours_times``     ``ours``, then every time field of the result is read (parsed).
``published``      ``sdksio-verizon-apis-sdk`` 2.0.0 (``verizon``): apimatic-core with jsonpickle
                   decoding. Its V3 status model keeps ``assignmentTime`` a string; its assign
                   model parses the three times eagerly with ``dateutil``.
=================  ==========================================================================

The published SDK is optional (``pip install -e '.[bench]'``); without it that contender is
skipped and the output says so.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import fixtures
import requests

from verizon_sdk import ThingspaceOauthCredentials, VerizonClient, VZM2mTokenCredentials
from verizon_sdk.models import V3LicenseIMEI

Call = Callable[[], Any]


@dataclass(frozen=True)
class Contender:
    key: str
    label: str
    call: Call
    #: Checks one result; raises AssertionError when the contender did not do the work.
    check: Callable[[Any], None]


def published_sdk() -> tuple[Any, str | None]:
    """The published SDK's modules, or None and why not."""
    try:
        from verizon import configuration, verizon_client
        from verizon.http.auth import thingspace_oauth, vz_m2m_token
        from verizon.models import v3_license_imei
    except ImportError as exc:
        return None, f"published SDK not installed ({exc}); pip install -e '.[bench]'"
    return (configuration, verizon_client, thingspace_oauth, vz_m2m_token, v3_license_imei), None


def _raw_session(trust_env: bool) -> requests.Session:
    session = requests.Session()
    session.trust_env = trust_env
    return session


_API_HEADERS = {
    "Authorization": f"Bearer {fixtures.TOKEN}",
    "VZ-M2M-Token": fixtures.M2M_TOKEN,
    "Accept": "application/json",
}


class Clients:
    """One of each contender's clients, pointed at the fixed server's API root."""

    def __init__(self, api_root: str, use_published: bool) -> None:
        self.api_root = api_root
        self.raw = _raw_session(trust_env=True)
        self.raw_no_env = _raw_session(trust_env=False)
        self.ours = VerizonClient(
            thingspace_oauth_credentials=ThingspaceOauthCredentials(
                oauth_client_id="bench-client", oauth_client_secret="bench-secret"
            ),
            vz_m2m_token_credentials=VZM2mTokenCredentials(vz_m2m_token=fixtures.M2M_TOKEN),
            base_url=api_root,
        )
        self.published: Any = None
        self.published_imei: Any = None
        self.skipped: dict[str, str] = {}
        if not use_published:
            self.skipped["published"] = "published SDK disabled (--without published)"
            return
        modules, why_not = published_sdk()
        if modules is None:
            assert why_not is not None
            self.skipped["published"] = why_not
            return
        self.published, self.published_imei = self._published_client(*modules)

    def _published_client(
        self, configuration: Any, client: Any, oauth: Any, m2m: Any, imei: Any
    ) -> tuple[Any, Any]:
        published = client.VerizonClient(
            thingspace_oauth_credentials=oauth.ThingspaceOauthCredentials(
                oauth_client_id="bench-client", oauth_client_secret="bench-secret"
            ),
            vz_m2m_token_credentials=m2m.VZM2mTokenCredentials(vz_m2m_token=fixtures.M2M_TOKEN),
            environment=configuration.Environment.PRODUCTION,
        )
        # It has no base-URL option: Configuration.get_base_uri reads the class-level
        # `environments` table. Shadow it on this instance, every server under our API root;
        # the OAuth token endpoint is one of them, so its token comes from the server too.
        server = configuration.Server
        suffixes = {
            server.OAUTH_SERVER: "/ts/v1",
            server.M2M: "/m2m",
            server.SOFTWARE_MANAGEMENT_V2: "/fota/v2",
            server.SOFTWARE_MANAGEMENT_V3: "/fota/v3",
        }
        published.config.environments = {
            configuration.Environment.PRODUCTION: {
                s: self.api_root + suffixes.get(s, "/unused") for s in server
            }
        }
        return published, imei.V3LicenseIMEI

    def close(self) -> None:
        self.raw.close()
        self.raw_no_env.close()
        self.ours.close()


def _raw_get(session: requests.Session, url: str) -> Call:
    def call() -> Any:
        response = session.get(url, headers=_API_HEADERS)
        response.raise_for_status()
        return json.loads(response.content)

    return call


def _raw_post(session: requests.Session, url: str, payload: dict[str, Any]) -> Call:
    headers = {**_API_HEADERS, "Content-Type": "application/json"}

    def call() -> Any:
        response = session.post(url, data=json.dumps(payload), headers=headers)
        response.raise_for_status()
        return json.loads(response.content)

    return call


def _check_list(length: int) -> Callable[[Any], None]:
    def check(result: Any) -> None:
        devices = result["deviceList"] if isinstance(result, dict) else result.device_list
        assert len(devices) == length, f"expected {length} devices, got {len(devices)}"

    return check


def status_contenders(clients: Clients, account: str, devices: int) -> list[Contender]:
    """V3 status GET of one page of ``devices`` devices (Go-format ``assignmentTime``)."""
    url = f"{clients.api_root}/fota/v3/licenses/{account}"
    v3 = clients.ours.software_management_licenses_v3
    check = _check_list(devices)

    def ours() -> Any:
        return v3.get_account_licenses_status(account)

    def ours_times() -> Any:
        summary = v3.get_account_licenses_status(account)
        for device in summary.device_list:
            if device.assignment_time is None:
                raise AssertionError(f"unparsed time {device.assignment_time_raw!r}")
        return summary

    contenders = [
        Contender("raw", "raw requests", _raw_get(clients.raw, url), check),
        Contender(
            "raw_no_env", "raw requests, trust_env=False", _raw_get(clients.raw_no_env, url), check
        ),
        Contender("ours", "verizon-sdk", ours, check),
        Contender("ours_times", "verizon-sdk, every time read", ours_times, check),
    ]
    if clients.published is not None:
        pv3 = clients.published.software_management_licenses_v3

        def published() -> Any:
            return pv3.get_account_licenses_status(account).body

        contenders.append(Contender("published", "published SDK 2.0.0", published, check))
    return contenders


def assign_contenders(clients: Clients, account: str, devices: int) -> list[Contender]:
    """V3 assign of ``devices`` ids; each result item carries three RFC 3339 times."""
    url = f"{clients.api_root}/fota/v3/licenses/{account}/assign"
    ids = fixtures.imeis(devices)
    body = V3LicenseIMEI(device_list=ids)
    v3 = clients.ours.software_management_licenses_v3
    check = _check_list(devices)

    def ours() -> Any:
        return v3.assign_licenses_to_devices(account, body)

    def ours_times() -> Any:
        result = v3.assign_licenses_to_devices(account, body)
        for item in result.device_list:
            times = (item.updated_time, item.recent_attempt_time, item.next_attempt_time)
            if None in times:
                raise AssertionError(f"unparsed time in {item!r}")
        return result

    contenders = [
        Contender("raw", "raw requests", _raw_post(clients.raw, url, {"deviceList": ids}), check),
        Contender(
            "raw_no_env",
            "raw requests, trust_env=False",
            _raw_post(clients.raw_no_env, url, {"deviceList": ids}),
            check,
        ),
        Contender("ours", "verizon-sdk", ours, check),
        Contender("ours_times", "verizon-sdk, every time read", ours_times, check),
    ]
    if clients.published is not None:
        pv3 = clients.published.software_management_licenses_v3
        published_body = clients.published_imei(device_list=ids)

        def published() -> Any:
            return pv3.assign_licenses_to_devices(account, published_body).body

        contenders.append(Contender("published", "published SDK 2.0.0", published, check))
    return contenders
