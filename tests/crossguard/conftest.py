"""The mocked stacks of tests/infra (built once per session), for the policy tests."""

from tests.infra.conftest import dev, prod, stack

__all__ = ["dev", "prod", "stack"]
