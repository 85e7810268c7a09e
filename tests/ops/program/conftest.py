"""The checks `ops preflight` runs read the program's mocked stacks (tests/components), not
the moto outputs stack of tests/ops: these fixtures take their names here."""

from tests.components.conftest import dev, prod, stack

__all__ = ["dev", "prod", "stack"]
