"""Typed, validated settings of one stack, built once from the `webhooks:` config namespace.

`parse_settings` is pure (plain dicts in, dataclasses out) so every rule is testable without
Pulumi; `load_settings` is the only place that reads `pulumi.Config`. Defaults are the
production values; a stack file holds only what differs (docs/configuration.md).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import pulumi

from hookgate.components import naming
from hookgate.components.config_error import NAMESPACE, ConfigError, setting_key
from hookgate.components.function_url import KINDS as API_KINDS
from hookgate.components.subscribers import SubscriberSettings, read_subscribers
from webhooks import providers as handler_providers
from webhooks import schemes
from webhooks.batch import WORST_CASE_WRITE_SECONDS, largest_batch
from webhooks.environ import DEFAULT_LOG_LEVEL, DEFAULT_METRICS_NAMESPACE, LOG_LEVELS
from webhooks.ingest_settings import (
    DEFAULT_INLINE_BODY_LIMIT,
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_SECRETS_REFRESH_SECONDS,
)
from webhooks.process_settings import DEFAULT_WRITE_CONCURRENCY, MAX_WRITE_CONCURRENCY
from webhooks.schemes import OptionError, config_key

ENVIRONMENTS = ("dev", "prod")
# CloudWatch Logs PutRetentionPolicy accepts only these values (API reference, retentionInDays).
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
)  # fmt: skip
# Documented AWS limits the settings are checked against.
LAMBDA_MEMORY_MB = (128, 10240)
LAMBDA_TIMEOUT_SECONDS = (1, 900)
API_INTEGRATION_TIMEOUT_SECONDS = 29  # HTTP API integrations time out after 30 s
MAX_BODY_BYTES = 4 * 1024 * 1024  # 6 MB invoke payload, base64 inflates bodies by 4/3
MAX_INLINE_BODY_LIMIT = 240 * 1024  # envelope must stay under 256 KiB per SQS message
SQS_RETENTION_SECONDS = (60, 1_209_600)
SQS_VISIBILITY_TIMEOUT_MAX = 43_200
VISIBILITY_TO_TIMEOUT_RATIO = 6  # AWS guidance for SQS event sources
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DOMAIN_NAME = re.compile(r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")
CERTIFICATE_ARN = re.compile(r"arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[0-9a-f-]{1,64}")
HOSTED_ZONE_ID = re.compile(r"Z[A-Z0-9]{1,31}")


@dataclass(frozen=True)
class ProviderSettings:
    """One sender: its route name, signature scheme, signing secrets and options.

    `options` are validated by the scheme registry, which the ingest function validates
    `PROVIDERS` with too; they hold what differs from the scheme's defaults (snake_case).
    """

    name: str
    scheme: str
    secrets: tuple[str, ...]
    options: Mapping[str, object]
    renamed_from: str | None = None
    """`renamedFrom`: the provider's former name, whose secret it keeps (docs/deploying.md)."""
    secret_generation: int = 1
    """`secretGeneration`: above 1, a new secret name, e.g. to re-add a provider whose former
    secret is still scheduled for deletion (docs/deploying.md, "Provider lifecycle")."""

    def handler_options(self) -> dict[str, object]:
        """The `PROVIDERS` entry without `secret_arn`: the scheme and its options."""
        return {"scheme": self.scheme, **self.options}

    @property
    def secret_path(self) -> str:
        """The secret's name below the stack's prefix: `<provider>`, the former name after a
        rename, `/<generation>` appended above generation 1."""
        base = self.renamed_from or self.name
        return base if self.secret_generation == 1 else f"{base}/{self.secret_generation}"


@dataclass(frozen=True)
class IngestSettings:
    timeout_seconds: int = 10
    memory_mb: int = 256
    reserved_concurrency: int | None = None
    # The handler knobs default as the handler does (webhooks.*_settings own the defaults).
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    inline_body_limit: int = DEFAULT_INLINE_BODY_LIMIT
    secrets_refresh_seconds: int = DEFAULT_SECRETS_REFRESH_SECONDS


@dataclass(frozen=True)
class ProcessorSettings:
    timeout_seconds: int = 30
    memory_mb: int = 256
    batch_size: int = 10
    batching_window_seconds: int = 0
    maximum_concurrency: int = 10
    reserved_concurrency: int | None = None
    write_concurrency: int = DEFAULT_WRITE_CONCURRENCY


@dataclass(frozen=True)
class QueueSettings:
    visibility_timeout_seconds: int
    retention_seconds: int = 4 * 24 * 3600
    dlq_retention_seconds: int = 14 * 24 * 3600
    max_receive_count: int = 5


