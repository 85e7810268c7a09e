"""Typed settings of one stack that check themselves, built from the `webhooks:` config or in code.

Each section declares its keys, bounds, defaults and docs on its fields (components/config_table)
and checks itself when built; `Settings` checks the rules between sections when it is built. So
a `Settings` that exists is valid, whether `parse_settings` read it from stack config or a
program wrote it, and both refuse an invalid one with the same `ConfigError`. Defaults are the
production values: a stack file, or a program, gives only what differs (docs/configuration.md).
`parse_settings` is pure (plain dicts in); `load_settings` is the only place that reads
`pulumi.Config`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import pulumi

from hookgate.components import naming
from hookgate.components.config_error import NAMESPACE, ConfigError, setting_key
from hookgate.components.config_table import (
    SETTING,
    Boolean,
    Choice,
    Integer,
    Section,
    Setting,
    Text,
    check_fields,
    setting,
)
from hookgate.components.function_url import KINDS as API_KINDS
from hookgate.components.retention import DLQ_RETENTION_SECONDS, QUEUE_RETENTION_SECONDS
from hookgate.components.subscribers import (
    SubscriberSettings,
    check_subscribers,
    read_subscribers,
)
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
LAMBDA_MEMORY_MB = Integer(128, 10240)
LAMBDA_TIMEOUT_SECONDS = Integer(1, 900)
LAMBDA_CONCURRENCY = Integer(1, 10000)
API_INTEGRATION_TIMEOUT_SECONDS = 29  # HTTP API integrations time out after 30 s
MAX_BODY_BYTES = 4 * 1024 * 1024  # 6 MB invoke payload, base64 inflates bodies by 4/3
MAX_INLINE_BODY_LIMIT = 240 * 1024  # envelope must stay under 256 KiB per SQS message
SQS_RETENTION_SECONDS = Integer(60, 1_209_600)
SQS_VISIBILITY_TIMEOUT_MAX = 43_200
VISIBILITY_TO_TIMEOUT_RATIO = 6  # AWS guidance for SQS event sources
DEFAULT_THROTTLING_RATE_LIMIT = 100
DEFAULT_THROTTLING_BURST_LIMIT = 200
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
DOMAIN_NAME = re.compile(r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")
CERTIFICATE_ARN = re.compile(r"arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[0-9a-f-]{1,64}")
HOSTED_ZONE_ID = re.compile(r"Z[A-Z0-9]{1,31}")
METRICS_NAMESPACE = re.compile(r"[A-Za-z0-9._/#:-]{1,255}")


# ---- providers ----


# A provider's keys that are not scheme options: where its secret lives (docs/deploying.md).
LIFECYCLE_KEYS = ("renamedFrom", "secretGeneration")
SECRET_GENERATION = Integer(1, 999)


@dataclass(frozen=True)
class ProviderSettings:
    """One sender: its route name, signature scheme and options; checked when built.

    `options` hold what differs from the scheme's defaults, in the handler's snake_case
    (`tolerance_seconds`); they are validated by the scheme registry, which the ingest function
    validates `PROVIDERS` with too. The signing secrets are not here: `Settings.secret_values`.
    """

    name: str
    scheme: str
    options: Mapping[str, object] = field(default_factory=dict)
    renamed_from: str | None = None
    """`renamedFrom`: the provider's former name, whose secret it keeps (docs/deploying.md)."""
    secret_generation: int = 1
    """`secretGeneration`: above 1, a new secret name, e.g. to re-add a provider whose former
    secret is still scheduled for deletion (docs/deploying.md, "Provider lifecycle")."""

    def __post_init__(self) -> None:
        if not handler_providers.is_name(self.name):
            raise ConfigError(
                setting_key("providers", str(self.name)), self.name, handler_providers.NAME_RULE
            )
        base = ("providers", self.name)
        renamed = self.renamed_from
        if renamed is not None and (not handler_providers.is_name(renamed) or renamed == self.name):
            raise ConfigError(
                setting_key(*base, "renamedFrom"),
                renamed,
                f"the provider's former name ({handler_providers.NAME_RULE}), not its own",
            )
        if not SECRET_GENERATION.accepts(self.secret_generation):
            raise ConfigError(
                setting_key(*base, "secretGeneration"),
                self.secret_generation,
                SECRET_GENERATION.allowed,
            )
        scheme = schemes.find(self.scheme)
        if scheme is None:
            raise ConfigError(
                setting_key(*base, "scheme"), self.scheme, f"one of {', '.join(schemes.names())}"
            )
        try:
            values = schemes.validate(scheme, self.options)
        except OptionError as error:
            key = setting_key(*base, config_key(error.key))
            raise ConfigError(key, error.value, error.allowed) from None
        # Normalized (defaults dropped), so two spellings of one provider compare equal.
        object.__setattr__(self, "options", scheme.explicit(values))

    def handler_options(self) -> dict[str, object]:
        """The `PROVIDERS` entry without `secret_arn`: the scheme and its options."""
        return {"scheme": self.scheme, **self.options}

    @property
    def secret_path(self) -> str:
        """The secret's name below the stack's prefix: `<provider>`, the former name after a
        rename, `/<generation>` appended above generation 1."""
        base = self.renamed_from or self.name
        return base if self.secret_generation == 1 else f"{base}/{self.secret_generation}"


