"""The provider contract against the in-memory fake (its Docker half is in tests/engine/)."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest

from tests.fake_provider import FakeProvider
from tests.provider_contract import ProviderContract


class TestFakeProvider(ProviderContract):
    @pytest.fixture(scope="class")
    @classmethod
    def provider(cls) -> FakeProvider:
        return FakeProvider()

    @pytest.fixture(scope="class")
    @classmethod
    def new_cluster_id(cls) -> Callable[[], str]:
        counter = itertools.count()
        return lambda: f"contract-{next(counter)}"