@dataclass(frozen=True)
class TableSettings:
    event_ttl_days: int = 30
    point_in_time_recovery: bool = True
    deletion_protection: bool = True


@dataclass(frozen=True)
class LogSettings:
    retention_days: int = 90
    level: str = DEFAULT_LOG_LEVEL


@dataclass(frozen=True)
class ApiSettings:
    throttling_rate_limit: int = 100
    throttling_burst_limit: int = 200
    # A stable URL: the custom domain and either its certificate or the zone to validate one in.
    domain_name: str | None = None
    certificate_arn: str | None = None
    hosted_zone_id: str | None = None
    # The front door (components/function_url.py): `httpApi` or `functionUrl`.
    kind: str = "httpApi"
    # Off only when asked: adding a domain leaves the execute-api URL serving the senders that
    # still use it until they have moved (docs/deploying.md, "Moving senders to a domain").
    disable_execute_api_endpoint: bool = False


@dataclass(frozen=True)
class AlarmSettings:
    email: str | None = None
    oldest_message_age_seconds: int = 300
    processor_errors: int = 1
    processor_throttles: int = 1
    record_failures: int = 1
    ingest_errors: int = 1
    api_5xx_errors: int = 1
    period_seconds: int = 300


@dataclass(frozen=True)
class ArchiveSettings:
    # Unset, it follows the retention rule (`_retention`): 30-day TTL + 4-day queue + 14-day DLQ.
    expiration_days: int = 48
    """Days after which archived bodies expire; 0 keeps them forever."""
    force_destroy: bool = False


@dataclass(frozen=True)
class Settings:
    """Everything the pipeline needs, already validated."""

    profile: str
    """`dev` or `prod` (the `environment` config key): the defaults and protections it picks."""
    stack: str
    """The Pulumi stack's name: resources, metrics and secrets are named after it."""
    providers: tuple[ProviderSettings, ...]
    ingest: IngestSettings
    processor: ProcessorSettings
    queue: QueueSettings
    table: TableSettings
    logs: LogSettings
    api: ApiSettings
    alarms: AlarmSettings
    archive: ArchiveSettings
    metrics_namespace: str = DEFAULT_METRICS_NAMESPACE
    # Who receives the published events (components/subscribers.py).
    subscribers: tuple[SubscriberSettings, ...] = ()

    # The `secrets` config as Pulumi read it (`get_secret_object`): what reaches Secrets Manager.
    secret_values: pulumi.Input[Mapping[str, Any]] = field(default_factory=dict)

    def name(self, part: str, limit: int = naming.LAMBDA_FUNCTION) -> str:
        """Physical name of a regional resource, e.g. `webhooks-queue-dev` (components/naming)."""
        return naming.regional(part, self.stack, limit)

    @property
    def secret_recovery_window_days(self) -> int:
        """dev deletes secrets at once, so a destroyed dev stack can be recreated under the same
        names; prod keeps them recoverable for AWS's maximum of 30 days."""
        return 0 if self.profile == "dev" else 30

    @property
    def tags(self) -> dict[str, str]:
        return {"app": NAMESPACE, "environment": self.profile, "managed-by": "pulumi"}


# ---- validation helpers (pure) ----


def _section(raw: Mapping[str, Any], name: str, known: tuple[str, ...]) -> dict[str, Any]:
    """An optional object-valued key; unknown members are typos and fail."""
    value = raw.get(name)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(setting_key(name), value, f"an object with keys {', '.join(known)}")
    for member in value:
        if member not in known:
            raise ConfigError(
                setting_key(name, member), value[member], f"known keys: {', '.join(known)}"
            )
    return dict(value)


def _int(
    section: Mapping[str, Any], key: str, default: int, low: int, high: int | None = None
) -> int:
    """An integer from `low` to `high` (no upper bound when None); `default` when unset."""
    value = section.get(key.rsplit(".", 1)[-1], default)
    bounds = f"an integer from {low} to {high}"
    if high is None:
        bounds = f"an integer of at least {low}"
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(setting_key(key), value, bounds)
    if value < low or (high is not None and value > high):
        raise ConfigError(setting_key(key), value, bounds)
    return value


def _optional_int(section: Mapping[str, Any], key: str, low: int, high: int) -> int | None:
    """`_int` for a key without a default: None when unset."""
    if section.get(key.rsplit(".", 1)[-1]) is None:
        return None
    return _int(section, key, low, low, high)


def _bool(section: Mapping[str, Any], key: str, default: bool) -> bool:
    value = section.get(key.rsplit(".", 1)[-1], default)
    if not isinstance(value, bool):
        raise ConfigError(setting_key(key), value, "true or false")
    return value


