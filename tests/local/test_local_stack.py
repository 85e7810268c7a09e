"""The real program as a local stack: outputs, realized resources, deliveries, the CLI."""

import hashlib
import hmac
import http.client
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from local import LocalStack, LocalStackError
from local.pool import REPO_ROOT
from ops import events
from tests.contract import OUTPUTS

RUNTIME_VARIABLES = {
    "AWS_ENDPOINT_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "LAMBDA_TASK_ROOT",
    "_HANDLER",
    "TZ",
    "LANG",
    "PYTHONDONTWRITEBYTECODE",
    "WEBHOOKS_LOCAL_STACK",
}


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    state = tmp_path_factory.mktemp("local-state")
    with LocalStack.start(
        stack="dev", overrides={"processor.timeoutSeconds": 2}, state_dir=state, throttle=True
    ) as running:
        yield running


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict]:
    parts = urlsplit(url)
    assert parts.hostname is not None, f"no host in {url!r}"
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request("POST", parts.path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def github_delivery(stack, body: bytes, secret: str | None = None, delivery_id: str = ""):
    secret = stack.dev_secrets["github"] if secret is None else secret
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    headers = {
        "content-type": "application/json",
        "x-github-event": "push",
        "x-github-delivery": delivery_id or str(uuid.uuid4()),
        "x-hub-signature-256": f"sha256={signature}",
    }
    return post(stack.outputs["webhook_urls"]["github"], body, headers)


def stored_item(stack, provider: str, delivery_id: str, timeout: float = 30.0):
    dynamodb = stack.client("dynamodb")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        # the event stored for the id, through its alias when the provider dedupes by content
        item = events.get_event(dynamodb, stack.outputs["table_name"], provider, delivery_id)
        if item:
            return item
        time.sleep(0.2)
    return None


def test_outputs_have_the_contract_shape_and_local_urls(stack):
    assert set(stack.outputs) >= OUTPUTS
    assert json.loads(stack.outputs_path.read_text()) == stack.outputs
    assert stack.outputs["webhook_base_url"] == f"{stack.api_url}/webhooks"
    assert stack.outputs["webhook_urls"] == {
        name: f"{stack.api_url}/webhooks/{name}" for name in stack.outputs["providers"]
    }
    env = stack.env_path.read_text()
    assert f"export AWS_ENDPOINT_URL={stack.endpoint_url}\n" in env
    assert f"export WEBHOOKS_OUTPUTS={stack.outputs_path}\n" in env


def test_every_declared_resource_is_realized_recorded_or_accepted(stack):
    statuses = {r["status"] for r in stack.declaration["resources"]}
    assert statuses <= {"realized", "recorded", "accepted", "component"}
    realized = {r["type"] for r in stack.declaration["resources"] if r["status"] == "realized"}
    assert {
        "aws:sqs/queue:Queue",
        "aws:dynamodb/table:Table",
        "aws:s3/bucket:Bucket",
        "aws:secretsmanager/secret:Secret",
        "aws:secretsmanager/secretVersion:SecretVersion",
    } <= realized


def test_the_program_settings_drive_the_emulator(stack):
    attributes = stack.client("sqs").get_queue_attributes(
        QueueUrl=stack.outputs["queue_url"], AttributeNames=["All"]
    )["Attributes"]
    assert attributes["VisibilityTimeout"] == "12"  # 6 x processor.timeoutSeconds=2 (--set)
    redrive = json.loads(attributes["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"] == stack.outputs["dlq_arn"]
    assert redrive["maxReceiveCount"] == stack.outputs["max_receive_count"]
    (mapping,) = stack.pollers
    assert mapping.spec.report_batch_item_failures is True
    assert mapping.pool.spec.timeout_seconds == 2


def test_throttling_uses_the_stages_declared_limits(stack):
    (stage,) = stack.declaration["stages"]
    limits = stage["defaultRouteSettings"]
    assert stack.api.throttle.rate == limits["throttlingRateLimit"]
    assert stack.api.throttle.burst == limits["throttlingBurstLimit"]


def test_functions_get_their_declared_environment_plus_the_runtime_only(stack):
    for arn, function in stack.declaration["functions"].items():
        declared = function["environment"]["variables"]
        environment = stack.pools[arn].spec.environment
        assert {k: environment[k] for k in declared} == declared
        assert set(environment) - set(declared) == RUNTIME_VARIABLES
        assert environment["AWS_ENDPOINT_URL"] == stack.endpoint_url


def test_dev_secrets_are_in_secrets_manager(stack):
    secrets = stack.client("secretsmanager")
    for provider, arn in stack.outputs["provider_secret_arns"].items():
        value = json.loads(secrets.get_secret_value(SecretId=arn)["SecretString"])
        assert value["secrets"][0] == stack.dev_secrets[provider]


def test_signed_delivery_is_stored_and_forged_one_is_rejected(stack):
    delivery_id = str(uuid.uuid4())
    body = json.dumps({"ref": "refs/heads/main"}).encode()
    status, answer = github_delivery(stack, body, delivery_id=delivery_id)
    assert status == 202, answer
    item = stored_item(stack, "github", delivery_id)
    assert item is not None and item["body_sha256"]["S"] == hashlib.sha256(body).hexdigest()

    forged_id = str(uuid.uuid4())
    status, _ = github_delivery(stack, body, secret="wrong", delivery_id=forged_id)
    assert status == 401
    assert stored_item(stack, "github", forged_id, timeout=2) is None


def test_unknown_route_is_404(stack):
    assert post(f"{stack.api_url}/nowhere", b"{}", {}) == (404, {"message": "Not Found"})


def test_killed_processor_restarts_and_keeps_storing(stack):
    before = stack.processor_pool().stats["restarts"]
    assert stack.kill_processor() >= 1
    delivery_id = str(uuid.uuid4())
    status, _ = github_delivery(stack, b'{"after":"kill"}', delivery_id=delivery_id)
    assert status == 202
    assert stored_item(stack, "github", delivery_id) is not None
    assert stack.processor_pool().stats["restarts"] > before


def test_faults_reach_the_processor_from_the_runtime(stack):
    stack.set_faults(poison_markers=["poison-marker"])
    try:
        delivery_id = f"poison-marker-{uuid.uuid4()}"
        status, _ = github_delivery(stack, b'{"poison":true}', delivery_id=delivery_id)
        assert status == 202
        deadline = time.monotonic() + 20
        while stack.processor_pool().stats["poisoned"] == 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert stack.processor_pool().stats["poisoned"] >= 1
        assert stored_item(stack, "github", delivery_id, timeout=1) is None
    finally:
        stack.clear_faults()
    assert stored_item(stack, "github", delivery_id, timeout=30) is not None  # redelivered


UNREALIZABLE_PROGRAM = """
    import pulumi_aws as aws

    aws.sqs.Queue("fine")
    aws.ec2.Vpc("main-vpc", cidr_block="10.0.0.0/16")
"""


def test_an_unrealizable_declaration_fails_loudly_naming_it(tmp_path):
    program = tmp_path / "program"
    program.mkdir()
    (program / "Pulumi.yaml").write_text("name: webhooks\nruntime: python\n")
    (program / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    (program / "__main__.py").write_text(textwrap.dedent(UNREALIZABLE_PROGRAM))
    with pytest.raises(LocalStackError) as raised:
        LocalStack.start(program_dir=program, state_dir=tmp_path / "state")
    assert "aws:ec2/vpc:Vpc" in str(raised.value)
    assert "'main-vpc'" in str(raised.value)


def _processes_mentioning(*texts: str) -> dict[int, str]:
    """pid → command line of the processes whose command line contains all `texts`."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if all(text in command for text in texts):
                found[int(entry.name)] = command
    return found


def test_cli_banner_sigusr1_kills_the_processor_and_ctrl_c_stops_cleanly(tmp_path):
    state = tmp_path / "cli-state"
    command = [sys.executable, "-m", "local", "--set", "processor.timeoutSeconds=2"]
    process = subprocess.Popen(  # noqa: S603 - our interpreter running our module
        [*command, "--state-dir", str(state)],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, like a job in a terminal
    )
    assert process.stdout is not None  # stdout=PIPE
    lines = []
    try:
        for line in process.stdout:
            lines.append(line)
            if line.startswith("Stop:"):
                break
        banner = "".join(lines)
        outputs = json.loads((state / "outputs.json").read_text())
        for url in outputs["webhook_urls"].values():
            assert url in banner
        assert f"python -m ops send {next(iter(outputs['providers']))}" in banner
        assert "source " in banner and "AWS_ENDPOINT_URL" in banner
        processors = set(_processes_mentioning(str(state), "process.handler"))
        assert processors  # the processor's workers are running
        process.send_signal(signal.SIGUSR1)  # kill them: they are replaced
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            now = set(_processes_mentioning(str(state), "process.handler"))
            if len(now) == len(processors) and not now & processors:
                break
            time.sleep(0.2)
        assert len(now) == len(processors) and not now & processors
        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C: the whole foreground group gets it
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
    rest = process.stdout.read()
    assert "Stopped." in rest
    assert "Traceback" not in rest
    assert _processes_mentioning(str(state)) == {}  # no worker left behind
