"""An emulator per test on a free loopback port, and a real stripe client pointed at it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import stripe

from bot.sandbox.stripe import StripeEmulator

API_KEY = "sk_test_emulator"


def client_for(emu: StripeEmulator, **options: object) -> stripe.StripeClient:
    return stripe.StripeClient(
        API_KEY,
        base_addresses={"api": emu.url, "connect": emu.url, "files": emu.url},
        max_network_retries=0,
        **options,  # type: ignore[arg-type]
    )


@pytest.fixture
def emu() -> Iterator[StripeEmulator]:
    emulator = StripeEmulator(api_key=API_KEY).start()
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def client(emu: StripeEmulator) -> stripe.StripeClient:
    return client_for(emu)


@pytest.fixture
def http(emu: StripeEmulator) -> Iterator[httpx.Client]:
    """Plain HTTP, for tests about the wire itself or for acting as a person on the hosted pages."""
    with httpx.Client(base_url=emu.url, follow_redirects=False, trust_env=False) as session:
        yield session


@pytest.fixture
def auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {API_KEY}"}
