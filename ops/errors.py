"""The one exception the CLI turns into a clear message and a non-zero exit, never a traceback."""


class OpsError(Exception):
    """An expected failure (missing outputs, unknown provider, AWS refusal) with what to do."""


# How an endpoint answers an action it does not have: AWS's JSON and query protocols, and a bare
# HTTP 500/501 page (moto server's answer), which botocore can only report by its status code.
# AWS's own `UnsupportedOperation` is not in the list: it is a real refusal, reported as such.
UNIMPLEMENTED_CODES = {
    "UnknownOperationException",
    "InvalidAction",
    "NotImplemented",
    "500",
    "501",
}
