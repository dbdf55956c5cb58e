"""Errors raised before any request is sent."""

from __future__ import annotations


class ValidationError(ValueError):
    """An argument failed validation; nothing was sent.

    ``parameter`` names the offending argument, as the caller spelled it
    (``"acc"``, ``"body.device_list[3]"``).
    """

    def __init__(self, parameter: str, message: str) -> None:
        self.parameter = parameter
        self.message = message
        super().__init__(f"{parameter}: {message}")

    def __reduce__(self) -> tuple[type[ValidationError], tuple[str, str]]:
        return (type(self), (self.parameter, self.message))


class InvalidTypeError(ValidationError, TypeError):
    """An argument has the wrong type; nothing was sent."""


class ConfigurationError(ValueError):
    """The client configuration is invalid."""