# ---- sections: keys, bounds, defaults and docs on the fields ----


@dataclass(frozen=True)
class IngestSettings(Section):
    NAME: ClassVar[str] = "ingest"
    DOC: ClassVar[str] = "The ingest function behind the front door."

    timeout_seconds: int = setting(
        10,
        "timeoutSeconds",
        Integer(1, API_INTEGRATION_TIMEOUT_SECONDS),
        "HTTP API integrations time out at 30 s",
    )
    memory_mb: int = setting(256, "memoryMb", LAMBDA_MEMORY_MB)
    reserved_concurrency: int | None = setting(
        None, "reservedConcurrency", LAMBDA_CONCURRENCY, shown_default="none"
    )
    # The handler knobs default as the handler does (webhooks.*_settings own the defaults).
    max_body_bytes: int = setting(
        DEFAULT_MAX_BODY_BYTES,
        "maxBodyBytes",
        Integer(1, MAX_BODY_BYTES),
        "6 MB invoke payload after base64",
    )
    inline_body_limit: int = setting(
        DEFAULT_INLINE_BODY_LIMIT,
        "inlineBodyLimit",
        Integer(1, MAX_INLINE_BODY_LIMIT),
        "a queue message stays under 256 KiB; larger bodies go to the archive bucket, which"
        " above ~32 KiB is cheaper than a large item (`make bench`, cost)",
    )
    secrets_refresh_seconds: int = setting(
        DEFAULT_SECRETS_REFRESH_SECONDS, "secretsRefreshSeconds", Integer(1, 86400)
    )


@dataclass(frozen=True)
class ProcessorSettings(Section):
    NAME: ClassVar[str] = "processor"
    DOC: ClassVar[str] = "The process function and its queue mapping."

    timeout_seconds: int = setting(30, "timeoutSeconds", LAMBDA_TIMEOUT_SECONDS)
    memory_mb: int = setting(256, "memoryMb", LAMBDA_MEMORY_MB)
    batch_size: int = setting(
        10, "batchSize", Integer(1, 10000), "above 10 needs `batchingWindowSeconds` ≥ 1"
    )
    batching_window_seconds: int = setting(0, "batchingWindowSeconds", Integer(0, 300))
    maximum_concurrency: int = setting(10, "maximumConcurrency", Integer(2, 1000))
    reserved_concurrency: int | None = setting(
        None,
        "reservedConcurrency",
        LAMBDA_CONCURRENCY,
        "≥ `maximumConcurrency`",
        shown_default="none",
    )
    write_concurrency: int = setting(
        DEFAULT_WRITE_CONCURRENCY,
        "writeConcurrency",
        Integer(1, MAX_WRITE_CONCURRENCY),
        "PutItems in flight per invocation; `batchSize` at most what `timeoutSeconds` writes at"
        " 8 ms each (e.g. 2250 x writers at 30 s)",
    )

    def check(self) -> None:
        self._check_batch_completes()
        if self.batch_size > 10 and self.batching_window_seconds < 1:
            raise ConfigError(
                setting_key("processor.batchingWindowSeconds"),
                self.batching_window_seconds,
                f"at least 1 when processor.batchSize is above 10 (it is {self.batch_size})",
            )
        if self.reserved_concurrency is not None and (
            self.reserved_concurrency < self.maximum_concurrency
        ):
            raise ConfigError(
                setting_key("processor.reservedConcurrency"),
                self.reserved_concurrency,
                f"at least processor.maximumConcurrency ({self.maximum_concurrency}),"
                " or the mapping's pollers are throttled",
            )

    def _check_batch_completes(self) -> None:
        """A batch must be written before the process function's deadline at the worst-case
        write time; the records it cannot start go back to the queue and, received again and
        again, healthy ones would reach the DLQ (webhooks.batch.largest_batch, `make bench`)."""
        largest = largest_batch(self.timeout_seconds, self.write_concurrency)
        if self.batch_size > largest:
            raise ConfigError(
                setting_key("processor.batchSize"),
                self.batch_size,
                f"at most {largest}: the records processor.timeoutSeconds"
                f" ({self.timeout_seconds}) starts in time with processor.writeConcurrency"
                f" ({self.write_concurrency}) writes in flight at"
                f" {WORST_CASE_WRITE_SECONDS * 1000:g} ms each",
            )