def _choice(value: Any, key: str, allowed: tuple[Any, ...]) -> Any:
    if value not in allowed:
        raise ConfigError(setting_key(key), value, f"one of {', '.join(map(str, allowed))}")
    return value


def _text(section: Mapping[str, Any], key: str) -> str | None:
    value = section.get(key.rsplit(".", 1)[-1])
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(setting_key(key), value, "a non-empty string")
    return value


# ---- sections ----


# A provider's keys that are not scheme options: where its secret lives (docs/deploying.md).
LIFECYCLE_KEYS = ("renamedFrom", "secretGeneration")
MAX_SECRET_GENERATION = 999


def _lifecycle(name: str, options: Mapping[str, Any]) -> tuple[str | None, int]:
    """`renamedFrom` and `secretGeneration` of provider `name`, validated."""
    base = f"providers.{name}"
    renamed = options.get("renamedFrom")
    if renamed is not None and (not handler_providers.is_name(renamed) or renamed == name):
        raise ConfigError(
            setting_key(base, "renamedFrom"),
            renamed,
            f"the provider's former name ({handler_providers.NAME_RULE}), not its own",
        )
    generation = _int(options, f"{base}.secretGeneration", 1, 1, MAX_SECRET_GENERATION)
    return renamed, generation


def _provider(name: str, options: Any, secrets: tuple[str, ...]) -> ProviderSettings:
    """Validated through the scheme registry: the rules the ingest function applies too."""
    base = f"providers.{name}"
    if not isinstance(options, Mapping):
        raise ConfigError(setting_key(base), options, "an object with at least `scheme`")
    renamed, generation = _lifecycle(name, options)
    options = {k: v for k, v in options.items() if k not in LIFECYCLE_KEYS}
    scheme = schemes.find(options.get("scheme"))
    if scheme is None:
        raise ConfigError(
            setting_key(base, "scheme"),
            options.get("scheme"),
            f"one of {', '.join(schemes.names())}",
        )
    given = {key: value for key, value in options.items() if key != "scheme"}
    try:
        values = schemes.validate(scheme, given, config_key)
    except OptionError as error:
        raise ConfigError(setting_key(base, error.key), error.value, error.allowed) from None
    for secret in secrets:
        try:
            scheme.validate_secret(secret)
        except ValueError as error:
            raise ConfigError(setting_key("secrets", name), "<secret>", str(error)) from None
    return ProviderSettings(
        name=name,
        scheme=scheme.name,
        secrets=secrets,
        options=scheme.explicit(values),
        renamed_from=renamed,
        secret_generation=generation,
    )


def _secret_values(raw_secrets: Any, name: str) -> tuple[str, ...]:
    """A provider's signing secrets; error messages never echo a secret value."""
    key = setting_key("secrets", name)
    hint = (
        f"set it with `pulumi config set --secret --path 'secrets.{name}' <value>`"
        " (a string, or a list to accept several during rotation)"
    )
    if not isinstance(raw_secrets, Mapping) or raw_secrets.get(name) is None:
        raise ConfigError(key, None, hint)
    value = raw_secrets[name]
    values = [value] if isinstance(value, str) else value
    if (
        not isinstance(values, list)
        or not values
        or not all(isinstance(v, str) and v.strip() for v in values)
    ):
        raise ConfigError(
            key,
            "<secret>",
            "a non-empty string or a list of non-empty strings"
            " (for a secret of digits only, add `--type string` to `pulumi config set`)",
        )
    return tuple(values)


def _providers(raw: Mapping[str, Any]) -> tuple[ProviderSettings, ...]:
    providers = raw.get("providers")
    if not isinstance(providers, Mapping) or not providers:
        raise ConfigError(
            setting_key("providers"), providers, "an object: provider name → {scheme, ...options}"
        )
    secrets = raw.get("secrets") or {}
    if not isinstance(secrets, Mapping):
        raise ConfigError(
            setting_key("secrets"), "<secret>", "an object: provider name → secret(s)"
        )
    for name in secrets:
        if name not in providers:
            raise ConfigError(
                setting_key("secrets", name),
                "<secret>",
                f"no provider {name!r} in {setting_key('providers')}",
            )
    result = []
    for name in sorted(providers):
        if not handler_providers.is_name(name):
            raise ConfigError(
                setting_key("providers", str(name)), name, handler_providers.NAME_RULE
            )
        result.append(_provider(name, providers[name], _secret_values(secrets, name)))
    _check_renames(tuple(result))
    return tuple(result)


