"""What text may travel in an HTTP header as it is."""

from __future__ import annotations

import re

#: A token: printable ASCII, no spaces.
HEADER_SAFE = re.compile(r"[!-~]+")
#: A header value: printable ASCII, inner spaces allowed, none leading or trailing.
HEADER_TEXT = re.compile(r"[!-~](?:[ -~]*[!-~])?")
