"""Every error the SDK raises.

The tree::

    Exception
    ├── APIException                    root of everything that happened on (or to) a call
    │   ├── APIConnectionError          no HTTP response: refused, reset, dropped, DNS, TLS
    │   │   └── APITimeoutError         connect or read timeout, or the attempt's deadline
    │   ├── ResponseTooLargeError       a body larger than max_response_bytes (decoded)
    │   ├── UnexpectedResponseError     2xx whose body is not the JSON object expected
    │   │   └── PaginationError         pages that do not add up (a cycle, no cursor ...)
    │   ├── APIStatusError              any non-2xx response (response_code, body, headers)
    │   │   ├── FotaV2ResultException   400 from a Software Management V2 endpoint
    │   │   ├── FotaV3ResultException   400 from a Software Management V3 endpoint
    │   │   ├── AuthenticationError     401 (after one token refresh and replay)
    │   │   │   └── TokenRequestError   the token endpoint or M2M login refused or failed
    │   │   │       └── LoginRefusedError  M2M session login refused (never retried)
    │   │   ├── PermissionDeniedError   403
    │   │   ├── NotFoundError           404
    │   │   ├── RateLimitError          429 (retry_after carries the requested wait)
    │   │   └── ServerError             5xx
    └── ValueError
        ├── ValidationError             bad input, raised before any request is sent
        │   └── InvalidTypeError        ... of the wrong type (also a TypeError)
        └── ConfigurationError          bad client configuration, raised at construction

Status to class (the one table; ``STATUS_ERRORS`` holds it in code):

======  ==================================================
status  class
======  ==================================================
400     FotaV2ResultException / FotaV3ResultException
401     AuthenticationError
403     PermissionDeniedError
404     NotFoundError
429     RateLimitError
5xx     ServerError
other   APIStatusError
======  ==================================================
"""

from verizon_sdk.exceptions.api_exception import (
    STATUS_ERRORS,
    APIConnectionError,
    APIException,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    LoginRefusedError,
    NotFoundError,
    PaginationError,
    PermissionDeniedError,
    RateLimitError,
    ResponseTooLargeError,
    ServerError,
    TokenRequestError,
    UnexpectedResponseError,
)
from verizon_sdk.exceptions.fota_v2_result_exception import FotaV2ResultException
from verizon_sdk.exceptions.fota_v3_result_exception import FotaV3ResultException
from verizon_sdk.exceptions.validation_error import (
    ConfigurationError,
    InvalidTypeError,
    ValidationError,
)

__all__ = [
    "STATUS_ERRORS",
    "APIConnectionError",
    "APIException",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "ConfigurationError",
    "FotaV2ResultException",
    "FotaV3ResultException",
    "InvalidTypeError",
    "LoginRefusedError",
    "NotFoundError",
    "PaginationError",
    "PermissionDeniedError",
    "RateLimitError",
    "ResponseTooLargeError",
    "ServerError",
    "TokenRequestError",
    "UnexpectedResponseError",
    "ValidationError",
]