def _check_renames(providers: tuple[ProviderSettings, ...]) -> None:
    """A rename moves one secret to one provider: the former name must be gone from the list
    (else two providers would claim one secret) and claimed once."""
    names = {p.name for p in providers}
    claimed: dict[str, str] = {}
    for p in providers:
        if p.renamed_from is None:
            continue
        key = setting_key("providers", p.name, "renamedFrom")
        if p.renamed_from in names:
            raise ConfigError(
                key,
                p.renamed_from,
                f"a provider no longer in {setting_key('providers')}: {p.renamed_from!r} still"
                " is, and keeps its own secret",
            )
        if p.renamed_from in claimed:
            raise ConfigError(
                key,
                p.renamed_from,
                f"a former name no other provider claims ({claimed[p.renamed_from]!r} does)",
            )
        claimed[p.renamed_from] = p.name


def _ingest(raw: Mapping[str, Any]) -> IngestSettings:
    s = _section(
        raw,
        "ingest",
        (
            "timeoutSeconds",
            "memoryMb",
            "reservedConcurrency",
            "maxBodyBytes",
            "inlineBodyLimit",
            "secretsRefreshSeconds",
        ),
    )
    d = IngestSettings()
    return IngestSettings(
        timeout_seconds=_int(
            s, "ingest.timeoutSeconds", d.timeout_seconds, 1, API_INTEGRATION_TIMEOUT_SECONDS
        ),
        memory_mb=_int(s, "ingest.memoryMb", d.memory_mb, *LAMBDA_MEMORY_MB),
        reserved_concurrency=_optional_int(s, "ingest.reservedConcurrency", 1, 10000),
        max_body_bytes=_int(s, "ingest.maxBodyBytes", d.max_body_bytes, 1, MAX_BODY_BYTES),
        inline_body_limit=_int(
            s, "ingest.inlineBodyLimit", d.inline_body_limit, 1, MAX_INLINE_BODY_LIMIT
        ),
        secrets_refresh_seconds=_int(
            s, "ingest.secretsRefreshSeconds", d.secrets_refresh_seconds, 1, 86400
        ),
    )


def _processor(raw: Mapping[str, Any]) -> ProcessorSettings:
    s = _section(
        raw,
        "processor",
        (
            "timeoutSeconds",
            "memoryMb",
            "batchSize",
            "batchingWindowSeconds",
            "maximumConcurrency",
            "reservedConcurrency",
            "writeConcurrency",
        ),
    )
    d = ProcessorSettings()
    settings = ProcessorSettings(
        timeout_seconds=_int(
            s, "processor.timeoutSeconds", d.timeout_seconds, *LAMBDA_TIMEOUT_SECONDS
        ),
        memory_mb=_int(s, "processor.memoryMb", d.memory_mb, *LAMBDA_MEMORY_MB),
        batch_size=_int(s, "processor.batchSize", d.batch_size, 1, 10000),
        batching_window_seconds=_int(
            s, "processor.batchingWindowSeconds", d.batching_window_seconds, 0, 300
        ),
        maximum_concurrency=_int(s, "processor.maximumConcurrency", d.maximum_concurrency, 2, 1000),
        reserved_concurrency=_optional_int(s, "processor.reservedConcurrency", 1, 10000),
        write_concurrency=_int(
            s, "processor.writeConcurrency", d.write_concurrency, 1, MAX_WRITE_CONCURRENCY
        ),
    )
    _check_batch_completes(settings)
    if settings.batch_size > 10 and settings.batching_window_seconds < 1:
        raise ConfigError(
            setting_key("processor.batchingWindowSeconds"),
            settings.batching_window_seconds,
            f"at least 1 when processor.batchSize is above 10 (it is {settings.batch_size})",
        )
    if (
        settings.reserved_concurrency is not None
        and settings.reserved_concurrency < settings.maximum_concurrency
    ):
        raise ConfigError(
            setting_key("processor.reservedConcurrency"),
            settings.reserved_concurrency,
            f"at least processor.maximumConcurrency ({settings.maximum_concurrency}),"
            " or the mapping's pollers are throttled",
        )
    return settings


def _check_batch_completes(settings: ProcessorSettings) -> None:
    """A batch must be written before the process function's deadline at the worst-case write
    time; the records it cannot start go back to the queue and, received again and again,
    healthy ones would reach the DLQ (webhooks.batch.largest_batch, `make bench`)."""
    largest = largest_batch(settings.timeout_seconds, settings.write_concurrency)
    if settings.batch_size > largest:
        raise ConfigError(
            setting_key("processor.batchSize"),
            settings.batch_size,
            f"at most {largest}: the records processor.timeoutSeconds"
            f" ({settings.timeout_seconds}) starts in time with processor.writeConcurrency"
            f" ({settings.write_concurrency}) writes in flight at"
            f" {WORST_CASE_WRITE_SECONDS * 1000:g} ms each",
        )


