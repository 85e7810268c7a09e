"""`make bench`: speed and cost of the pipeline, each figure next to its comparator.

Every figure is measured in one run on one machine and reported as a median with its spread and
its ratio to a comparator measured in the same run, because absolute times on a shared machine are
noisy. Nothing here asserts a target: the report says which targets are met.
"""

# The handlers import each other as top-level modules, as in the Lambda runtime; `components`
# puts their directory on the path.
from hookgate import HANDLERS_DIR as HANDLERS

__all__ = ["HANDLERS"]
