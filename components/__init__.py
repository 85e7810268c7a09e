"""Pulumi components of the webhook pipeline, one per module, plus the stack settings.

The handlers' package `webhooks` (in `handlers/`, the deployment package's root) is made
importable here, so the program validates and renders the functions' settings with the
handlers' own classes and scheme registry: one owner for each contract.
"""

import sys
from pathlib import Path

HANDLERS_DIR = Path(__file__).resolve().parent.parent / "handlers"
if str(HANDLERS_DIR) not in sys.path:
    sys.path.append(str(HANDLERS_DIR))