def _queue(raw: Mapping[str, Any], processor: ProcessorSettings) -> QueueSettings:
    s = _section(
        raw,
        "queue",
        ("visibilityTimeoutSeconds", "retentionSeconds", "dlqRetentionSeconds", "maxReceiveCount"),
    )
    # AWS guidance for SQS event sources: 6 x the function timeout + the batching window.
    minimum = (
        VISIBILITY_TO_TIMEOUT_RATIO * processor.timeout_seconds + processor.batching_window_seconds
    )
    visibility = _int(s, "queue.visibilityTimeoutSeconds", minimum, 0, SQS_VISIBILITY_TIMEOUT_MAX)
    if visibility < minimum:
        raise ConfigError(
            setting_key("queue.visibilityTimeoutSeconds"),
            visibility,
            f"at least {VISIBILITY_TO_TIMEOUT_RATIO} x processor.timeoutSeconds"
            f" ({processor.timeout_seconds}) + processor.batchingWindowSeconds"
            f" ({processor.batching_window_seconds}) = {minimum}"
            " (AWS guidance for SQS event sources)",
        )
    retention = _int(
        s, "queue.retentionSeconds", QueueSettings.retention_seconds, *SQS_RETENTION_SECONDS
    )
    dlq_retention = _int(
        s, "queue.dlqRetentionSeconds", QueueSettings.dlq_retention_seconds, *SQS_RETENTION_SECONDS
    )
    if dlq_retention <= retention:
        raise ConfigError(
            setting_key("queue.dlqRetentionSeconds"),
            dlq_retention,
            f"above queue.retentionSeconds ({retention}): SQS keeps a message's original"
            " enqueue time, so a DLQ that keeps less drops redriven messages",
        )
    return QueueSettings(
        visibility_timeout_seconds=visibility,
        retention_seconds=retention,
        dlq_retention_seconds=dlq_retention,
        max_receive_count=_int(
            s, "queue.maxReceiveCount", QueueSettings.max_receive_count, 1, 1000
        ),
    )


def _table(raw: Mapping[str, Any]) -> TableSettings:
    s = _section(raw, "table", ("eventTtlDays", "pointInTimeRecovery", "deletionProtection"))
    d = TableSettings()
    return TableSettings(
        event_ttl_days=_int(s, "table.eventTtlDays", d.event_ttl_days, 0, 36500),
        point_in_time_recovery=_bool(s, "table.pointInTimeRecovery", d.point_in_time_recovery),
        deletion_protection=_bool(s, "table.deletionProtection", d.deletion_protection),
    )


def _logs(raw: Mapping[str, Any]) -> LogSettings:
    s = _section(raw, "logs", ("retentionDays", "level"))
    d = LogSettings()
    return LogSettings(
        retention_days=_choice(
            s.get("retentionDays", d.retention_days), "logs.retentionDays", LOG_RETENTION_DAYS
        ),
        level=_choice(s.get("level", d.level), "logs.level", LOG_LEVELS),
    )


def _pattern(
    section: Mapping[str, Any], key: str, pattern: re.Pattern[str], what: str
) -> str | None:
    value = section.get(key.rsplit(".", 1)[-1])
    if value is not None and (not isinstance(value, str) or not pattern.fullmatch(value)):
        raise ConfigError(setting_key(key), value, what)
    return value


