"""The local stack: the Pulumi program itself, realized in moto and run on this machine.

`python -m local` (= `make local`) runs it in the foreground. Tests, the drill and the benchmark
use the Python API:

    from local import LocalStack

    # LocalStack.start(stack="dev", overrides=None, port=0, state_dir=<repo>/.local,
    #                  program_dir=<repo>, pool_cap=4, throttle=False) -> LocalStack
    # raises LocalStackError (config, program or resource it cannot run, naming it)
    with LocalStack.start(stack="dev", overrides={"processor.timeoutSeconds": 2}) as stack:
        stack.outputs            # same shape as `pulumi stack output --json` (also written to
                                 # stack.outputs_path, .local/outputs.json by default)
        stack.endpoint_url       # the moto endpoint, for AWS_ENDPOINT_URL
        stack.client("sqs")      # a boto3 client for the emulator
        stack.client_env()       # env vars for a subprocess such as `python -m ops`
        stack.dev_secrets        # provider -> the signing secret in Secrets Manager
        stack.set_faults(put_item_failure_rate=0.2, poison_markers=["poison-"])
        stack.clear_faults()
        stack.kill_processor(down_for=0.0)   # SIGKILL the process workers; they restart
                                             # after down_for seconds; returns how many
        stack.stats()            # invocations, errors, restarts, injected faults, poller counts
        stack.api_url, stack.outputs_path, stack.env_path, stack.faults_path, stack.declaration

How it works: `local.declare` runs `__main__.py` under `pulumi.runtime.set_mocks` with
`local.realize.MotoMocks`, which creates queues, table, bucket, secrets and the event bus with
its rules and targets in a moto server (`local.motoserver`) and records functions, event source
mappings, the HTTP API and function URLs; anything else must be in its accepted list or the run
fails naming the resource. Each function runs in a pool of worker processes (`local.pool`,
`local.worker`) with exactly its declared environment plus `AWS_ENDPOINT_URL`; `local.httpapi`
serves the declared routes and function URLs with payload-2.0 events; `local.poller` runs each
SQS event source mapping and `local.streampoller` each DynamoDB stream mapping; `local.faults`
injects DynamoDB failures from a control file, from the runtime and never from handler code.
"""

import hookgate  # noqa: F401  (puts the handlers' `webhooks` package on the path)
from local.errors import LocalStackError
from local.stack import LocalStack

__all__ = ["LocalStack", "LocalStackError"]
