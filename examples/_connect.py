"""Shared by the examples: a client for production when credentials are set, else a simulator."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from verizon_sdk import VerizonClient
from verizon_sdk.simulator import Simulator

ACCOUNT = os.environ.get("VERIZON_ACCOUNT", "0000123456-00001")
DEMO_FLEET = [f"99000342573{n:04d}" for n in range(1200)]


@contextmanager
def connect() -> Iterator[VerizonClient]:
    """``VerizonClient.from_environment()`` if ``VERIZON_CLIENT_ID`` is set, else a simulator."""
    if os.environ.get("VERIZON_CLIENT_ID"):
        with VerizonClient.from_environment() as client:
            yield client
        return
    with Simulator(max_page_size=250, pool_size=2000) as sim:
        sim.seed(ACCOUNT, pool=2000, assigned=[*DEMO_FLEET[:900], "990009999999999"])
        print(f"(no VERIZON_CLIENT_ID set: using a local simulator at {sim.url})")
        with sim.client() as client:
            yield client