def _api(raw: Mapping[str, Any]) -> ApiSettings:
    s = _section(
        raw,
        "api",
        (
            "throttlingRateLimit",
            "throttlingBurstLimit",
            "domainName",
            "certificateArn",
            "hostedZoneId",
            "kind",
            "disableExecuteApiEndpoint",
        ),
    )
    d = ApiSettings()
    domain = _pattern(
        s, "api.domainName", DOMAIN_NAME, "a lower-case DNS name, e.g. hooks.example.com"
    )
    certificate = _pattern(
        s,
        "api.certificateArn",
        CERTIFICATE_ARN,
        "an ACM certificate ARN in the stack's region (arn:aws:acm:<region>:<account>:"
        "certificate/<id>) covering api.domainName",
    )
    zone = _pattern(
        s, "api.hostedZoneId", HOSTED_ZONE_ID, "a Route 53 hosted zone id, e.g. Z0123ABC"
    )
    if domain is None and (certificate or zone):
        key, value = ("certificateArn", certificate) if certificate else ("hostedZoneId", zone)
        raise ConfigError(setting_key("api", key), value, "only together with api.domainName")
    if domain is not None and (certificate is None) == (zone is None):
        raise ConfigError(
            setting_key("api.domainName"),
            domain,
            "with exactly one of api.certificateArn (an existing certificate) or"
            " api.hostedZoneId (the program requests one and validates it in that zone)"
            + (", not both" if certificate else ""),
        )
    kind = _choice(s.get("kind", d.kind), "api.kind", API_KINDS)
    if kind == "functionUrl":
        _check_function_url(s)
        s = {key: value for key, value in s.items() if value is not None}
    disable = _bool(s, "api.disableExecuteApiEndpoint", d.disable_execute_api_endpoint)
    if disable and domain is None:
        raise ConfigError(
            setting_key("api.disableExecuteApiEndpoint"),
            disable,
            "false (or unset) without api.domainName: the execute-api URL is then the only"
            " URL the senders have",
        )
    return ApiSettings(
        kind=kind,
        throttling_rate_limit=_int(s, "api.throttlingRateLimit", d.throttling_rate_limit, 1, None),
        throttling_burst_limit=_int(
            s, "api.throttlingBurstLimit", d.throttling_burst_limit, 0, None
        ),
        domain_name=domain,
        certificate_arn=certificate,
        hosted_zone_id=zone,
        disable_execute_api_endpoint=disable,
    )


def _check_function_url(api: Mapping[str, Any]) -> None:
    """A function URL has no custom domain (that takes CloudFront) and no stage throttling."""
    if api.get("domainName") is not None:
        raise ConfigError(
            setting_key("api.domainName"),
            api["domainName"],
            "unset with api.kind functionUrl (a function URL carries no custom domain without"
            " CloudFront); use api.kind httpApi for a custom domain",
        )
    for key in ("throttlingRateLimit", "throttlingBurstLimit"):
        if api.get(key) is not None:
            raise ConfigError(
                setting_key("api", key),
                api[key],
                "unset with api.kind functionUrl: ingest.reservedConcurrency throttles it",
            )


def _burst(api: ApiSettings, ingest: IngestSettings, raw: Mapping[str, Any]) -> ApiSettings:
    """The stage's burst never exceeds what the ingest function's reserved concurrency serves.

    Each request of a burst holds one ingest function while it runs; beyond the reservation
    Lambda throttles them and the API answers 5xx (the `api-5xx` alarm) instead of the 429 a
    sender retries politely. Unset, the burst is the default capped at the reservation.
    """
    reserved = ingest.reserved_concurrency
    if api.kind != "httpApi" or reserved is None or api.throttling_burst_limit <= reserved:
        return api
    given = isinstance(raw.get("api"), Mapping) and "throttlingBurstLimit" in raw["api"]
    if not given:
        return replace(api, throttling_burst_limit=reserved)
    raise ConfigError(
        setting_key("api.throttlingBurstLimit"),
        api.throttling_burst_limit,
        f"at most ingest.reservedConcurrency ({reserved}): each request of a burst holds an"
        " ingest function, and the ones beyond its reserved concurrency are throttled and"
        " answered 5xx; raise ingest.reservedConcurrency or lower the burst",
    )


def _check_front_door(api: ApiSettings, ingest: IngestSettings) -> None:
    """`functionUrl` is throttled by the ingest function's reserved concurrency alone."""
    if api.kind == "functionUrl" and ingest.reserved_concurrency is None:
        raise ConfigError(
            setting_key("ingest.reservedConcurrency"),
            None,
            "an integer of at least 1 with api.kind functionUrl: the function URL has no"
            " throttling of its own, so the reserved concurrency bounds what senders can start",
        )


def _alarms(raw: Mapping[str, Any]) -> AlarmSettings:
    s = _section(
        raw,
        "alarms",
        (
            "email",
            "oldestMessageAgeSeconds",
            "processorErrors",
            "processorThrottles",
            "recordFailures",
            "ingestErrors",
            "api5xxErrors",
            "periodSeconds",
        ),
    )
    email = s.get("email")
    if email is not None and (not isinstance(email, str) or not EMAIL.match(email)):
        raise ConfigError(setting_key("alarms.email"), email, "an e-mail address, or unset")
    d = AlarmSettings()
    return AlarmSettings(
        email=email,
        oldest_message_age_seconds=_int(
            s, "alarms.oldestMessageAgeSeconds", d.oldest_message_age_seconds, 60, 1_209_600
        ),
        processor_errors=_int(s, "alarms.processorErrors", d.processor_errors, 1, None),
        processor_throttles=_int(s, "alarms.processorThrottles", d.processor_throttles, 1, None),
        record_failures=_int(s, "alarms.recordFailures", d.record_failures, 1, None),
        ingest_errors=_int(s, "alarms.ingestErrors", d.ingest_errors, 1, None),
        api_5xx_errors=_int(s, "alarms.api5xxErrors", d.api_5xx_errors, 1, None),
        period_seconds=_choice(
            s.get("periodSeconds", d.period_seconds),
            "alarms.periodSeconds",
            (60, 300, 900, 3600),
        ),
    )