@dataclass(frozen=True)
class QueueSettings(Section):
    NAME: ClassVar[str] = "queue"
    DOC: ClassVar[str] = "The delivery queue and its dead-letter queue."

    visibility_timeout_seconds: int | None = setting(
        None,
        "visibilityTimeoutSeconds",
        Integer(0, SQS_VISIBILITY_TIMEOUT_MAX),
        "at least 6 x `processor.timeoutSeconds` + `processor.batchingWindowSeconds` (AWS"
        " guidance for SQS event sources)",
        shown_default="6 x `processor.timeoutSeconds` + `processor.batchingWindowSeconds`",
    )
    retention_seconds: int = setting(
        QUEUE_RETENTION_SECONDS,
        "retentionSeconds",
        SQS_RETENTION_SECONDS,
        shown_default="345600 (4 days)",
    )
    dlq_retention_seconds: int = setting(
        DLQ_RETENTION_SECONDS,
        "dlqRetentionSeconds",
        SQS_RETENTION_SECONDS,
        "above `retentionSeconds`",
        shown_default="1209600 (14 days)",
    )
    max_receive_count: int = setting(5, "maxReceiveCount", Integer(1, 1000))

    def check(self) -> None:
        if self.dlq_retention_seconds <= self.retention_seconds:
            raise ConfigError(
                setting_key("queue.dlqRetentionSeconds"),
                self.dlq_retention_seconds,
                f"above queue.retentionSeconds ({self.retention_seconds}): SQS keeps a message's"
                " original enqueue time, so a DLQ that keeps less drops redriven messages",
            )


@dataclass(frozen=True)
class TableSettings(Section):
    NAME: ClassVar[str] = "table"
    DOC: ClassVar[str] = "The events table."

    event_ttl_days: int = setting(30, "eventTtlDays", Integer(0, 36500), "0: events never expire")
    point_in_time_recovery: bool = setting(True, "pointInTimeRecovery", Boolean())
    deletion_protection: bool = setting(
        True, "deletionProtection", Boolean(), "also Pulumi `protect` on the table"
    )


@dataclass(frozen=True)
class LogSettings(Section):
    NAME: ClassVar[str] = "logs"
    DOC: ClassVar[str] = "The functions' log groups and log level."

    retention_days: int = setting(
        90, "retentionDays", Choice(LOG_RETENTION_DAYS), "the values CloudWatch Logs accepts"
    )
    level: str = setting(DEFAULT_LOG_LEVEL, "level", Choice(LOG_LEVELS))


