"""The local stack's one error type."""


class LocalStackError(Exception):
    """The local stack cannot start: the message names the resource, key or file."""
