"""The local stack: the program realized in moto, its functions, pollers and HTTP API running.

`LocalStack.start()` brings everything up from the program itself (nothing here names a queue,
a table or a route); `stop()` takes it down. See the package docstring for the API.
"""

import fcntl
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import boto3

from hookgate.components import packages
from local import config as stack_config
from local.errors import LocalConfigError, LocalStackError
from local.httpapi import HttpApi, Route, TokenBucket
from local.keyserver import KeyServer
from local.motoserver import FAKE_CREDENTIALS, MotoServer
from local.poller import MappingSpec, QueuePoller
from local.pool import REPO_ROOT, FunctionPool, WorkerSpec
from local.streampoller import StreamMappingSpec, StreamPoller
from ops import pubkey_signing
from ops.pubkey_signing import SenderKeys
from webhooks.keys import LOCAL_STACK_VARIABLE

DEFAULT_POOL_CAP = 4  # worker processes per function: enough concurrency for a 2-core machine
DEFAULT_LAMBDA_TIMEOUT = 3
DEFAULT_LAMBDA_MEMORY = 128
LOCK_FILE = "stack.lock"  # in the state directory: the running stack's PID

log = logging.getLogger("local")

_Part = TypeVar("_Part")


SENDER_KEYS_FILE = "sender-keys.json"
"""The public-key senders' test keys in the state directory (`ops.pubkey_signing`)."""


