"""Worker processes run handlers as Lambda does; the fault hook works from outside handler code."""

import json
import os
import threading
import time

import pytest

from local.pool import REPO_ROOT, FunctionPool, WorkerSpec

HANDLERS = {
    "echo": """
        import os
        import sys

        def handler(event, context):
            return {
                "env": dict(os.environ),
                "path0": sys.path[0],
                "sys_path": sys.path,
                "cwd": os.getcwd(),
                "remaining": context.get_remaining_time_in_millis(),
                "request_id": context.aws_request_id,
                "function_name": context.function_name,
                "event": event,
            }
    """,
    "boom": """
        def handler(event, context):
            raise ValueError("nope")
    """,
    "broken": """
        raise ImportError("missing dependency")
    """,
    "sleepy": """
        import time

        def handler(event, context):
            time.sleep(event["seconds"])
            return "slept"
    """,
    "store": """
        import os

        import boto3

        table = boto3.client("dynamodb")

        def handler(event, context):
            try:
                table.put_item(
                    TableName=os.environ["TABLE_NAME"],
                    Item={"pk": {"S": event["pk"]}},
                )
            except Exception as error:  # botocore's ClientError carries the AWS error code
                return error.response["Error"]["Code"]
            return "stored"
    """,
    "publish": """
        import boto3

        bus = boto3.client("events")

        def handler(event, context):
            entry = {"Source": "test", "DetailType": "t", "Detail": "{}", "EventBusName": "b"}
            return bus.put_events(Entries=[entry])["FailedEntryCount"]
    """,
}


@pytest.fixture(scope="module")
def code_dir(tmp_path_factory, write_code):
    return str(write_code(tmp_path_factory.mktemp("code"), HANDLERS))


@pytest.fixture(scope="module")
def make_pool(tmp_path_factory, code_dir, runtime_env):
    pools: list[FunctionPool] = []
    logs = tmp_path_factory.mktemp("logs")

    def make(handler, size=1, timeout=3.0, faults="", **env):
        spec = WorkerSpec(
            name=f"fn-{handler.replace('.', '-')}",
            arn=f"arn:aws:lambda:eu-west-1:123456789012:function:fn-{len(pools)}",
            handler=handler,
            code_dir=code_dir,
            environment=runtime_env(**env),
            timeout_seconds=timeout,
        )
        pool = FunctionPool(spec, size, logs / f"{len(pools)}.log", faults)
        pools.append(pool)
        return pool

    yield make
    for pool in pools:
        pool.close()


def test_handler_runs_with_exactly_the_declared_environment_and_lambda_sys_path(
    make_pool, code_dir
):
    pool = make_pool("echo.handler", QUEUE_URL="http://queue")
    invocation = pool.invoke({"hello": "world"})
    assert invocation.ok, invocation.error
    result = invocation.result
    assert result["env"] == pool.spec.environment
    assert result["env"]["QUEUE_URL"] == "http://queue"
    assert result["path0"] == code_dir
    assert str(REPO_ROOT) not in result["sys_path"]  # nothing of the repository leaks in
    assert "" not in result["sys_path"]
    assert result["cwd"] == code_dir
    assert 0 < result["remaining"] <= 3000
    assert result["function_name"] == pool.spec.name
    assert result["event"] == {"hello": "world"}


def test_handler_exception_is_a_function_error(make_pool):
    invocation = make_pool("boom.handler").invoke({})
    assert not invocation.ok
    assert invocation.error["errorType"] == "ValueError"
    assert invocation.error["errorMessage"] == "nope"


def test_init_error_fails_every_invocation(make_pool):
    pool = make_pool("broken.handler")
    for _ in range(2):
        invocation = pool.invoke({})
        assert not invocation.ok
        assert invocation.error["errorType"] == "Runtime.ImportModuleError"