def _archive(raw: Mapping[str, Any]) -> ArchiveSettings:
    s = _section(raw, "archive", ("expirationDays", "forceDestroy"))
    d = ArchiveSettings()
    return ArchiveSettings(
        expiration_days=_int(s, "archive.expirationDays", d.expiration_days, 0, 36500),
        force_destroy=_bool(s, "archive.forceDestroy", d.force_destroy),
    )


TOP_LEVEL_KEYS = (
    "environment",
    "metricsNamespace",
    "providers",
    "secrets",
    "ingest",
    "processor",
    "queue",
    "table",
    "logs",
    "api",
    "alarms",
    "archive",
    "subscribers",
)
OBJECT_KEYS = tuple(key for key in TOP_LEVEL_KEYS if key not in ("environment", "metricsNamespace"))


def check_top_level_keys(values: Mapping[str, Any]) -> None:
    """Every `webhooks:` key (without the namespace) is a known one: a typo is an error naming
    the key, its value and the known keys, with the closest known key when one is close."""
    for key in sorted(values):
        if key in TOP_LEVEL_KEYS:
            continue
        close = difflib.get_close_matches(key, TOP_LEVEL_KEYS, n=1)
        hint = f"did you mean {setting_key(close[0])}? " if close else ""
        secret = "secret" in key.lower() or close == ["secrets"]  # a misspelt `secrets`
        shown = "<secret>" if secret else values[key]
        raise ConfigError(setting_key(key), shown, f"{hint}known keys: {', '.join(TOP_LEVEL_KEYS)}")


def _configured(config: pulumi.Config) -> dict[str, Any]:
    """The `webhooks:` keys the engine handed this program (without the namespace), with their
    text as a message may show it: a value set with `--secret` is never shown."""
    from pulumi.runtime import config as runtime_config

    given = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    prefix = f"{NAMESPACE}:"
    return {
        key[len(prefix) :]: "<secret>"
        if runtime_config.is_config_secret(key)
        else config.get(key[len(prefix) :])
        for key in given
        if key.startswith(prefix)
    }


def parse_settings(raw: Mapping[str, Any], stack: str | None = None) -> Settings:
    """Validate the stack's config values (top-level key → parsed value) into `Settings`.

    `stack` names the resources (components/naming); the environment only picks the profile.
    Without it (tests of the rules alone) the environment's name stands in for the stack.
    """
    environment = _choice(raw.get("environment"), "environment", ENVIRONMENTS)
    namespace = raw.get("metricsNamespace", DEFAULT_METRICS_NAMESPACE)
    if not isinstance(namespace, str) or not re.match(r"^[A-Za-z0-9._/#:-]{1,255}$", namespace):
        raise ConfigError(setting_key("metricsNamespace"), namespace, "a CloudWatch namespace")
    processor = _processor(raw)
    ingest = _ingest(raw)
    api = _burst(_api(raw), ingest, raw)
    _check_front_door(api, ingest)
    settings = Settings(
        profile=environment,
        stack=stack or environment,
        providers=_providers(raw),
        ingest=ingest,
        processor=processor,
        queue=_queue(raw, processor),
        table=_table(raw),
        logs=_logs(raw),
        api=api,
        alarms=_alarms(raw),
        archive=_archive(raw),
        metrics_namespace=namespace,
    )
    settings = _retention(settings, raw)
    settings = replace(
        settings, subscribers=read_subscribers(raw, tuple(p.name for p in settings.providers))
    )
    check_names(settings)
    return settings


