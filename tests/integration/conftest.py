"""The stack the end-to-end tests drive: `WEBHOOKS_OUTPUTS`, else a local stack (see harness)."""

import json
import os

import pytest

from ops import outputs
from tests.integration.harness import LOCAL_OVERRIDES, Pipeline


@pytest.fixture(scope="session")
def _stack(tmp_path_factory):
    given = os.environ.get(outputs.ENV_VAR)
    if given:
        yield outputs.load(given).values, {outputs.ENV_VAR: given}, None
        return
    from local import LocalStack

    state_dir = tmp_path_factory.mktemp("local-stack")
    local = LocalStack.start(stack="dev", overrides=LOCAL_OVERRIDES, state_dir=state_dir)
    try:
        path = state_dir / "outputs-for-tests.json"
        path.write_text(json.dumps(local.outputs))
        yield dict(local.outputs), {**local.client_env(), outputs.ENV_VAR: str(path)}, local
    finally:
        local.stop()


@pytest.fixture
def pipeline(_stack, monkeypatch) -> Pipeline:
    """The stack, with this test's environment pointing boto3 and `python -m ops` at it.

    Set per test (not for the session), so other test packages never see `AWS_ENDPOINT_URL`.
    """
    _, env, local = _stack
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Pipeline(outputs.load(env[outputs.ENV_VAR]), env, local)


@pytest.fixture
def local_only(pipeline) -> None:
    if pipeline.local is None:
        pytest.skip("needs the local runtime's fault injection (WEBHOOKS_OUTPUTS names a stack)")
