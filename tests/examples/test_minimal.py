"""examples/minimal as another program installs hookgate: the wheel built from this repository,
installed with the example's dependencies into a fresh environment (nothing of the repository on
its path), and the example run there under Pulumi's mocks."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_DIR = ROOT / "examples" / "minimal"
# The mock runtime tests/components runs the example with: plain modules (pulumi and stdlib).
HARNESS = [ROOT / "local" / "mockrun.py", ROOT / "local" / "awsmocks.py"]
RUNNER = """
import json, sys
from pathlib import Path

harness, program = map(Path, sys.argv[1:])
sys.path.insert(0, str(harness))
from awsmocks import AwsMocks
from mockrun import run_program

import hookgate
from hookgate.components import packages

config = {"webhooks-minimal:githubSecret": "gh", "webhooks-minimal:stripeSecret": "whsec_eA=="}
stack = run_program(
    program, project="webhooks-minimal", stack="example", config=config,
    secret_keys=list(config), aws=AwsMocks(),
)
code = {
    r.inputs["name"]: {
        key: str((program / asset.path).resolve())
        for key, asset in r.inputs["code"].assets.items() if "/" not in key
    }
    for r in stack.of_type("aws:lambda/function:Function")
}
print(json.dumps({
    "hookgate": hookgate.__file__,
    "resources": sorted({r.type for r in stack.resources}),
    "queues": sorted(r.inputs["name"] for r in stack.of_type("aws:sqs/queue:Queue")),
    "code": code,
    "outputs": sorted(stack.outputs),
    "lock_file": str(packages.LOCK_FILE),
    "runtime_wheels": [w.name for w in packages.locked_wheels(packages.scheme_requirements())],
}))
"""


def _uv() -> str:
    uv = Path(sys.prefix) / ".uv" / "bin" / "uv"
    if not uv.exists():
        pytest.skip("needs the uv make installs (.venv built with WEBHOOKS_INSTALLER=pip)")
    return str(uv)


def _run(*command: str | Path, cwd: Path = ROOT) -> str:
    done = subprocess.run(  # noqa: S603 - uv and the fresh venv's python, our arguments
        [str(part) for part in command], cwd=cwd, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"{command}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _install(uv: str, python: Path, requirements: list[str]) -> None:
    """From uv's cache when it has everything (no index request), else from the index; at the
    lock's versions either way."""
    command = [uv, "pip", "install", "--python", str(python), "-c", "constraints.txt"]
    done = subprocess.run(  # noqa: S603 - the pinned uv
        [*command, "--offline", *requirements], cwd=ROOT, capture_output=True, check=False
    )
    if done.returncode != 0:
        _run(*command, *requirements)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    uv, work = _uv(), tmp_path_factory.mktemp("example")
    _run(uv, "build", "--wheel", "--out-dir", work / "dist", ROOT)
    [wheel] = (work / "dist").glob("hookgate-*.whl")
    _run(uv, "venv", "--quiet", "--python", sys.executable, work / "venv")
    python = work / "venv" / "bin" / "python"
    project = tomllib.loads((EXAMPLE_DIR / "pyproject.toml").read_text())["project"]
    dependencies = project["dependencies"]
    assert "hookgate" in dependencies
    _install(uv, python, [str(wheel) if d == "hookgate" else d for d in dependencies])
    program = work / "program"  # the example alone, away from the repository
    shutil.copytree(EXAMPLE_DIR, program, ignore=shutil.ignore_patterns(".venv", "__pycache__"))
    for module in HARNESS:
        (work / "harness").mkdir(exist_ok=True)
        shutil.copy(module, work / "harness" / module.name)
    out = _run(python, "-I", "-c", RUNNER, work / "harness", program, cwd=program)
    result: dict[str, Any] = json.loads(out.splitlines()[-1])
    result["site"] = str(work / "venv")
    return result


def test_the_example_imports_hookgate_from_its_own_environment(installed: dict[str, Any]) -> None:
    assert installed["hookgate"].startswith(installed["site"])
    assert Path(installed["lock_file"]).is_relative_to(installed["site"])


def test_the_example_builds_its_functions_and_queue(installed: dict[str, Any]) -> None:
    assert set(installed["code"]) >= {"webhooks-ingest-example", "webhooks-process-example"}
    assert "webhooks-queue-example" in installed["queues"]
    assert {"webhook_urls", "table_name", "alarm_topic_arn"} <= set(installed["outputs"])


def test_the_functions_ship_the_handlers_from_the_wheel(installed: dict[str, Any]) -> None:
    handlers = Path(installed["hookgate"]).parent / "handlers"
    ingest = installed["code"]["webhooks-ingest-example"]
    assert {"ingest.py", "process.py", "publish.py"} <= set(ingest)
    assert Path(ingest["ingest.py"]) == handlers / "ingest.py"


def test_the_installed_package_chooses_the_functions_wheels_from_its_lock_data(
    installed: dict[str, Any],
) -> None:
    assert installed["runtime_wheels"] == ["cffi", "cryptography", "pycparser"]
