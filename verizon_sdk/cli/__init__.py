"""``verizon-licenses``: the license workflow from a shell.

Credentials come from the ``VERIZON_*`` environment variables (see
:meth:`VerizonClient.from_environment`); no secret is ever taken as a flag.

Exit codes: 0 success; 1 some devices failed, were not attempted or are unknown
(listed); 2 usage or validation error; 3 authentication, API or network error;
130 interrupted.

One module per command group: ``_status`` (status), ``_licenses`` (assign, remove),
``_candidates`` (the V2 cancellation candidates); ``_bulk_output`` prints and saves a bulk
result for every command that runs one; ``_main`` builds the parser and dispatches.
"""

from __future__ import annotations

from verizon_sdk.cli._main import build_parser, main

__all__ = ["build_parser", "main"]