@dataclass(frozen=True)
class ApiSettings(Section):
    NAME: ClassVar[str] = "api"
    DOC: ClassVar[str] = (
        "The front door: an HTTP API (throttling, custom domain) or a function URL."
    )

    # The front door (components/function_url.py): `httpApi` or `functionUrl`.
    kind: str = setting(
        "httpApi",
        "kind",
        Choice(API_KINDS),
        "`httpApi` (HTTP API) or `functionUrl` (a Lambda function URL, auth type NONE, no API"
        " Gateway request fee); `functionUrl` needs `ingest.reservedConcurrency` (its throttle)"
        " and refuses `api.domainName` and the `api.throttling*` keys",
    )
    throttling_rate_limit: int | None = setting(
        None,
        "throttlingRateLimit",
        Integer(1),
        "requests/s",
        shown_default=str(DEFAULT_THROTTLING_RATE_LIMIT),
    )
    throttling_burst_limit: int | None = setting(
        None,
        "throttlingBurstLimit",
        Integer(0),
        "at most `ingest.reservedConcurrency` when that is set: each request of a burst holds an"
        " ingest function, and one beyond the reservation is throttled and answered 5xx (paging"
        " `api-5xx`)",
        shown_default=f"{DEFAULT_THROTTLING_BURST_LIMIT}, capped at"
        " `ingest.reservedConcurrency` when that is lower",
    )
    # A stable URL: the custom domain and either its certificate or the zone to validate one in.
    domain_name: str | None = setting(
        None,
        "domainName",
        Text(DOMAIN_NAME, "a lower-case DNS name, e.g. hooks.example.com"),
        "needs exactly one of the next two ([custom domain](deploying.md#a-stable-webhook-url-"
        "custom-domain))",
        shown_default="none (execute-api URL)",
    )
    certificate_arn: str | None = setting(
        None,
        "certificateArn",
        Text(
            CERTIFICATE_ARN,
            "an ACM certificate ARN in the stack's region (arn:aws:acm:<region>:<account>:"
            "certificate/<id>) covering api.domainName",
        ),
        shown_default="none",
    )
    hosted_zone_id: str | None = setting(
        None,
        "hostedZoneId",
        Text(HOSTED_ZONE_ID, "a Route 53 hosted zone id, e.g. Z0123ABC"),
        "the program requests and validates the certificate and creates the alias record",
        shown_default="none",
    )
    # Off only when asked: adding a domain leaves the execute-api URL serving the senders that
    # still use it until they have moved (docs/deploying.md, "Moving senders to a domain").
    disable_execute_api_endpoint: bool = setting(
        False,
        "disableExecuteApiEndpoint",
        Boolean(),
        "`true` switches the `https://<api-id>.execute-api...` URL off, only with"
        " `api.domainName` (else senders would have no URL). Adding a domain leaves it on: switch"
        " it off once every sender uses the domain ([Moving senders to a domain]"
        "(deploying.md#moving-senders-to-a-domain))",
    )

    def check(self) -> None:
        domain, certificate, zone = self.domain_name, self.certificate_arn, self.hosted_zone_id
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
        if self.kind == "functionUrl":
            self._check_function_url()
        if self.disable_execute_api_endpoint and domain is None:
            raise ConfigError(
                setting_key("api.disableExecuteApiEndpoint"),
                self.disable_execute_api_endpoint,
                "false (or unset) without api.domainName: the execute-api URL is then the only"
                " URL the senders have",
            )

    def _check_function_url(self) -> None:
        """A function URL has no custom domain (that takes CloudFront) and no stage throttling."""
        if self.domain_name is not None:
            raise ConfigError(
                setting_key("api.domainName"),
                self.domain_name,
                "unset with api.kind functionUrl (a function URL carries no custom domain without"
                " CloudFront); use api.kind httpApi for a custom domain",
            )
        for key, value in (
            ("throttlingRateLimit", self.throttling_rate_limit),
            ("throttlingBurstLimit", self.throttling_burst_limit),
        ):
            if value is not None:
                raise ConfigError(
                    setting_key("api", key),
                    value,
                    "unset with api.kind functionUrl: ingest.reservedConcurrency throttles it",
                )


ALARM_THRESHOLD = Integer(1)


