"""The exported names are exactly what ``__all__`` says, and they import."""

from __future__ import annotations

import importlib
import inspect

import pytest


@pytest.mark.parametrize(
    "module_name",
    [
        "verizon_sdk",
        "verizon_sdk.models",
        "verizon_sdk.exceptions",
        "verizon_sdk.controllers",
    ],
)
def test_all_matches_public_names(module_name: str) -> None:
    module = importlib.import_module(module_name)
    exported = set(module.__all__)
    public = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and (inspect.isclass(value) or inspect.isfunction(value) or isinstance(value, dict))
        and getattr(value, "__module__", module_name).startswith(("verizon_sdk", "apimatic"))
    }
    assert public <= exported | {"annotations"}
    for name in exported:
        assert hasattr(module, name), name


def test_every_model_and_exception_is_exported() -> None:
    models = importlib.import_module("verizon_sdk.models")
    exceptions = importlib.import_module("verizon_sdk.exceptions")
    expected_models = {
        "V2LicenseIMEI", "V3LicenseIMEI", "V2LicensesAssignedRemovedResult", "V2DeviceStatus",
        "V3LicenseAssignedRemovedResult", "V3DeviceStatus", "V2LicenseSummary", "V2LicenseDevice",
        "V3LicenseSummary", "V3LicenseDevice", "V2ListOfLicensesToRemoveRequest",
        "V2ListOfLicensesToRemoveResult", "V2ListOfLicensesToRemove", "FotaV2SuccessResult",
    }  # fmt: skip
    assert expected_models <= set(models.__all__)
    for name in exceptions.__all__:
        value = getattr(exceptions, name)
        if inspect.isclass(value):
            assert issubclass(value, (exceptions.APIException, ValueError)), name
