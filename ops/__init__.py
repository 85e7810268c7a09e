"""Operator CLI of the webhook pipeline: `python -m ops --help`.

It only reads a stack's outputs (a local stack's `.local/outputs.json` or
`pulumi stack output --json --show-secrets`), so the same commands drive the local stack and a
real one.
"""

# The handlers' `webhooks` package (stored items are read with its code) is importable once
# `components` has put `hookgate/handlers/` on the path; importing it costs no Pulumi import.
import hookgate  # noqa: F401
