"""The mocked stacks of tests/components (built once per session), for the policy tests."""

from tests.components.conftest import dev, prod, stack

__all__ = ["dev", "prod", "stack"]
