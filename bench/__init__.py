"""`make bench`: speed and cost of the pipeline, each figure next to its comparator.

Every figure is measured in one run on one machine and reported as a median with its spread and
its ratio to a comparator measured in the same run, because absolute times on a shared machine are
noisy. Nothing here asserts a target: the report says which targets are met.
"""

import sys
from pathlib import Path

# The handlers import each other as top-level modules, as in the Lambda runtime.
HANDLERS = Path(__file__).resolve().parent.parent / "handlers"
if str(HANDLERS) not in sys.path:
    sys.path.insert(0, str(HANDLERS))
