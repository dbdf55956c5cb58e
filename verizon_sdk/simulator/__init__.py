"""An embedded ThingSpace simulator: a real HTTP server of the Software Management Licenses API.

It serves, on 127.0.0.1, the OAuth token endpoint, the M2M session login and the nine licenses
endpoints (FOTA V2 and V3) with the wire format of the real service, keeps licenses per
account, and can inject faults. It uses the standard library only.

Starting it
===========

From a shell (``verizon-licenses simulator`` takes the same arguments)::

    $ python -m verizon_sdk.simulator --port 8080 --seed 0000123456-00001:5000:250
    http://127.0.0.1:8080/api

It prints its API root on one line, serves until Ctrl-C or SIGTERM, then exits 0. Options:
``--host``, ``--port`` (0, the default, picks a free port), ``--pool``, ``--max-page-size``,
``--token-lifetime``, ``--session-lifetime``, ``--latency``, ``--client ID:SECRET``,
``--login USER:PASSWORD``, ``--m2m-token TOKEN``, ``--unknown-device IMEI`` (all four
repeatable), ``--strict-accounts``, ``--invalid-device-format-error``, ``--lockout-after N``,
``--seed ACCOUNT[:POOL[:ASSIGNED]]`` (assigns ASSIGNED devices from 990000000000000 up),
``--reading sdk|pages``, ``--spellings sdk|pages``, ``--no-control-routes`` and ``--verbose``.
``main(argv)`` runs the same from Python.

In process::

    from verizon_sdk.simulator import Fault, Simulator

    with Simulator(max_page_size=10) as sim:          # a free port, on a background thread
        client = sim.client()                           # a VerizonClient with base_url=sim.url
        sim.inject(Fault(path="/assign", status=429, retry_after="1", times=2))
        ...
        assert sim.request_count("/assign", method="POST") == 3

``sim.start()`` and ``sim.stop()`` do the same as the ``with`` block; ``stop()`` closes every
open connection and the socket and joins the threads (a request still waiting out a latency
gets no answer). A stopped simulator can be started again, on the same ``port`` if one was
given. ``sim.url`` is the API root
(``http://127.0.0.1:<port>/api``). ``sim.client(client_id="sim-client",
client_secret="sim-secret", m2m_token=None, username=None, password=None, **kwargs)`` builds a
``verizon_sdk.VerizonClient`` with a static M2M token (``m2m_token``, else one of
``m2m_tokens``), or with ``M2MSessionCredentials`` when ``username``/``password`` are given;
other keyword arguments go to ``VerizonClient``.

Options
-------

The fields of ``SimulatorOptions``, a frozen value object validated on construction (a bad
value raises ``ValueError``). ``Simulator(options, **overrides)`` takes one (default
``SimulatorOptions()``) and keyword overrides of any field, so ``Simulator(max_page_size=10)``
and ``Simulator(SimulatorOptions(max_page_size=10))`` are the same; ``sim.options`` is the
result. ``accounts`` and ``faults`` are keyword arguments of ``Simulator`` itself.

=============================== ===================== ==========================================
option                          default               meaning
=============================== ===================== ==========================================
``host``, ``port``              ``127.0.0.1``, ``0``  where to listen (0: a free port)
``pool_size``                   1000                  licenses of an account created on first use
``max_page_size``               1000                  devices per status page and cancel-list page
``token_lifetime``              3600.0                seconds an access token lives
``session_lifetime``            1200.0                seconds of inactivity a session token lives
                                                      (each accepted use extends it)
``latency``                     0.0                   seconds added before every API answer
``client_credentials``          None (any)            ``{"id": "secret"}``: accepted OAuth clients
``logins``                      None (any)            ``{"user": "password"}``: accepted logins
``m2m_tokens``                  ``{"sim-m2m-token"}`` static ``VZ-M2M-Token`` values that never
                                                      expire, besides issued session tokens
``strict_accounts``             False                 unknown (unseeded) accounts answer 400
                                                      "Inactive account"
``unknown_devices``             empty                 ids answered "Device does not exist."
``invalid_device_format_error`` False                 a non-IMEI id fails the whole request with
                                                      400 "Invalid device id format"
``lockout_after``               5                     consecutive refused logins that lock a user
                                                      (0: never); see ``sim.unlock()``
``login_refusal_status``        400                   status of a refused login (400, 401, 403)
``request_log_size``            1000                  requests kept by ``sim.requests()``
``control_routes``              True                  serve ``/api/_sim/...``
``verbose``                     False                 log requests and errors to stderr
``spellings``                   ``"sdk"``             ``"pages"``: Verizon's pages' field names
                                                      (``totalLicense``, ``licTotalCount``)
``require_last_seen_device_id`` False                 status without ``lastSeenDeviceId``: 400
                                                      "LastSeenDeviceId Not Valid"
``require_content_type``        False                 licenses request without ``Content-Type:
                                                      application/json``: 400
``same_token``                  False                 repeated token requests get the same token
``token_expires_in``            ``"remaining"``       or ``"full"``: ``expires_in`` of a repeat
``accounts``                    None                  ``{"0000123456-00001": {"pool": 5000,
                                                      "assigned": [...]}}``: seeds (see ``seed``)
``faults``                      ()                    ``Fault`` rules to install at once
=============================== ===================== ==========================================

The API it serves (root ``/api``)
=================================

* ``POST /ts/v1/oauth2/revoke``: HTTP Basic client credentials and the form ``token=...``;
  the token stops working at once (200 ``{}``; no ``token``: 400 ``invalid_request``).
* ``POST /ts/v1/oauth2/token``: HTTP Basic ``client_id:client_secret`` and the form
  ``grant_type=client_credentials`` (optional ``scope``, echoed back). Answers
  ``{"access_token", "token_type": "bearer", "expires_in", "scope"?}``. Bad or missing client
  credentials: 401 ``{"error": "invalid_client", ...}``; missing ``grant_type``: 400
  ``invalid_request``; another grant: 400 ``unsupported_grant_type``.
* ``POST /m2m/v1/session/login``: needs a valid Bearer token; JSON ``{"username",
  "password"}`` gives ``{"sessionToken"}``. A refused login answers ``login_refusal_status``
  (400 by default, as the public ThingSpace documentation lists 400 for its error responses;
  it also keeps a refusal apart from the 401 an expired Bearer token gets, which a client may
  retry) with ``{"errorCode": "INVALID_CREDENTIALS"}``; after ``lockout_after`` consecutive
  refusals the user is locked (``"ACCOUNT_LOCKED"``, even with the right password), as the real
  service does after five. A body without a username and password: 400 ``INVALID_PARAMETER``.
* Licenses, under ``/fota/v2`` and ``/fota/v3``: ``GET /licenses/{account}``
  (``?lastSeenDeviceId=``), ``POST /licenses/{account}/assign``, ``POST
  /licenses/{account}/remove``, and for V2 only ``GET|POST|DELETE /licenses/{account}/cancel``
  (``GET`` takes ``?startIndex=``). Path segments are percent-decoded. Each needs
  ``Authorization: Bearer <unexpired access token>`` and ``VZ-M2M-Token: <unexpired session
  token or static token>``; otherwise 401 ``{"errorCode", "errorMessage"}`` with errorCode
  ``AccessToken.Missing|Invalid|Expired`` or ``SessionToken.Missing|Invalid|Expired`` (Bearer
  first). A JSON body is read whatever ``Content-Type`` says (``require_content_type``: it must
  say ``application/json``, else 400). Unknown path: 404; wrong method:
  405 with ``Allow``. An unreadable request body (bad ``Content-Length`` or chunking) is 400,
  one over 64 MiB is 413, and the connection is then closed.

License semantics
-----------------

* Account names match ``^\\d{10}-\\d{5}$`` (else 400 "Invalid account name format"); an
  unknown account is created with ``pool_size`` licenses, or is 400 "Inactive account" under
  ``strict_accounts``. Every 400 of the licenses routes is ``{"errorCode": "INVALID_PARAMETER",
  "errorMessage"}``.
* Assign and remove take ``{"deviceList": [...]}`` (a V2 ``accountName`` in the body is ignored:
  the path wins). An empty or missing list: 400 "Device list is empty"; a non-JSON body, or a
  ``deviceList`` that is not a list: 400 "Invalid request body"; a non-string item: 400 "Invalid
  device id format". Each device then gets, in order (duplicates see the effect of earlier ones):
  not a 15-digit id or in ``unknown_devices`` → "Failure"/"Device does not exist."; assign of an
  assigned device → "Failure"/"Device license preexisting"; assign with the pool used up →
  "Failure"/"No license available"; remove of an unassigned device → "Failure"/"No license
  attached to device"; otherwise "Success"/"Success". The result has ``accountName``,
  ``licUsedCount`` (always the number of assigned devices), ``licTotalCount`` (V2) or
  ``licCount`` (V3; ``licTotalCount`` with ``spellings="pages"``) and ``deviceList``; V3 items
  also carry ``updatedTime`` (RFC 3339, UTC,
  milliseconds: ``2024-01-02T03:04:05.678Z``).
* Status pages list devices in IMEI (string) order, strictly after ``lastSeenDeviceId``
  (absent or "0": from the start; not digits: 400 "LastSeenDeviceId Not Valid"), at most
  ``max_page_size`` of them, with ``accountName``, ``totalLicense`` (V2, and V3 with
  ``spellings="pages"``) or ``totalLicenses``
  (V3), ``assignedLicenses``, ``hasMoreData`` (true exactly when devices remain),
  ``lastSeenDeviceId`` (the last id of this page; the request's value, or "0", on an empty page),
  ``maxPageSize`` and ``deviceList`` ``[{"deviceId", "assignmentTime"}]``. V2 times are RFC 3339
  (``2017-11-29T16:03:42.000Z``); V3 times use Go's ``Time.String()`` format
  (``2017-11-29 20:15:42.738 +0000 UTC``; like Go, trailing zeros of the fraction are dropped,
  so ``... 20:15:42.7 +0000 UTC`` and ``... 20:15:42 +0000 UTC`` occur too).
* V2 cancel list: ``POST`` ``{"type", "count", "deviceList"}``: ``"type": "append"`` appends
  (skipping ids already listed); without it, or with another type, the list is replaced, as
  Verizon's page says; ``count`` is not checked. It answers ``{"count", "deviceList"}`` with the
  devices this request registered (the request's list, duplicates removed). Ids must be 15
  digits (400 "Invalid device id format"). ``GET ?startIndex=N`` answers ``{"count",
  "hasMoreData", "updateTime", "deviceList"}``: the page of up to ``max_page_size`` ids from
  index N, ``count`` being the
  number of ids on this page and ``updateTime`` (Go format) the time of the last ``POST``
  (left out when there is no list); a ``startIndex`` that is not digits: 400 "StartIndex Not
  Valid". ``DELETE`` empties the list and answers ``{"success": true}``.

Seeding and inspection
======================

``sim.seed(account, pool=None, assigned=(), assigned_at=None, candidates=())`` creates or
replaces an account. ``assigned`` holds 15-digit ids, ints (formatted as 15 digits: ``assigned=
range(990000000000000, 990000000100000)`` seeds 100k devices in well under 0.2 s) or a mapping of
id to assignment ``datetime``; ``assigned_at`` stamps the others, else their times are
spread deterministically over the 14 days before now (first ids oldest, more on recent days).
Then: ``sim.assigned(account) -> set[str]``,
``sim.assignments(account) -> dict[str, datetime]``, ``sim.candidates(account) -> list[str]``,
``sim.request_count(path_suffix=None, method=None)``, ``sim.requests(path_suffix=None,
method=None) -> list[RecordedRequest]`` and ``sim.last_request(...)`` (a bounded log of method,
path, query, lower-cased headers, parsed body, raw body, status (None when the connection was
dropped), fault id and time), ``sim.token_count`` (access tokens issued), ``sim.login_count``,
``sim.refused_login_count``, ``sim.stats()``, ``sim.reset_counters()``. Control routes are
never counted, logged or faulted.

Clock and tokens: ``sim.expire_tokens()`` expires every issued access and session token at
once (static M2M tokens stay valid); ``sim.advance_time(seconds)`` moves the simulator's clock
forward (tokens age without waiting); ``sim.unlock(username=None)`` lifts a login lockout.

Fault injection
===============

``sim.inject(Fault(...)) -> int`` adds a rule (``remove_fault(id)``, ``clear_faults()``,
``active_faults()``). A rule matches on ``method`` (any when None), ``path`` (a suffix of the
path as sent, percent-encoded, without the query: ``"/assign"``, ``"/oauth2/token"``) and
``path_regex`` (``re.search``), fires for the next ``times`` matching requests (default 1;
None: forever), each time with ``probability`` drawn from ``random.Random(seed)``. The first
active rule that fires wins. Effects (combinable where it makes sense):

* ``status=503`` (or 429, 500, ...) with ``retry_after="2"`` (seconds or an HTTP date, sent
  verbatim), ``headers``, and ``body`` (a JSON value; default
  ``{"errorCode": "SERVICE_UNAVAILABLE", "errorMessage": "Simulated fault: ..."}``);
* ``latency=1.5``: wait before answering (then answer normally unless another effect applies);
* ``malformed=`` a status-200 (or ``status``) body that is not the model:
  ``"invalid_json"``, ``"html"`` (an HTML error page), ``"empty"``, ``"truncated_json"``, or
  ``"yaml"`` (``text/plain`` with a YAML-looking body);
* ``raw_body=b'{"py/reduce": [...]}'``: exactly these bytes (``content_type`` default
  ``application/json``), e.g. a jsonpickle payload that must never be decoded;
* ``drop="before"``: close the connection without an answer and without applying the
  request; ``drop="after"``: apply it (state changes), then close without an answer;
* ``expire_tokens=True``: expire every token before handling the request.

A replacing answer (status, body, raw_body, malformed) leaves state untouched unless
``apply=True``, which applies the request first (a ``truncated_json`` answer then cuts the real
body in half).

Control routes (JSON, under ``/api/_sim``; disabled by ``control_routes=False``)
---------------------------------------------------------------------------------

* ``POST /faults`` with a ``Fault`` as JSON (same field names; ``raw_body`` as text) → 201
  ``{"id"}``; ``GET /faults`` → ``{"faults": [...]}``; ``DELETE /faults`` → ``{"cleared"}``;
  ``DELETE /faults/{id}``.
* ``POST /expire-tokens`` → ``{"expired": {"accessTokens", "sessionTokens"}}``;
  ``POST /advance-time`` ``{"seconds"}``; ``POST /unlock`` ``{"username"?}``.
* ``GET /stats`` → requests, tokensIssued, logins, refusedLogins, lockedUsers, accounts,
  activeFaults; ``POST /reset-counters``; ``GET /requests?limit=N``.
* ``GET /accounts/{account}`` → pool and counts plus ``assignedDevices`` and
  ``candidateDevices``; ``POST /accounts/{account}`` ``{"pool", "assigned": [...] |
  "assigned_range": [start, stop], "candidates"}`` seeds it.
"""

from verizon_sdk.simulator._cli import main
from verizon_sdk.simulator._faults import Drop, Fault, Malformed
from verizon_sdk.simulator._options import SimulatorOptions
from verizon_sdk.simulator._records import RecordedRequest
from verizon_sdk.simulator._simulator import Simulator

__all__ = [
    "Drop",
    "Fault",
    "Malformed",
    "RecordedRequest",
    "Simulator",
    "SimulatorOptions",
    "main",
]
