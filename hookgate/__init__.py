"""hookgate: a verified, durable, exactly-once webhook gateway on AWS, as Pulumi components.

`hookgate.components` holds the Pulumi components and the stack settings; `hookgate/handlers/`
is the functions' deployment package (its root holds the handler modules and the `webhooks`
package they import). That root is made importable here, so the program validates and renders
the functions' settings with the handlers' own classes and scheme registry: one owner for each
contract. Importing this package imports no Pulumi.
"""

import sys
from pathlib import Path

HANDLERS_DIR = Path(__file__).resolve().parent / "handlers"
if str(HANDLERS_DIR) not in sys.path:
    sys.path.append(str(HANDLERS_DIR))
