"""Each stack's graph is built once per test session: the program runs under mocks twice."""

import pytest

from tests.infra.mockstack import MockedStack, run_stack

STACKS = ("dev", "prod")
_built: dict[str, MockedStack] = {}


def built(stack: str) -> MockedStack:
    if stack not in _built:
        _built[stack] = run_stack(stack)
    return _built[stack]


@pytest.fixture(params=STACKS)
def stack(request: pytest.FixtureRequest) -> MockedStack:
    """The recorded graph of each stack in turn (tests using it run for dev and prod)."""
    return built(request.param)


@pytest.fixture
def dev() -> MockedStack:
    return built("dev")


@pytest.fixture
def prod() -> MockedStack:
    return built("prod")