@dataclass(frozen=True)
class AlarmSettings(Section):
    NAME: ClassVar[str] = "alarms"
    DOC: ClassVar[str] = "Alarm thresholds (per period) and who is told."

    email: str | None = setting(
        None,
        "email",
        Text(EMAIL, "an e-mail address, or unset"),
        "SNS e-mail subscription",
        shown_default="none",
    )
    oldest_message_age_seconds: int = setting(
        300,
        "oldestMessageAgeSeconds",
        Integer(60, 1_209_600),
        "also the publisher's iterator age alarm (x 1000 ms)",
    )
    processor_errors: int = setting(
        1, "processorErrors", ALARM_THRESHOLD, "per period; also the publish function's errors"
    )
    processor_throttles: int = setting(1, "processorThrottles", ALARM_THRESHOLD, "per period")
    record_failures: int = setting(
        1,
        "recordFailures",
        ALARM_THRESHOLD,
        "records the processor failed to store (its `Failed` metric), per period; also the"
        " publisher's failed records",
    )
    ingest_errors: int = setting(1, "ingestErrors", ALARM_THRESHOLD, "per period")
    api_5xx_errors: int = setting(
        1,
        "api5xxErrors",
        ALARM_THRESHOLD,
        "per period; with `api.kind: functionUrl` the `api-5xx` alarm reads Lambda's"
        " `Url5xxCount` and an `ingest-throttles` alarm (ingest `Throttles`) uses the same"
        " threshold",
    )
    period_seconds: int = setting(300, "periodSeconds", Choice((60, 300, 900, 3600)))


@dataclass(frozen=True)
class ArchiveSettings(Section):
    NAME: ClassVar[str] = "archive"
    DOC: ClassVar[str] = "The bucket of large and archived bodies."

    expiration_days: int | None = setting(
        None,
        "expirationDays",
        Integer(0, 36500),
        "0 (never expire) or at least `table.eventTtlDays` + queue + DLQ retention in days; must"
        " be 0 when `eventTtlDays` is 0: a body outlives every event that points at it."
        " Noncurrent object versions expire after 7 days",
        shown_default="as long as events can live: `table.eventTtlDays` + queue + DLQ retention in"
        " days, rounded up (0 when `eventTtlDays` is 0)",
    )
    """Days after which archived bodies expire; 0 keeps them forever; unset (None), as long as
    events can live (`Settings.archive_expiration_days`)."""
    force_destroy: bool = setting(
        False, "forceDestroy", Boolean(), "`pulumi destroy` empties the bucket"
    )


SECTIONS: tuple[type[Section], ...] = (
    IngestSettings,
    ProcessorSettings,
    QueueSettings,
    TableSettings,
    LogSettings,
    ApiSettings,
    AlarmSettings,
    ArchiveSettings,
)
"""The object-valued keys declared with the config table, in the reference's order."""