def _days(seconds: int) -> int:
    return -(-seconds // 86_400)


def _retention(settings: Settings, raw: Mapping[str, Any]) -> Settings:
    """Archived bodies outlive every event that points at them, by construction.

    An item expires `table.eventTtlDays` after it is written, and it can be written as late as
    a queue retention plus a DLQ retention after its body was archived (a replayed message starts
    a new queue retention). So archive expiry ≥ TTL + both retentions, in days rounded up; a TTL
    of 0 (never) needs archive expiry off (0). Unset, `archive.expirationDays` is that minimum.
    """
    ttl = settings.table.event_ttl_days
    queue = settings.queue
    minimum = ttl + _days(queue.retention_seconds) + _days(queue.dlq_retention_seconds)
    given = isinstance(raw.get("archive"), Mapping) and "expirationDays" in raw["archive"]
    if not given:
        expiration = 0 if ttl == 0 else minimum
        return replace(settings, archive=replace(settings.archive, expiration_days=expiration))
    expiration = settings.archive.expiration_days
    if expiration == 0:
        return settings  # bodies kept forever outlive any event
    if ttl == 0:
        raise ConfigError(
            setting_key("archive.expirationDays"),
            expiration,
            "0 (bodies never expire) while table.eventTtlDays is 0 (events never expire)",
        )
    if expiration < minimum:
        raise ConfigError(
            setting_key("archive.expirationDays"),
            expiration,
            f"at least {minimum} = table.eventTtlDays ({ttl}) + queue.retentionSeconds"
            f" ({_days(queue.retention_seconds)} days) + queue.dlqRetentionSeconds"
            f" ({_days(queue.dlq_retention_seconds)} days), or 0 (never expire): a body must"
            " outlive the events that point at it",
        )
    return settings


def _subscriber_names(
    settings: Settings, subscriber: SubscriberSettings, region: str
) -> list[naming.PhysicalName]:
    """The subscriber's physical names, or a config error when its name leaves the stack's no
    room (an IAM role name has 64 characters for `webhooks-sub-<name>-<stack>-<region>`)."""

    def names(name: str) -> list[naming.PhysicalName]:
        managed, bus = subscriber.managed, subscriber.target_kind == "bus"
        http = subscriber.http is not None
        return list(naming.subscriber_names(name, settings.stack, region, managed, bus, http))

    try:
        return names(subscriber.name)
    except ValueError:
        longest = max((n for n in range(1, len(subscriber.name)) if _fits(names, n)), default=0)
        raise ConfigError(
            setting_key("subscribers", subscriber.name),
            subscriber.name,
            f"a name of at most {longest} characters in stack {settings.stack!r}: its resources"
            " are named webhooks-sub-<name>-<stack>[-<region>] within AWS's limits (an IAM role"
            f" has {naming.IAM_ROLE} characters, in any region)",
        ) from None


def _fits(names: Callable[[str], object], length: int) -> bool:
    """Whether a subscriber name of `length` characters leaves the stack's name room."""
    try:
        names("a" * length)
    except ValueError:
        return False
    return True


def check_names(settings: Settings, region: str = naming.LONGEST_REGION) -> None:
    """Every physical name the stack's resources get fits AWS's limits and is unique per type.

    Subscriber names are free text, so `x` (whose DLQ is `webhooks-sub-x-dlq-<stack>`) and
    `x-dlq` (whose queue is the same) would meet half-way through a deploy; the error names
    both keys. Names carrying the region are checked with the longest region name.
    """
    names: list[tuple[str, naming.PhysicalName]] = [
        (f"the stack name {settings.stack!r}", name)
        for name in naming.fixed_names(settings.stack, region, settings.api.kind)
    ]
    for provider in settings.providers:
        key = setting_key("providers", provider.name)
        names += [(key, name) for name in naming.provider_names(provider.name, settings.stack)]
    for subscriber in settings.subscribers:
        key = setting_key("subscribers", subscriber.name)
        names += [(key, name) for name in _subscriber_names(settings, subscriber, region)]
    collision = naming.first_collision(names)
    if collision is not None:
        (first_key, first), (key, second) = collision
        raise ConfigError(
            key,
            key.rsplit(".", 1)[-1],
            f"a name that gives no other resource's name: {second.what} would be"
            f" {second.name}, the name of {first.what} ({first_key}); rename one of the two",
        )


def load_settings(config: pulumi.Config | None = None) -> Settings:
    """Read every `webhooks:` key once and validate it, for the stack being deployed.

    `secrets` reaches the resources as `get_secret_object` returns it, a secret Output, so
    everything derived from it stays encrypted in the state. Its plain form is only checked
    here (provider names, shapes), in errors that never echo a value.
    """
    config = config or pulumi.Config(NAMESPACE)
    check_top_level_keys(_configured(config))
    raw: dict[str, Any] = {}
    for key in TOP_LEVEL_KEYS:
        try:
            value = config.get_object(key) if key in OBJECT_KEYS else config.get(key)
        except Exception as error:  # a value that is not valid JSON
            shown = "<secret>" if key == "secrets" else config.get(key)
            raise ConfigError(setting_key(key), shown, f"valid JSON ({error})") from None
        if value is not None:
            raw[key] = value
    settings = parse_settings(raw, stack=pulumi.get_stack())
    return replace(settings, secret_values=config.get_secret_object("secrets", {}))
