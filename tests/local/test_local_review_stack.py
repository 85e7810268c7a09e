"""Any stack name runs locally: a review stack whose stack file is a copy of Pulumi.dev.yaml."""

import shutil
import uuid

from local import LocalStack
from local.pool import REPO_ROOT
from tests.local.test_local_stack import github_delivery, stored_item

PROGRAM = ("Pulumi.yaml", "__main__.py", "hookgate")


def test_review_stack_from_a_copied_dev_file_runs_under_its_own_names(tmp_path):
    program = tmp_path / "program"
    program.mkdir()
    for part in PROGRAM:
        (program / part).symlink_to(REPO_ROOT / part)
    shutil.copy(REPO_ROOT / "Pulumi.dev.yaml", program / "Pulumi.pr-123.yaml")
    with LocalStack.start(
        stack="pr-123", program_dir=program, state_dir=tmp_path / "state"
    ) as stack:
        out = stack.outputs
        assert out["table_name"] == "webhooks-events-pr-123"
        assert out["queue_url"].endswith("/webhooks-queue-pr-123")
        assert out["ingest_function_name"] == "webhooks-ingest-pr-123"
        assert out["dashboard_url"].endswith(f"/webhooks-pr-123-{stack.region}")
        statuses = {r["type"]: r["status"] for r in stack.declaration["resources"]}
        assert statuses["aws:cloudwatch/dashboard:Dashboard"] == "accepted"
        delivery_id = str(uuid.uuid4())
        status, _ = github_delivery(stack, b'{"zen":"review"}', delivery_id=delivery_id)
        assert status == 202
        assert stored_item(stack, "github", delivery_id) is not None


def test_custom_domain_is_accepted_and_served_locally(tmp_path):
    overrides = {"api.domainName": "hooks.example.com", "api.hostedZoneId": "Z0123456789EXAMPLE"}
    with LocalStack.start(stack="dev", overrides=overrides, state_dir=tmp_path) as stack:
        statuses = {r["type"]: r["status"] for r in stack.declaration["resources"]}
        for typ in (
            "aws:apigatewayv2/domainName:DomainName",
            "aws:apigatewayv2/apiMapping:ApiMapping",
            "aws:acm/certificate:Certificate",
            "aws:acm/certificateValidation:CertificateValidation",
            "aws:route53/record:Record",
        ):
            assert statuses[typ] == "accepted", typ
        assert stack.outputs["webhook_base_url"] == f"{stack.api_url}/webhooks"
        delivery_id = str(uuid.uuid4())
        status, _ = github_delivery(stack, b'{"zen":"domain"}', delivery_id=delivery_id)
        assert status == 202
