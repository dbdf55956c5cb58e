"""Routing: which handler answers a request, the API and control handlers, and fault rules.

`Router.handle` is everything between the HTTP layer (`_server`) and the state (`_tokens`,
`_licenses`): the latency, the fault rules, the route tables and the request log.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote

from verizon_sdk.simulator._clock import Clock
from verizon_sdk.simulator._faults import Fault, FaultRules
from verizon_sdk.simulator._http import ApiError, Reply, Request, invalid_parameter, json_reply
from verizon_sdk.simulator._licenses import LicenseState
from verizon_sdk.simulator._options import SimulatorOptions
from verizon_sdk.simulator._records import RecordedRequest, RequestLog
from verizon_sdk.simulator._tokens import TokenState

CONTROL_PREFIX = "/api/_sim"

_Handler = Callable[[Request, dict[str, str]], Reply]
_Routes = list[tuple[re.Pattern[str], dict[str, _Handler]]]

_NOT_JSON = object()  # stands for an unparseable body: not a dict, so "Invalid request body"

_ACCOUNT = r"(?P<account>[^/]+)"
_LICENSES = rf"/api/fota/v(?P<version>[23])/licenses/{_ACCOUNT}"


def dispatch(request: Request, routes: _Routes) -> Reply:
    """The reply of the route matching ``request``; 404 or 405 when none does."""
    for pattern, methods in routes:
        match = pattern.fullmatch(request.path)
        if match is None:
            continue
        route = methods.get(request.method)
        if route is None:
            allowed = ", ".join(methods)
            return json_reply(
                405,
                {
                    "errorCode": "METHOD_NOT_ALLOWED",
                    "errorMessage": f"{request.method} is not allowed; use {allowed}",
                },
                (("Allow", allowed),),
            )
        params = {name: unquote(value) for name, value in match.groupdict().items()}
        try:
            return route(request, params)
        except ApiError as exc:
            return exc.reply
    return json_reply(
        404,
        {"errorCode": "NOT_FOUND", "errorMessage": f"No route for {request.path}"},
    )


class Router:
    """Answers requests from the simulator's state; one per :class:`Simulator`."""

    def __init__(self, options: SimulatorOptions) -> None:
        self.options = options
        self.clock = Clock()
        self.tokens = TokenState(options, self.clock)
        self.licenses = LicenseState(options, self.clock)
        self.log = RequestLog(options.request_log_size)
        self.faults = FaultRules()
        self.stopping = threading.Event()
        self._routes: _Routes = [
            (re.compile(r"/api/ts/v1/oauth2/token"), {"POST": self._token}),
            (re.compile(r"/api/ts/v1/oauth2/revoke"), {"POST": self._revoke}),
            (re.compile(r"/api/m2m/v1/session/login"), {"POST": self._login}),
            (re.compile(_LICENSES), {"GET": self._status}),
            (re.compile(_LICENSES + r"/assign"), {"POST": self._assign}),
            (re.compile(_LICENSES + r"/remove"), {"POST": self._remove}),
            (
                re.compile(r"/api/fota/v2/licenses/" + _ACCOUNT + r"/cancel"),
                {
                    "GET": self._list_candidates,
                    "POST": self._set_candidates,
                    "DELETE": self._delete_candidates,
                },
            ),
        ]
        self._control_routes: _Routes = [
            (re.compile(r"/api/_sim/stats"), {"GET": self._control_stats}),
            (re.compile(r"/api/_sim/reset-counters"), {"POST": self._control_reset}),
            (
                re.compile(r"/api/_sim/faults"),
                {
                    "GET": self._control_faults,
                    "POST": self._control_inject,
                    "DELETE": self._control_clear_faults,
                },
            ),
            (re.compile(r"/api/_sim/faults/(?P<id>[0-9]+)"), {"DELETE": self._control_remove}),
            (re.compile(r"/api/_sim/expire-tokens"), {"POST": self._control_expire}),
            (re.compile(r"/api/_sim/advance-time"), {"POST": self._control_advance}),
            (re.compile(r"/api/_sim/unlock"), {"POST": self._control_unlock}),
            (
                re.compile(r"/api/_sim/accounts/" + _ACCOUNT),
                {"GET": self._control_account, "POST": self._control_seed},
            ),
            (re.compile(r"/api/_sim/requests"), {"GET": self._control_requests}),
        ]

    # -- what the simulator's inspection methods share with the control routes -----------------

    def stats(self) -> dict[str, Any]:
        """Counters, locked users, per-account figures and the number of active faults."""
        return {
            "requests": self.log.total(),
            "tokensIssued": self.tokens.token_count,
            "logins": self.tokens.login_count,
            "refusedLogins": self.tokens.refused_login_count,
            "lockedUsers": self.tokens.locked_users(),
            "accounts": self.licenses.summaries(),
            "activeFaults": len(self.faults.active()),
        }

    def reset_counters(self) -> None:
        self.log.clear()
        self.tokens.reset_counters()

    # -- request handling ---------------------------------------------------------------------

    def handle(self, request: Request) -> Reply | None:
        """The answer to ``request``, or None to drop the connection without one."""
        path = request.path
        if self.options.control_routes and (
            path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/")
        ):
            return dispatch(request, self._control_routes)
        fault_id: int | None = None
        reply: Reply | None = None  # stays None (a dropped connection) when stopping
        if not self.stopping.wait(self.options.latency):
            taken = self.faults.take(request.method, path)
            if taken is None:
                reply = dispatch(request, self._routes)
            else:
                fault_id, fault = taken
                reply = self._apply_fault(fault, request)
        self.log.record(
            RecordedRequest(
                method=request.method,
                path=path,
                query=request.query,
                headers=request.headers,
                body=request.parsed_body(),
                raw_body=request.raw_body,
                status=None if reply is None else reply.status,
                fault=fault_id,
                time=time.time(),
            )
        )
        return reply

    def _apply_fault(self, fault: Fault, request: Request) -> Reply | None:
        if self.stopping.wait(fault.latency):
            return None
        if fault.expire_tokens:
            self.tokens.expire_tokens()
        if fault.drop == "before":
            return None
        if fault.drop == "after":
            dispatch(request, self._routes)
            return None
        if fault.responds:
            applied = dispatch(request, self._routes) if fault.apply else None
            return fault.reply(applied)
        return dispatch(request, self._routes)

    # -- API routes ---------------------------------------------------------------------------

    def _token(self, request: Request, _: dict[str, str]) -> Reply:
        payload = self.tokens.issue_access_token(
            request.headers.get("authorization"), request.form()
        )
        return json_reply(200, payload, (("Cache-Control", "no-store"),))

    def _revoke(self, request: Request, _: dict[str, str]) -> Reply:
        payload = self.tokens.revoke(request.headers.get("authorization"), request.form())
        return json_reply(200, payload, (("Cache-Control", "no-store"),))

    def _login(self, request: Request, _: dict[str, str]) -> Reply:
        self.tokens.check_bearer(request.headers.get("authorization"))
        try:
            body = request.json()
        except ValueError:
            body = None
        return json_reply(200, self.tokens.login(body))

    def _authorize(self, request: Request) -> None:
        """The two auth headers (401), then, if the options require it, the Content-Type that
        Verizon's pages call required on every licenses request, GET included (400)."""
        self.tokens.authorize(request)
        if self.options.require_content_type:
            content_type = request.headers.get("content-type", "")
            if content_type.partition(";")[0].strip().lower() != "application/json":
                raise invalid_parameter("Content-Type must be application/json")

    def _licenses_body(self, request: Request) -> Any:
        """The JSON body of an authorized licenses request (a non-JSON body gives a 400 later,
        after the account name has been checked, as the real service orders its checks)."""
        self._authorize(request)
        try:
            return request.json()
        except ValueError:
            return _NOT_JSON

    def _status(self, request: Request, params: dict[str, str]) -> Reply:
        self._authorize(request)
        last_seen = request.query.get("lastSeenDeviceId")
        if last_seen is None and self.options.require_last_seen_device_id:
            raise invalid_parameter("LastSeenDeviceId Not Valid")
        payload = self.licenses.status(int(params["version"]), params["account"], last_seen)
        return json_reply(200, payload)

    def _assign(self, request: Request, params: dict[str, str]) -> Reply:
        body = self._licenses_body(request)
        version, account = int(params["version"]), params["account"]
        return json_reply(200, self.licenses.change(version, account, body, assign=True))

    def _remove(self, request: Request, params: dict[str, str]) -> Reply:
        body = self._licenses_body(request)
        version, account = int(params["version"]), params["account"]
        return json_reply(200, self.licenses.change(version, account, body, assign=False))

    def _set_candidates(self, request: Request, params: dict[str, str]) -> Reply:
        body = self._licenses_body(request)
        return json_reply(200, self.licenses.set_candidates(params["account"], body))

    def _list_candidates(self, request: Request, params: dict[str, str]) -> Reply:
        self._authorize(request)
        start = request.query.get("startIndex")
        return json_reply(200, self.licenses.list_candidates(params["account"], start))

    def _delete_candidates(self, request: Request, params: dict[str, str]) -> Reply:
        self._authorize(request)
        return json_reply(200, self.licenses.delete_candidates(params["account"]))

    # -- control routes -----------------------------------------------------------------------

    @staticmethod
    def _control_body(request: Request) -> dict[str, Any]:
        try:
            body = request.json()
        except ValueError:
            body = None
        if body is None:
            return {}
        if not isinstance(body, dict):
            raise ApiError(400, {"error": "expected a JSON object"})
        return body

    def _control_stats(self, request: Request, _: dict[str, str]) -> Reply:
        return json_reply(200, self.stats())

    def _control_reset(self, request: Request, _: dict[str, str]) -> Reply:
        self.reset_counters()
        return json_reply(200, {"reset": True})

    def _control_faults(self, request: Request, _: dict[str, str]) -> Reply:
        return json_reply(200, {"faults": self.faults.active()})

    def _control_inject(self, request: Request, _: dict[str, str]) -> Reply:
        try:
            fault = Fault.from_dict(self._control_body(request))
        except (TypeError, ValueError) as exc:
            raise ApiError(400, {"error": str(exc)}) from None
        return json_reply(201, {"id": self.faults.add(fault)})

    def _control_clear_faults(self, request: Request, _: dict[str, str]) -> Reply:
        return json_reply(200, {"cleared": self.faults.clear()})

    def _control_remove(self, request: Request, params: dict[str, str]) -> Reply:
        if not self.faults.remove(int(params["id"])):
            raise ApiError(404, {"error": f"no active fault {params['id']}"})
        return json_reply(200, {"removed": int(params["id"])})

    def _control_expire(self, request: Request, _: dict[str, str]) -> Reply:
        return json_reply(200, {"expired": self.tokens.expire_tokens()})

    def _control_advance(self, request: Request, _: dict[str, str]) -> Reply:
        seconds = self._control_body(request).get("seconds")
        if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or seconds < 0:
            raise ApiError(400, {"error": "seconds must be a number >= 0"})
        self.clock.advance(seconds)
        return json_reply(200, {"advanced": seconds})

    def _control_unlock(self, request: Request, _: dict[str, str]) -> Reply:
        username = self._control_body(request).get("username")
        self.tokens.unlock(username if isinstance(username, str) else None)
        return json_reply(200, {"unlocked": username})

    def _control_account(self, request: Request, params: dict[str, str]) -> Reply:
        account = params["account"]
        info = self.licenses.account_info(account)
        if info is None:
            raise ApiError(404, {"error": f"no account {account}"})
        devices = sorted(self.licenses.assigned(account))
        candidates = self.licenses.candidates(account)
        return json_reply(200, info | {"assignedDevices": devices, "candidateDevices": candidates})

    def _control_seed(self, request: Request, params: dict[str, str]) -> Reply:
        body = self._control_body(request)
        assigned: Iterable[str | int] = body.get("assigned", ())
        try:
            if "assigned_range" in body:
                start, stop = body["assigned_range"]
                assigned = range(int(start), int(stop))
            self.licenses.seed(
                params["account"],
                pool=body.get("pool"),
                assigned=assigned,
                candidates=body.get("candidates", ()),
            )
        except (TypeError, ValueError) as exc:
            raise ApiError(400, {"error": str(exc)}) from None
        return json_reply(200, self.licenses.account_info(params["account"]))

    def _control_requests(self, request: Request, _: dict[str, str]) -> Reply:
        entries = self.log.entries()
        limit = request.query.get("limit")
        if limit is not None and limit.isdigit():
            entries = entries[-int(limit) :] if int(limit) else []
        return json_reply(200, {"requests": [entry.to_json() for entry in entries]})
