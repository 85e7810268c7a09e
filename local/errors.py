"""The local stack's one error type."""


class LocalStackError(Exception):
    """The local stack cannot start: the message names the resource, key or file."""


class LocalConfigError(LocalStackError):
    """The stack's config is invalid: the program's own `ConfigError` message, word for word."""