def _days(seconds: int) -> int:
    return -(-seconds // 86_400)


ENVIRONMENT = Setting(
    "environment",
    Choice(ENVIRONMENTS),
    "the profile (defaults, protection); names carry the stack name"
    " ([Stacks](deploying.md#stacks-names-review-stacks-other-regions))",
    shown_default="required",
)


@dataclass(frozen=True)
class Settings:
    """Everything the pipeline needs; built only valid (the rules between sections run here)."""

    profile: str = field(metadata={SETTING: ENVIRONMENT})
    """`dev` or `prod` (the `environment` config key): the defaults and protections it picks."""
    stack: str
    """The Pulumi stack's name: resources, metrics and secrets are named after it."""
    providers: tuple[ProviderSettings, ...]
    ingest: IngestSettings = field(default_factory=IngestSettings)
    processor: ProcessorSettings = field(default_factory=ProcessorSettings)
    queue: QueueSettings = field(default_factory=QueueSettings)
    table: TableSettings = field(default_factory=TableSettings)
    logs: LogSettings = field(default_factory=LogSettings)
    api: ApiSettings = field(default_factory=ApiSettings)
    alarms: AlarmSettings = field(default_factory=AlarmSettings)
    archive: ArchiveSettings = field(default_factory=ArchiveSettings)
    metrics_namespace: str = setting(
        DEFAULT_METRICS_NAMESPACE,
        "metricsNamespace",
        Text(METRICS_NAMESPACE, "a CloudWatch namespace"),
    )
    # Who receives the published events (components/subscribers.py).
    subscribers: tuple[SubscriberSettings, ...] = ()

    # Each provider's signing secret(s): what reaches Secrets Manager. From stack config, the
    # `secrets` config as Pulumi read it (`get_secret_object`, a secret Output); in code, a
    # mapping of provider name → secret (a string, a list during rotation, or an Output).
    secret_values: pulumi.Input[Mapping[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_fields(self)
        if not self.providers:
            raise ConfigError(
                setting_key("providers"),
                self.providers,
                "an object: provider name → {scheme, ...options}",
            )
        _check_renames(self.providers)
        _check_secret_values(self.providers, self.secret_values)
        self._check_visibility()
        self._check_front_door()
        self._check_archive()
        check_subscribers(self.subscribers, tuple(p.name for p in self.providers))
        check_names(self)

    # ---- values derived from several sections ----

    @property
    def minimum_visibility_timeout_seconds(self) -> int:
        """AWS guidance for SQS event sources: 6 x the function timeout + the batching window."""
        processor = self.processor
        return VISIBILITY_TO_TIMEOUT_RATIO * processor.timeout_seconds + (
            processor.batching_window_seconds
        )

    @property
    def queue_visibility_timeout_seconds(self) -> int:
        """`queue.visibilityTimeoutSeconds`, or unset the minimum the processor needs."""
        given = self.queue.visibility_timeout_seconds
        return self.minimum_visibility_timeout_seconds if given is None else given

    @property
    def api_throttling_rate_limit(self) -> int:
        """The stage's rate limit (requests/s): as set, else the default."""
        given = self.api.throttling_rate_limit
        return DEFAULT_THROTTLING_RATE_LIMIT if given is None else given

    @property
    def api_throttling_burst_limit(self) -> int:
        """The stage's burst: as set, else the default capped at what the ingest function's
        reserved concurrency serves (`_check_front_door` says why)."""
        if self.api.throttling_burst_limit is not None:
            return self.api.throttling_burst_limit
        reserved = self.ingest.reserved_concurrency
        if reserved is None:
            return DEFAULT_THROTTLING_BURST_LIMIT
        return min(DEFAULT_THROTTLING_BURST_LIMIT, reserved)

    @property
    def event_lifetime_days(self) -> int:
        """How long after its body was archived an event can still point at it, in days.

        An item expires `table.eventTtlDays` after it is written, and it can be written as late
        as a queue retention plus a DLQ retention after its body was archived (a replayed message
        starts a new queue retention); retentions in whole days, rounded up."""
        queue = self.queue
        return (
            self.table.event_ttl_days
            + _days(queue.retention_seconds)
            + _days(queue.dlq_retention_seconds)
        )

    @property
    def archive_expiration_days(self) -> int:
        """`archive.expirationDays`, or unset as long as events can live (0, never, when events
        never expire)."""
        given = self.archive.expiration_days
        if given is not None:
            return given
        return 0 if self.table.event_ttl_days == 0 else self.event_lifetime_days

    # ---- the rules between sections ----

    def _check_visibility(self) -> None:
        given = self.queue.visibility_timeout_seconds
        minimum = self.minimum_visibility_timeout_seconds
        if given is not None and given < minimum:
            raise ConfigError(
                setting_key("queue.visibilityTimeoutSeconds"),
                given,
                f"at least {VISIBILITY_TO_TIMEOUT_RATIO} x processor.timeoutSeconds"
                f" ({self.processor.timeout_seconds}) + processor.batchingWindowSeconds"
                f" ({self.processor.batching_window_seconds}) = {minimum}"
                " (AWS guidance for SQS event sources)",
            )

    def _check_front_door(self) -> None:
        """The stage's burst never exceeds what the ingest function's reserved concurrency
        serves: each request of a burst holds one ingest function while it runs; beyond the
        reservation Lambda throttles them and the API answers 5xx (the `api-5xx` alarm) instead
        of the 429 a sender retries politely. `functionUrl` is throttled by the reserved
        concurrency alone, so it needs one."""
        reserved = self.ingest.reserved_concurrency
        burst = self.api.throttling_burst_limit
        if self.api.kind == "httpApi" and reserved is not None and (burst or 0) > reserved:
            raise ConfigError(
                setting_key("api.throttlingBurstLimit"),
                burst,
                f"at most ingest.reservedConcurrency ({reserved}): each request of a burst"
                " holds an ingest function, and the ones beyond its reserved concurrency are"
                " throttled and answered 5xx; raise ingest.reservedConcurrency or lower the"
                " burst",
            )
        if self.api.kind == "functionUrl" and reserved is None:
            raise ConfigError(
                setting_key("ingest.reservedConcurrency"),
                None,
                "an integer of at least 1 with api.kind functionUrl: the function URL has no"
                " throttling of its own, so the reserved concurrency bounds what senders can"
                " start",
            )

    def _check_archive(self) -> None:
        """Archived bodies outlive every event that points at them (`event_lifetime_days`); a
        TTL of 0 (never) needs archive expiry off (0)."""
        expiration = self.archive.expiration_days
        if expiration is None or expiration == 0:
            return  # derived, or bodies kept forever: they outlive any event
        ttl = self.table.event_ttl_days
        if ttl == 0:
            raise ConfigError(
                setting_key("archive.expirationDays"),
                expiration,
                "0 (bodies never expire) while table.eventTtlDays is 0 (events never expire)",
            )
        minimum = self.event_lifetime_days
        if expiration < minimum:
            queue = self.queue
            raise ConfigError(
                setting_key("archive.expirationDays"),
                expiration,
                f"at least {minimum} = table.eventTtlDays ({ttl}) + queue.retentionSeconds"
                f" ({_days(queue.retention_seconds)} days) + queue.dlqRetentionSeconds"
                f" ({_days(queue.dlq_retention_seconds)} days), or 0 (never expire): a body must"
                " outlive the events that point at it",
            )

    # ---- what the components read ----

    def name(self, part: str, limit: int = naming.LAMBDA_FUNCTION) -> str:
        """Physical name of a regional resource, e.g. `webhooks-queue-dev` (components/naming)."""
        return naming.regional(part, self.stack, limit)

    @property
    def protected(self) -> bool:
        """The prod profile protects (Pulumi `protect`) what holds events or secrets: an update
        or a rename cannot delete them."""
        return self.profile == "prod"

    @property
    def secret_recovery_window_days(self) -> int:
        """dev deletes secrets at once, so a destroyed dev stack can be recreated under the same
        names; prod keeps them recoverable for AWS's maximum of 30 days."""
        return 0 if self.profile == "dev" else 30

    @property
    def tags(self) -> dict[str, str]:
        return {"app": NAMESPACE, "environment": self.profile, "managed-by": "pulumi"}


# ---- rules on providers and their secrets ----


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


def _secret_list(value: Any, name: str) -> tuple[str, ...]:
    """A provider's signing secret(s) as given; error messages never echo a secret value."""
    values = [value] if isinstance(value, str) else value
    if (
        not isinstance(values, list | tuple)
        or not values
        or not all(isinstance(v, str) and v.strip() for v in values)
    ):
        raise ConfigError(
            setting_key("secrets", name),
            "<secret>",
            "a non-empty string or a list of non-empty strings"
            " (for a secret of digits only, add `--type string` to `pulumi config set`)",
        )
    return tuple(values)


def _check_secret_names(
    providers: tuple[ProviderSettings, ...], secrets: Mapping[str, Any]
) -> None:
    """Exactly one entry per provider: an entry of no provider is a typo, a missing one would
    leave the provider without a secret."""
    names = tuple(p.name for p in providers)
    for name in secrets:
        if name not in names:
            raise ConfigError(
                setting_key("secrets", name),
                "<secret>",
                f"no provider {name!r} in {setting_key('providers')}",
            )
    for name in names:
        if secrets.get(name) is None:
            raise ConfigError(
                setting_key("secrets", name),
                None,
                f"set it with `pulumi config set --secret --path 'secrets.{name}' <value>`"
                " (a string, or a list to accept several during rotation)",
            )


def _check_secrets(providers: tuple[ProviderSettings, ...], secrets: Mapping[str, Any]) -> None:
    """Every provider's plain secret(s) in its scheme's format (`secrets` read from config)."""
    _check_secret_names(providers, secrets)
    for provider in providers:
        scheme = schemes.get(provider.scheme)
        for secret in _secret_list(secrets[provider.name], provider.name):
            try:
                scheme.validate_secret(secret)
            except ValueError as error:
                raise ConfigError(
                    setting_key("secrets", provider.name), "<secret>", str(error)
                ) from None


def _check_secret_values(
    providers: tuple[ProviderSettings, ...], values: pulumi.Input[Mapping[str, Any]]
) -> None:
    """Secrets given as a mapping are checked here: names always, values when plain (a value
    that is an Output is checked by whoever read it). An Output of the whole mapping is the
    stack config's, checked by `load_settings` from the raw config."""
    if not isinstance(values, Mapping):
        return
    _check_secret_names(providers, values)
    plain = {
        name: value
        for name, value in values.items()
        if not isinstance(value, pulumi.Output)
        and not (
            isinstance(value, list | tuple) and any(isinstance(v, pulumi.Output) for v in value)
        )
    }
    _check_secrets(tuple(p for p in providers if p.name in plain), plain)


# ---- physical names ----


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
    both keys. Names carrying the region are checked with the longest region name, so the
    check holds in any region and runs whenever a `Settings` is built.
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


# ---- the config reader ----


TOP_LEVEL_KEYS = (
    ENVIRONMENT.key,
    "metricsNamespace",
    "providers",
    "secrets",
    *(section.NAME for section in SECTIONS),
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


def _read_provider(name: str, options: Any) -> ProviderSettings:
    """A provider from its config object, its options validated in their config spelling."""
    base = f"providers.{name}"
    if not isinstance(options, Mapping):
        raise ConfigError(setting_key(base), options, "an object with at least `scheme`")
    scheme = schemes.find(options.get("scheme"))
    if scheme is None:
        raise ConfigError(
            setting_key(base, "scheme"),
            options.get("scheme"),
            f"one of {', '.join(schemes.names())}",
        )
    given = {k: v for k, v in options.items() if k not in (*LIFECYCLE_KEYS, "scheme")}
    try:
        values = schemes.validate(scheme, given, config_key)
    except OptionError as error:
        raise ConfigError(setting_key(base, error.key), error.value, error.allowed) from None
    return ProviderSettings(
        name=name,
        scheme=scheme.name,
        options=scheme.explicit(values),
        renamed_from=options.get("renamedFrom"),
        secret_generation=options.get("secretGeneration", 1),
    )


def _read_providers(raw: Mapping[str, Any]) -> tuple[ProviderSettings, ...]:
    providers = raw.get("providers")
    if not isinstance(providers, Mapping) or not providers:
        raise ConfigError(
            setting_key("providers"), providers, "an object: provider name → {scheme, ...options}"
        )
    result = []
    for name in sorted(providers, key=str):
        if not handler_providers.is_name(name):
            raise ConfigError(
                setting_key("providers", str(name)), name, handler_providers.NAME_RULE
            )
        result.append(_read_provider(name, providers[name]))
    return tuple(result)


def _read_secrets(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The plain `secrets` config: an object (its entries are checked by `Settings`)."""
    secrets = raw.get("secrets") or {}
    if not isinstance(secrets, Mapping):
        raise ConfigError(
            setting_key("secrets"), "<secret>", "an object: provider name → secret(s)"
        )
    return dict(secrets)


def parse_settings(raw: Mapping[str, Any], stack: str | None = None) -> Settings:
    """Validate the stack's config values (top-level key → parsed value) into `Settings`.

    `stack` names the resources (components/naming); the environment only picks the profile.
    Without it (tests of the rules alone) the environment's name stands in for the stack.
    The plain `secrets` are carried as `secret_values` (and checked there, like any).
    """
    environment = raw.get(ENVIRONMENT.key)
    if not isinstance(environment, str) or not ENVIRONMENT.kind.accepts(environment):
        raise ConfigError(setting_key(ENVIRONMENT.key), environment, ENVIRONMENT.kind.allowed)
    processor = ProcessorSettings.read(raw)
    ingest = IngestSettings.read(raw)
    api = ApiSettings.read(raw)
    providers = _read_providers(raw)
    secrets = _read_secrets(raw)
    return Settings(
        profile=environment,
        stack=stack or environment,
        providers=providers,
        ingest=ingest,
        processor=processor,
        queue=QueueSettings.read(raw),
        table=TableSettings.read(raw),
        logs=LogSettings.read(raw),
        api=api,
        alarms=AlarmSettings.read(raw),
        archive=ArchiveSettings.read(raw),
        metrics_namespace=raw.get("metricsNamespace", DEFAULT_METRICS_NAMESPACE),
        subscribers=read_subscribers(raw, tuple(p.name for p in providers)),
        secret_values=secrets,
    )


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
