"""`python -m local` (= `make local`): run the local stack in the foreground until Ctrl-C.

    python -m local [--stack dev|prod] [--port 8080] [--set processor.timeoutSeconds=2 ...]
                    [--throttle] [--state-dir .local]
    make local ARGS="--set processor.timeoutSeconds=2 --port 8080"

The state directory belongs to one running stack (a second one on it is refused, naming the
first's PID); a config the program would refuse is refused here with the program's words.

SIGINT and SIGTERM stop everything cleanly (exit 0); SIGUSR1 kills the processor's workers,
which restart at once (what the reliability drill does mid-run).
"""

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path

from local.config import parse_override, secret_env_var
from local.errors import LocalConfigError
from local.stack import LOCK_FILE, LocalStack, LocalStackError


def _subscriber_lines(stack: LocalStack) -> list[str]:
    """Managed subscriber queues, and every rule target the emulator cannot deliver to."""
    queues = stack.outputs.get("subscriber_queue_urls") or {}
    undelivered = stack.declaration.get("undelivered") or []
    if not queues and not undelivered:
        return []
    lines = [f"Event bus: {stack.outputs.get('bus_name')}; subscriber queues:"]
    lines += [f"  {name}  {url}" for name, url in sorted(queues.items())]
    for target in undelivered:
        lines.append(
            f"  NOT DELIVERED LOCALLY: rule {target['rule']} -> {target['target']}"
            f" ({target['reason']})"
        )
    return [*lines, ""]


def banner(stack: LocalStack) -> str:
    """What a developer needs to use the running stack, copy-pasteable."""
    outputs = stack.outputs
    providers = outputs.get("providers") or {}
    urls = outputs.get("webhook_urls") or {}
    width = max((len(name) for name in urls), default=8)
    try:
        state = stack.state_dir.relative_to(Path.cwd())
    except ValueError:
        state = stack.state_dir
    lines = [
        "",
        f"Local stack '{stack.config.stack}' of {stack.config.project} is up: the Pulumi "
        "program, realized in moto on this machine.",
        "",
        "Webhook endpoints (POST):",
        *(
            f"  {name:<{width}}  {url}   ({providers.get(name, '?')})"
            for name, url in sorted(urls.items())
        ),
        "",
        "Signing secrets (in Secrets Manager; set WEBHOOKS_SECRET_<PROVIDER> to choose one):",
        *(
            f"  {name:<{width}}  {secret}   "
            f"({stack.config.secret_sources.get(name, 'given')}; ${secret_env_var(name)})"
            for name, secret in sorted(stack.dev_secrets.items())
        ),
        "",
        f"Outputs (as `pulumi stack output --json`):  {state}/outputs.json",
        f"AWS emulator (AWS_ENDPOINT_URL):            {stack.endpoint_url}",
        f"Environment for another shell:              source {state}/env",
        f"Function logs:                              {state}/logs/",
        f"Fault injection control file:               {state}/faults.json",
        "",
        *_subscriber_lines(stack),
        "Send a signed test webhook (another shell):",
        f"  source {state}/env",
        f"  .venv/bin/python -m ops send {_example_provider(providers)}",
        "  .venv/bin/python -m ops events list",
        "",
        f"Stop: Ctrl-C (or kill -TERM {os.getpid()}).",
        "",
    ]
    if stack.took_over:
        lines.insert(
            1,
            f"Note: took over {state}/{LOCK_FILE} from PID {stack.took_over}, which is not running"
            " (a stack that was killed).",
        )
    return "\n".join(lines)


def _example_provider(providers: dict[str, str]) -> str:
    """The first provider: `ops send` signs for every scheme, so any one makes the example."""
    return next(iter(providers), "<provider>")


def parser() -> argparse.ArgumentParser:
    """The command line of `python -m local` (tests parse the documented commands with it)."""
    parser = argparse.ArgumentParser(prog="python -m local", description=__doc__.split("\n")[0])
    parser.add_argument("--stack", default="dev", help="stack config to run (default: dev)")
    parser.add_argument("--port", type=int, default=0, help="HTTP port (default: a free one)")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config value like `pulumi config set --path`, e.g. "
        "processor.timeoutSeconds=2 (repeatable; default: the stack file's values)",
    )
    parser.add_argument(
        "--state-dir",
        default=".local",
        help="outputs, env, logs and the lock of this stack; one running stack per directory "
        "(default: .local)",
    )
    parser.add_argument(
        "--throttle",
        action="store_true",
        help="apply the stage's declared throttling limits (429 beyond them), as API Gateway "
        "does (default: off)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        overrides = dict(parse_override(text) for text in args.set)
        print(f"Starting the local stack '{args.stack}'...", flush=True)
        stack = LocalStack.start(
            stack=args.stack,
            overrides=overrides,
            port=args.port,
            state_dir=args.state_dir,
            throttle=args.throttle,
        )
    except LocalConfigError as error:
        print(f"config error: {error}", file=sys.stderr)
        return 1
    except LocalStackError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1

    signal.signal(signal.SIGUSR1, lambda *_: stack.kill_processor())
    failure = None
    try:
        print(banner(stack), flush=True)
        while not stop.wait(0.5):
            failure = stack.failure()
            if failure:  # fail loudly: stop everything rather than answer 503 forever
                print(f"error: {failure}; stopping the local stack", file=sys.stderr, flush=True)
                break
    finally:
        print("Stopping the local stack...", flush=True)
        stack.stop()
    print("Stopped.", flush=True)
    return 1 if failure else 0


if __name__ == "__main__":
    sys.exit(main())
