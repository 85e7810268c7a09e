"""`make drill`: the reliability drill against the local stack (see `drill.__main__`)."""

# The handlers' `webhooks` package (the scheme registry) is importable once `components` has put
# `hookgate/handlers/` on the path; importing it costs no Pulumi import.
import hookgate  # noqa: F401
