"""hookgate: a verified, durable, exactly-once webhook gateway on AWS, as Pulumi components.

`hookgate.components` holds the Pulumi components and the stack settings; `hookgate/handlers/`
is the functions' deployment package (its root holds the handler modules and the `webhooks`
package they import). That root is made importable here, so the program validates and renders
the functions' settings with the handlers' own classes and scheme registry: one owner for each
contract. Importing this package imports no Pulumi.

The functions import their package as the top-level `webhooks` (Lambda runs the package root),
so a program of yours with a module of that name cannot use hookgate: importing it then stops
with an error naming both, rather than mixing your module with the functions' code.
"""

import importlib.util
import sys
from pathlib import Path

HANDLERS_DIR = Path(__file__).resolve().parent / "handlers"
RUNTIME_PACKAGE = "webhooks"
"""The functions' top-level package, in `HANDLERS_DIR`."""

if str(HANDLERS_DIR) not in sys.path:
    sys.path.append(str(HANDLERS_DIR))
_found = importlib.util.find_spec(RUNTIME_PACKAGE)
_origin = Path(_found.origin).resolve() if _found and _found.origin else None
if _origin is None or HANDLERS_DIR not in _origin.parents:
    raise ImportError(
        f"hookgate's functions import their package as the top-level `{RUNTIME_PACKAGE}`,"
        f" but `import {RUNTIME_PACKAGE}` finds {_origin or 'a namespace package'} first:"
        f" rename your module of that name (hookgate's is {HANDLERS_DIR / RUNTIME_PACKAGE})"
    )
