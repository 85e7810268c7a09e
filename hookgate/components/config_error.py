"""The program's one config error, and how it spells a config key (`webhooks:section.key`).

Its own module so that every settings module (components/settings.py, the config table it
declares its keys with, components/config_table.py, and the sections it delegates to
components/subscribers.py and components/http_settings.py) imports it without an import cycle.
"""

from __future__ import annotations

from typing import Any

import pulumi

NAMESPACE = "webhooks"


class ConfigError(pulumi.RunError, ValueError):
    """A config value that cannot be deployed: names the key, the value and what is allowed.

    A `RunError`, so `pulumi preview`/`up` print the message alone, without a stack trace.
    """

    def __init__(self, key: str, value: Any, allowed: str) -> None:
        self.key = key
        self.value = value
        self.allowed = allowed
        problem = "is not set" if value is None else f"= {value!r} is not allowed"
        super().__init__(f"{key} {problem}; allowed: {allowed}")


def setting_key(*parts: str) -> str:
    """The key as a user writes it: `setting_key("queue", "maxReceiveCount")` is
    `webhooks:queue.maxReceiveCount`."""
    return f"{NAMESPACE}:" + ".".join(parts)
