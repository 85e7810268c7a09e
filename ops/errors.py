"""The one exception the CLI turns into a clear message and a non-zero exit, never a traceback."""


class OpsError(Exception):
    """An expected failure (missing outputs, unknown provider, AWS refusal) with what to do."""
