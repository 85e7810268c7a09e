"""What the GitHub workflows promise (actionlint checks their syntax in `make lint`)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
CHECKS = ["make test", "make lint typecheck"]


def _load(name: str) -> dict[str, Any]:
    workflow = yaml.safe_load((WORKFLOWS / name).read_text())
    # YAML 1.1 reads the key `on` as True.
    workflow["on"] = workflow.pop(True, workflow.get("on"))
    return workflow


def _steps(job: dict[str, Any], uses: str) -> list[dict[str, Any]]:
    return [s for s in job.get("steps", []) if str(s.get("uses", "")).startswith(uses)]


def _runs(job: dict[str, Any]) -> list[str]:
    return [s["run"] for s in job["steps"] if "run" in s]


def test_ci_runs_the_tests_then_the_checks() -> None:
    """.ci/run and the workflows' test jobs run the same make targets, in the same order."""
    script = (ROOT / ".ci" / "run").read_text().splitlines()
    assert [line for line in script if line.startswith("make ")] == CHECKS
    makefile = (ROOT / "Makefile").read_text()
    recipe = re.search(r"^test: .*\n((?:\t.*\n)+)", makefile, re.M)
    # all tests (spread over the cores), nothing else: no test path, no marker, no lint
    assert (
        recipe and recipe.group(1) == "\t$(PY) -m pytest -n auto --maxprocesses 4 --dist loadfile\n"
    )


def _pulumi(job: dict[str, Any]) -> dict[str, Any]:
    [step] = _steps(job, "pulumi/actions@")
    return step


def _assumes_the_deploy_role(job: dict[str, Any]) -> None:
    assert job["permissions"]["id-token"] == "write"
    [aws] = _steps(job, "aws-actions/configure-aws-credentials@")
    assert aws["with"]["role-to-assume"] == "${{ vars.AWS_DEPLOY_ROLE_ARN }}"
    step = _pulumi(job)
    assert step["with"]["cloud-url"] == "${{ secrets.PULUMI_BACKEND_URL }}"
    assert step["env"]["PULUMI_ACCESS_TOKEN"] == "${{ secrets.PULUMI_ACCESS_TOKEN }}"
    assert step["with"]["policyPacks"] == "policy"


def test_pull_requests_run_the_tests_and_preview_each_stack() -> None:
    workflow = _load("pull-request.yml")
    assert "pull_request" in workflow["on"]
    assert _runs(workflow["jobs"]["test"]) == CHECKS
    preview = workflow["jobs"]["preview"]
    assert preview["strategy"]["matrix"]["stack"] == ["dev", "prod"]
    assert preview["permissions"]["pull-requests"] == "write"
    step = _pulumi(preview)
    assert step["with"]["command"] == "preview"
    assert step["with"]["comment-on-pr"] is True
    assert step["with"]["diff"] is True
    _assumes_the_deploy_role(preview)
    # The offline preflight of the same stack runs first, before any credentials are taken.
    runs = [str(s.get("run", "")) for s in preview["steps"]]
    preflight = runs.index(".venv/bin/python -m ops preflight --stack ${{ matrix.stack }}")
    assert preflight < preview["steps"].index(step)
    assert preflight < preview["steps"].index(
        _steps(preview, "aws-actions/configure-aws-credentials@")[0]
    )


def test_main_deploys_dev_then_prod_behind_its_environment() -> None:
    workflow = _load("deploy.yml")
    assert workflow["on"]["push"]["branches"] == ["main"]
    jobs = workflow["jobs"]
    assert _runs(jobs["test"]) == CHECKS
    assert jobs["dev"]["needs"] == "test"
    assert jobs["prod"]["needs"] == "dev"
    for stack in ("dev", "prod"):
        assert jobs[stack]["environment"] == stack  # prod: required reviewers (docs/development.md)
        step = _pulumi(jobs[stack])
        assert (step["with"]["command"], step["with"]["stack-name"]) == ("up", stack)
        _assumes_the_deploy_role(jobs[stack])
    assert workflow["concurrency"]["cancel-in-progress"] is False


def test_drift_check_fails_on_any_change() -> None:
    workflow = _load("drift.yml")
    assert workflow["on"]["schedule"]
    job = workflow["jobs"]["drift"]
    assert job["strategy"]["matrix"]["stack"] == ["dev", "prod"]
    step = _pulumi(job)
    assert step["with"]["command"] == "preview"
    assert step["with"]["expect-no-changes"] is True
    assert step["with"]["refresh"] is True
    _assumes_the_deploy_role(job)


@pytest.mark.parametrize("kind", ["secrets", "vars"])
def test_every_secret_and_variable_is_documented(kind: str) -> None:
    guide = (ROOT / "docs" / "development.md").read_text()
    section = guide[guide.index("## Continuous integration and delivery") :]
    used = set()
    for path in [*WORKFLOWS.glob("*.yml"), *(ROOT / ".github" / "actions").rglob("*.yml")]:
        used |= set(re.findall(rf"\b{kind}\.([A-Z_]+)", path.read_text()))
    used.discard("GITHUB_TOKEN")  # GitHub's own
    assert used
    assert {name for name in used if f"`{name}`" not in section} == set()