def test_timeout_is_a_function_error_and_the_worker_is_replaced(make_pool):
    pool = make_pool("sleepy.handler", timeout=1.0)
    invocation = pool.invoke({"seconds": 5})
    assert not invocation.ok and invocation.error["errorType"] == "Sandbox.Timedout"
    assert pool.invoke({"seconds": 0}).result == "slept"
    assert pool.stats["restarts"] == 1


def test_killed_worker_fails_its_invocation_and_restarts(make_pool):
    pool = make_pool("sleepy.handler", size=2, timeout=10.0)
    results = []
    thread = threading.Thread(target=lambda: results.append(pool.invoke({"seconds": 5})))
    thread.start()
    time.sleep(1.0)
    assert pool.kill() == 2
    thread.join(timeout=10)
    (killed,) = results
    assert not killed.ok and killed.error["errorType"] == "Runtime.ExitError"
    assert "signal 9" in killed.error["errorMessage"]
    assert pool.invoke({"seconds": 0}).ok
    assert pool.stats["restarts"] >= 2


@pytest.fixture(scope="module")
def table(aws):
    aws("dynamodb").create_table(
        TableName="faults",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return "faults"


def test_fault_file_injects_transient_failures_and_poison(make_pool, table, tmp_path):
    faults = tmp_path / "faults.json"
    pool = make_pool("store.handler", faults=str(faults), TABLE_NAME=table)
    assert pool.invoke({"pk": "a"}).result == "stored"

    faults.write_text(json.dumps({"put_item_failure_rate": 1.0}))
    assert pool.invoke({"pk": "b"}).result == "ProvisionedThroughputExceededException"
    faults.write_text(
        json.dumps({"put_item_failure_rate": 1.0, "put_item_failure_code": "ThrottlingException"})
    )
    assert pool.invoke({"pk": "b"}).result == "ThrottlingException"

    faults.write_text(json.dumps({"poison_markers": ["poison-"]}))
    assert pool.invoke({"pk": "poison-1"}).result == "ValidationException"
    assert pool.invoke({"pk": "c"}).result == "stored"

    faults.write_text(json.dumps({}))  # the poison cause removed: the same item now stores
    assert pool.invoke({"pk": "poison-1"}).result == "stored"
    assert pool.stats["throttled"] == 2 and pool.stats["poisoned"] == 1


def test_injected_put_events_failures_are_counted(make_pool, tmp_path):
    faults = tmp_path / "faults.json"
    faults.write_text(json.dumps({"put_events_failure_rate": 1.0}))
    pool = make_pool("publish.handler", faults=str(faults))
    assert [pool.invoke({}).result for _ in range(3)] == [1, 1, 1]
    assert pool.stats["put_events_failed"] == 3


def test_fault_rate_is_a_rate(tmp_path):
    from local.faults import FaultInjector

    faults = tmp_path / "faults.json"
    faults.write_text(json.dumps({"put_item_failure_rate": 0.2}))
    injector = FaultInjector(str(faults))
    failed = sum(injector.put_item_fault({"pk": {"S": str(i)}}) is not None for i in range(5000))
    assert 800 < failed < 1200
    os.remove(faults)
    assert injector.put_item_fault({"pk": {"S": "x"}}) is None


def test_a_pool_whose_workers_cannot_start_says_so(tmp_path, runtime_env):
    """A worker that exits in its init phase (here: its code directory is gone) would leave
    invocations waiting for ever; the pool reports it, and the local stack stops on it."""
    spec = WorkerSpec(
        name="fn-broken",
        arn="arn:aws:lambda:eu-west-1:123456789012:function:fn-broken",
        handler="echo.handler",
        code_dir=str(tmp_path / "missing"),
        environment=runtime_env(),
        timeout_seconds=3.0,
    )
    pool = FunctionPool(spec, 2, tmp_path / "broken.log")
    try:
        assert pool.failure is not None
        assert "fn-broken" in pool.failure and "cannot start" in pool.failure
    finally:
        pool.close()


def test_a_healthy_pool_reports_no_failure(make_pool):
    pool = make_pool("echo.handler")
    assert pool.invoke({}).ok
    assert pool.failure is None
