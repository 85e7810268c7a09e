"""Each stack's graph is built once per test session: the program runs under mocks twice."""

import pytest

from tests.components.mockstack import MockedStack, built_stack

STACKS = ("dev", "prod")


@pytest.fixture(params=STACKS)
def stack(request: pytest.FixtureRequest) -> MockedStack:
    """The recorded graph of each stack in turn (tests using it run for dev and prod)."""
    return built_stack(request.param)


@pytest.fixture
def dev() -> MockedStack:
    return built_stack("dev")


@pytest.fixture
def prod() -> MockedStack:
    return built_stack("prod")