class LocalStack:
    """A running local stack. Use `LocalStack.start(...)`, ideally as a context manager."""

    def __init__(self) -> None:
        # Set by `_start`, in this order (`stop` stops the servers that came up); read through
        # the properties `config`, `api` and `moto`.
        self._config: stack_config.StackConfig | None = None
        self._api: HttpApi | None = None
        self._moto: MotoServer | None = None
        self.key_server: KeyServer | None = None
        """The public-key senders' key host stand-in, when a provider needs one."""
        self.pools: dict[str, FunctionPool] = {}
        self.pollers: list[QueuePoller] = []
        self.stream_pollers: list[StreamPoller] = []
        self.outputs: dict[str, Any] = {}
        self.declaration: dict[str, Any] = {}
        self.state_dir = Path(".local")
        self._api_thread: threading.Thread | None = None
        self._stopped = False
        self._throttle = False
        self._lock: Any = None  # the state directory's lock file, held while the stack runs
        self.took_over: str | None = None
        """The PID a stale lock of this state directory named (a stack that was killed)."""

    # --- public API --------------------------------------------------------------------------

    @classmethod
    def start(
        cls,
        stack: str = "dev",
        overrides: dict[str, Any] | None = None,
        port: int = 0,
        state_dir: str | Path = REPO_ROOT / ".local",
        program_dir: str | Path = REPO_ROOT,
        pool_cap: int = DEFAULT_POOL_CAP,
        throttle: bool = False,
    ) -> "LocalStack":
        """Run the program's `stack` under mocks realized in moto and start serving it.

        `throttle` applies the stage's declared rate and burst limits (429 beyond them); off by
        default, so a local burst measures the pipeline rather than the limits.
        """
        self = cls()
        self._throttle = throttle
        try:
            self._start(stack, overrides or {}, port, Path(state_dir), Path(program_dir), pool_cap)
        except BaseException:
            self.stop()
            raise
        return self

    @property
    def config(self) -> stack_config.StackConfig:
        """The stack's configuration, as loaded from the program's stack file and overrides."""
        return _started(self._config, "configuration")

    @property
    def api(self) -> HttpApi:
        """The HTTP server of the program's API."""
        return _started(self._api, "HTTP API")

    @property
    def moto(self) -> MotoServer:
        """The AWS emulator."""
        return _started(self._moto, "AWS emulator")

    @property
    def endpoint_url(self) -> str:
        """The moto endpoint: what `AWS_ENDPOINT_URL` must be for clients of this stack."""
        return self.moto.endpoint_url

    @property
    def api_url(self) -> str:
        return self.api.url

    @property
    def outputs_path(self) -> Path:
        return self.state_dir / "outputs.json"

    @property
    def env_path(self) -> Path:
        return self.state_dir / "env"

    @property
    def lock_path(self) -> Path:
        return self.state_dir / LOCK_FILE

    @property
    def faults_path(self) -> Path:
        return self.state_dir / "faults.json"

    @property
    def region(self) -> str:
        return self.config.region

    @property
    def dev_secrets(self) -> dict[str, str]:
        """Provider → the signing secret this stack put into Secrets Manager."""
        return dict(self.config.dev_secrets)

    def client(self, service: str) -> Any:
        """A boto3 client for the emulator of this stack."""
        return boto3.client(
            service,
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=FAKE_CREDENTIALS["AWS_SESSION_TOKEN"],
        )

    def client_env(self) -> dict[str, str]:
        """Environment variables that point boto3 (and `python -m ops`) at this stack."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
            **FAKE_CREDENTIALS,
            "WEBHOOKS_OUTPUTS": str(self.outputs_path.resolve()),
        }

    def set_faults(
        self,
        put_item_failure_rate: float = 0.0,
        put_item_failure_code: str | None = None,
        poison_markers: list[str] | tuple[str, ...] = (),
        put_events_failure_rate: float = 0.0,
    ) -> None:
        """Write the fault control file that every worker re-reads (format: local/faults.py)."""
        rules: dict[str, Any] = {
            "put_item_failure_rate": put_item_failure_rate,
            "poison_markers": list(poison_markers),
            "put_events_failure_rate": put_events_failure_rate,
        }
        if put_item_failure_code:
            rules["put_item_failure_code"] = put_item_failure_code
        _write_atomic(self.faults_path, json.dumps(rules))

    def clear_faults(self) -> None:
        self.set_faults()

    def processor_pool(self) -> FunctionPool:
        """The pool of the function behind the (first) event source mapping."""
        return self.pollers[0].pool

    def kill_processor(self, down_for: float = 0.0) -> int:
        """SIGKILL the processor's workers mid-flight; replacements start after `down_for` s."""
        return self.processor_pool().kill(down_for)

    def stats(self) -> dict[str, Any]:
        """Invocation, error, restart and injected-fault counts per function; poller counts."""
        return {
            "functions": {
                self.declaration["functions"][arn]["logical"]: dict(pool.stats)
                for arn, pool in self.pools.items()
            },
            "pollers": [dict(poller.stats) for poller in self.pollers],
            "stream_pollers": [dict(poller.stats) for poller in self.stream_pollers],
        }

    def failure(self) -> str | None:
        """Why the stack cannot go on, naming the process, or None while it is healthy.

        The emulator is one process the rest cannot work without: once it has exited, every
        request would be answered 503 and every poll would fail, so the stack must stop.
        """
        if self._stopped or self._moto is None:
            return None
        code = self._moto.exit_code()
        if code is not None:
            return f"the AWS emulator (moto server, pid {self._moto.pid}) exited with code {code}"
        for pool in self.pools.values():
            if pool.failure is not None:
                return pool.failure
        return None

    def stop(self) -> None:
        """Stop the HTTP server, pollers, workers and the emulator, in that order."""
        if self._stopped:
            return
        self._stopped = True
        if self._api is not None:
            if self._api_thread is not None:
                self._api.shutdown()
            self._api.server_close()
        for poller in self.pollers:
            poller.stop()
        for stream_poller in self.stream_pollers:
            stream_poller.stop()
        for pool in self.pools.values():
            pool.close()
        if self._moto is not None:
            self._moto.stop()
        if self.key_server is not None:
            self.key_server.stop()
        if self._lock is not None:
            self._lock.truncate(0)  # a clean stop leaves no PID behind: nothing to take over
            self._lock.close()  # releases the lock

    def __enter__(self) -> "LocalStack":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- start-up ----------------------------------------------------------------------------

    def _start(
        self,
        stack: str,
        overrides: dict[str, Any],
        port: int,
        state_dir: Path,
        program_dir: Path,
        pool_cap: int,
    ) -> None:
        self.state_dir = state_dir.resolve()
        self._lock_state_dir()
        (self.state_dir / "logs").mkdir(parents=True, exist_ok=True)
        program_dir = program_dir.resolve()
        self._config = stack_config.load(
            program_dir,
            stack,
            overrides,
            secrets_file=self.state_dir / "dev-secrets.json",
        )
        self._serve_sender_keys()
        stack_config.validate(program_dir, self._config)  # with the sender keys it added
        self._api = HttpApi(port)
        self._moto = MotoServer()
        answer = self._declare(program_dir)
        self.declaration = answer["declaration"]
        self.api.account_id = self.declaration["account_id"]
        self.clear_faults()
        self._start_functions(program_dir, pool_cap)
        self._start_pollers(pool_cap)
        self._start_api()
        self.outputs = self._local_outputs(answer["outputs"])
        _write_atomic(self.outputs_path, json.dumps(self.outputs, indent=2))
        _write_atomic(
            self.env_path,
            "".join(f"export {k}={v}\n" for k, v in self.client_env().items()),
        )

    def _lock_state_dir(self) -> None:
        """Own the state directory: a second stack on it is refused, naming the running one.

        An exclusive `flock` held while the stack runs; the kernel releases it when the process
        dies however it dies, so a lock file whose PID holds no lock is stale and taken over.
        """
        self.state_dir.mkdir(parents=True, exist_ok=True)
        handle = open(self.lock_path, "a+")  # noqa: SIM115 - held open while the stack runs
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            pid = handle.read().strip() or "?"
            handle.close()
            raise LocalStackError(
                f"another local stack (PID {pid}) is running on {self.state_dir}: stop it"
                f" (Ctrl-C in its shell, or kill -TERM {pid}), or give this one its own"
                ' directory (--state-dir, or make local ARGS="--state-dir DIR")'
            ) from None
        handle.seek(0)
        self.took_over = handle.read().strip() or None
        handle.truncate(0)
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._lock = handle

    def _serve_sender_keys(self) -> None:
        """For providers of public-key senders: the local test keys (kept in the state
        directory), their key server, and the provider options that trust them (unless given)."""
        project = self.config.project
        providers = self.config.values.get(f"{project}:{stack_config.PROVIDERS_KEY}") or {}
        public_key = {
            name: options
            for name, options in providers.items()
            if isinstance(options, dict) and options.get("scheme") in pubkey_signing.SCHEMES
        }
        if not public_key:
            return
        keys = SenderKeys.load_or_create(self.state_dir / SENDER_KEYS_FILE)
        self.key_server = KeyServer(keys)
        for options in public_key.values():
            trusted = pubkey_signing.provider_options(
                options["scheme"], keys, self.key_server.origin, self.config.region
            )
            for key, value in trusted.items():
                options.setdefault(key, value)

    def _declare(self, program_dir: Path) -> dict[str, Any]:
        request = {
            "program_dir": str(program_dir),
            "project": self.config.project,
            "stack": self.config.stack,
            "region": self.config.region,
            "moto_endpoint": self.moto.endpoint_url,
            "api_endpoint": self.api.url,
            "config": self.config.pulumi_config(),
            "secret_keys": self.config.secret_keys,
        }
        with tempfile.TemporaryDirectory(prefix="local-declare-") as scratch:
            request_path = Path(scratch) / "request.json"
            answer_path = Path(scratch) / "answer.json"
            request_path.write_text(json.dumps(request))
            request_path.chmod(0o600)
            done = subprocess.run(  # noqa: S603 - our interpreter, our module
                [sys.executable, "-m", "local.declare", str(request_path), str(answer_path)],
                cwd=REPO_ROOT,
                env={
                    **os.environ,
                    **FAKE_CREDENTIALS,
                    "AWS_DEFAULT_REGION": self.config.region,
                    # the program allows `keyOrigin` and http:// destinations here only
                    LOCAL_STACK_VARIABLE: "1",
                },
                capture_output=True,
                text=True,
                check=False,
                start_new_session=True,  # a Ctrl-C during start-up stops the stack after it
            )
            if not answer_path.exists():
                raise LocalStackError(
                    f"running the program under mocks failed:\n{done.stderr[-4000:]}"
                )
            answer = json.loads(answer_path.read_text())
        if "error" in answer:
            log.debug(answer["traceback"])
            kind, _, message = answer["error"].partition(": ")
            if kind == "ConfigError":  # the program's own config error, as `pulumi up` shows it
                raise LocalConfigError(message)
            raise LocalStackError(f"the program cannot run locally: {answer['error']}")
        return answer

    def _start_functions(self, program_dir: Path, pool_cap: int) -> None:
        functions = self.declaration["functions"]
        mapped = {self._function_arn(m["functionName"]): m for m in self.declaration["mappings"]}
        specs = {arn: self._function_spec(arn, f, program_dir) for arn, f in functions.items()}
        starters = []
        for arn, spec in specs.items():
            size = pool_cap
            reserved = _int(functions[arn].get("reservedConcurrentExecutions"), -1)
            if reserved > 0:
                size = min(size, reserved)
            if arn in mapped:
                scaling = mapped[arn].get("scalingConfig") or {}
                size = min(size, _int(scaling.get("maximumConcurrency"), size))
            log_path = self.state_dir / "logs" / f"{functions[arn]['logical']}.log"
            thread = threading.Thread(
                target=self._start_pool, args=(arn, spec, max(1, size), log_path)
            )
            thread.start()
            starters.append(thread)
        for thread in starters:
            thread.join()
        _write_atomic(  # which log is whose: `python -m ops rejections` reads the ingest one
            self.state_dir / "logs" / "functions.json",
            json.dumps({f["name"]: f"{f['logical']}.log" for f in functions.values()}, indent=2),
        )
        missing = set(specs) - set(self.pools)
        if missing:
            raise LocalStackError(f"worker processes did not start for {sorted(missing)}")

    def _start_pool(self, arn: str, spec: WorkerSpec, size: int, log_path: Path) -> None:
        self.pools[arn] = FunctionPool(spec, size, log_path, str(self.faults_path))

    def _code_dir(self, function: dict[str, Any], program_dir: Path) -> Path:
        """The function's code as Lambda sees it in /var/task: a FileArchive's directory as is,
        an AssetArchive of files unpacked into the state directory (what would be zipped)."""
        code = function.get("code") or {}
        if "path" in code:
            code_dir = (program_dir / code["path"]).resolve()
            if not code_dir.is_dir():
                raise LocalStackError(
                    f"function {function['logical']!r}: {code_dir} is no directory"
                )
            return code_dir
        assets = code.get("assets")
        if not assets or not all("path" in asset for asset in assets.values()):
            raise LocalStackError(
                f"function {function['logical']!r}: only a FileArchive directory or an "
                f"AssetArchive of FileAssets can run locally (got {sorted(code)})"
            )
        code_dir = self.state_dir / "code" / function["logical"]
        shutil.rmtree(code_dir, ignore_errors=True)
        for key, asset in assets.items():
            if (
                (program_dir / asset["path"])
                .resolve()
                .is_relative_to((program_dir / packages.BUILD_DIR).resolve())
            ):
                # Built for the runtime's Python and architecture; the workers run this
                # machine's interpreter, which imports the same pin from .venv instead.
                continue
            target = code_dir / key
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(program_dir / asset["path"], target)
        return code_dir

    def _function_spec(self, arn: str, function: dict[str, Any], program_dir: Path) -> WorkerSpec:
        code_dir = self._code_dir(function, program_dir)
        if not function.get("handler"):
            raise LocalStackError(f"function {function['logical']!r} declares no handler")
        declared = (function.get("environment") or {}).get("variables") or {}
        memory = _int(function.get("memorySize"), DEFAULT_LAMBDA_MEMORY)
        environment = {
            **{k: str(v) for k, v in declared.items()},
            "AWS_ENDPOINT_URL": self.moto.endpoint_url,
            **FAKE_CREDENTIALS,
            "AWS_REGION": self.config.region,
            "AWS_DEFAULT_REGION": self.config.region,
            "AWS_LAMBDA_FUNCTION_NAME": function["name"],
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function['name']}",
            "LAMBDA_TASK_ROOT": str(code_dir),
            "_HANDLER": function["handler"],
            "TZ": ":UTC",
            "LANG": "C.UTF-8",  # always installed, so Python adds no LC_CTYPE (PEP 538)
            "PYTHONDONTWRITEBYTECODE": "1",
            LOCAL_STACK_VARIABLE: "1",  # the handlers allow `key_origin` here only
        }
        return WorkerSpec(
            name=function["name"],
            arn=arn,
            handler=function["handler"],
            code_dir=str(code_dir),
            environment=environment,
            timeout_seconds=float(_int(function.get("timeout"), DEFAULT_LAMBDA_TIMEOUT)),
            memory_mb=memory,
        )

    def _function_arn(self, reference: str) -> str:
        """A mapping's or integration's function reference (name or ARN) → the function ARN."""
        for arn, function in self.declaration["functions"].items():
            if reference in (arn, function["name"], f"{arn}:$LATEST") or arn in reference:
                return arn
        raise LocalStackError(f"no declared function matches {reference!r}")

    def _start_pollers(self, pool_cap: int) -> None:
        sqs = self.client("sqs")
        queues = self.declaration["queues"]
        for mapping in self.declaration["mappings"]:
            source = mapping.get("eventSourceArn", "")
            if source in self.declaration.get("streams", {}):
                self._start_stream_poller(mapping)
                continue
            if source not in queues:
                raise LocalStackError(
                    f"event source mapping {mapping['logical']!r}: source {source!r} is not a "
                    "queue of this program (only SQS event sources run locally)"
                )
            if mapping.get("filterCriteria"):
                raise LocalStackError(
                    f"event source mapping {mapping['logical']!r}: filterCriteria is not run"
                )
            if mapping.get("enabled") is False:
                continue
            pool = self.pools[self._function_arn(mapping["functionName"])]
            scaling = mapping.get("scalingConfig") or {}
            spec = MappingSpec(
                queue_url=queues[source],
                queue_arn=source,
                region=self.config.region,
                batch_size=_int(mapping.get("batchSize"), 10),
                batching_window_seconds=float(mapping.get("maximumBatchingWindowInSeconds") or 0),
                report_batch_item_failures="ReportBatchItemFailures"
                in (mapping.get("functionResponseTypes") or []),
                maximum_concurrency=max(
                    1, min(_int(scaling.get("maximumConcurrency"), 5), pool.size)
                ),
            )
            poller = QueuePoller(sqs, spec, pool)
            poller.start()
            self.pollers.append(poller)

    def _start_stream_poller(self, mapping: dict[str, Any]) -> None:
        """A table stream mapping: its filters, retries, bisection and on-failure queue."""
        if mapping.get("enabled") is False:
            return
        queues = self.declaration["queues"]
        destination = ((mapping.get("destinationConfig") or {}).get("onFailure") or {}).get(
            "destinationArn"
        )
        if destination is not None and destination not in queues:
            raise LocalStackError(
                f"event source mapping {mapping['logical']!r}: on-failure destination "
                f"{destination!r} is not a queue of this program"
            )
        filters = tuple(
            json.loads(f["pattern"])
            for f in (mapping.get("filterCriteria") or {}).get("filters", [])
        )
        spec = StreamMappingSpec(
            stream_arn=mapping["eventSourceArn"],
            region=self.config.region,
            batch_size=_int(mapping.get("batchSize"), 100),
            filters=filters,
            report_batch_item_failures="ReportBatchItemFailures"
            in (mapping.get("functionResponseTypes") or []),
            bisect_on_error=bool(mapping.get("bisectBatchOnFunctionError")),
            maximum_retry_attempts=_int(mapping.get("maximumRetryAttempts"), -1),
            on_failure_queue_url=queues.get(destination) if destination else None,
            starting_position=mapping.get("startingPosition") or "TRIM_HORIZON",
        )
        pool = self.pools[self._function_arn(mapping["functionName"])]
        poller = StreamPoller(self.client("dynamodbstreams"), self.client("sqs"), spec, pool)
        poller.start()
        self.stream_pollers.append(poller)

    def _start_api(self) -> None:
        integrations = self.declaration["integrations"]
        routes = []
        for route in self.declaration["routes"]:
            target = route.get("target") or ""
            integration = integrations.get(target.removeprefix("integrations/"))
            if integration is None:
                raise LocalStackError(
                    f"route {route['logical']!r} ({route.get('routeKey')}) targets {target!r}, "
                    "which is no integration of this program"
                )
            if integration.get("integrationType") != "AWS_PROXY":
                raise LocalStackError(
                    f"integration {integration['logical']!r}: only AWS_PROXY (Lambda) runs locally"
                )
            if integration.get("payloadFormatVersion") != "2.0":
                raise LocalStackError(
                    f"integration {integration['logical']!r}: payload format "
                    f"{integration.get('payloadFormatVersion') or '1.0 (the default)'} is not "
                    "served locally; HTTP API Lambda integrations should use 2.0"
                )
            arn = self._function_arn(integration.get("integrationUri") or "")
            routes.append(Route(route["routeKey"], self.pools[arn]))
        # A function URL (`api.kind` functionUrl) gets every path and method, as on AWS; its
        # throttle is the function's reserved concurrency, i.e. its worker pool.
        for url in self.declaration.get("function_urls", ()):
            arn = self._function_arn(url.get("functionName") or "")
            routes.append(Route("$default", self.pools[arn]))
        self.api.set_routes(routes)
        stages = self.declaration["stages"]
        if stages:
            self.api.stage = stages[0]["name"]
            limits = stages[0].get("defaultRouteSettings") or {}
            if self._throttle and limits.get("throttlingRateLimit") is not None:
                self.api.throttle = TokenBucket(
                    float(limits["throttlingRateLimit"]),
                    _int(limits.get("throttlingBurstLimit"), 0),
                )
        if self.declaration["apis"]:
            self.api.api_id = next(iter(self.declaration["apis"]))
        self._api_thread = threading.Thread(target=self.api.serve_forever, daemon=True)
        self._api_thread.start()

    def _local_outputs(self, outputs: dict[str, Any]) -> dict[str, Any]:
        """The program's outputs; the webhook URLs point at this machine's HTTP server; with
        public-key senders, where `ops send` finds their test keys and key server."""
        outputs = dict(outputs)
        if self.key_server is not None:
            outputs["local_sender_keys"] = str(self.state_dir / SENDER_KEYS_FILE)
            outputs["local_key_origin"] = self.key_server.origin
        base = outputs.get("webhook_base_url")
        if isinstance(base, str) and not base.startswith(self.api.url):
            outputs["webhook_base_url"] = self.api.url + urlsplit(base).path
        urls = outputs.get("webhook_urls")
        if isinstance(urls, dict) and isinstance(outputs.get("webhook_base_url"), str):
            outputs["webhook_urls"] = {
                name: f"{outputs['webhook_base_url']}/{name}" for name in urls
            }
        return outputs


def _started(part: _Part | None, name: str) -> _Part:
    """A part `LocalStack._start` sets up; an error if the stack never got that far."""
    if part is None:
        raise LocalStackError(f"the local stack has no {name}: use LocalStack.start()")
    return part


def _int(value: Any, default: int) -> int:
    return default if value is None else int(value)


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_suffix(path.suffix + ".tmp")
    scratch.write_text(text)
    os.replace(scratch, path)
