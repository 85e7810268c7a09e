"""A stable webhook URL: the custom domain in its two forms, and none by default."""

import json

import pytest

from hookgate.components.config_error import ConfigError
from tests.components.mockstack import (
    CERTIFICATE_ARN,
    DOMAIN,
    HOSTED_ZONE_ID,
    SCENARIOS,
    MockedStack,
    built_stack,
    run_stack,
)

DOMAIN_NAME = "aws:apigatewayv2/domainName:DomainName"
MAPPING = "aws:apigatewayv2/apiMapping:ApiMapping"
CERTIFICATE = "aws:acm/certificate:Certificate"
VALIDATION = "aws:acm/certificateValidation:CertificateValidation"
RECORD = "aws:route53/record:Record"


def _mapped_domain(stack: MockedStack) -> dict:
    """Checks common to both forms; returns the DomainName's configuration."""
    domain = stack.one(DOMAIN_NAME)
    configuration = domain.inputs["domainNameConfiguration"]
    assert domain.inputs["domainName"] == DOMAIN
    assert configuration["endpointType"] == "REGIONAL"
    assert configuration["securityPolicy"] == "TLS_1_2"
    mapping = stack.one(MAPPING).inputs
    assert mapping["apiId"] == stack.one("aws:apigatewayv2/api:Api").id
    assert mapping["domainName"] == domain.id
    assert mapping["stage"] == stack.one("aws:apigatewayv2/stage:Stage").id
    # Adding the domain leaves the execute-api URL on for the senders still using it: turning
    # it off is a separate, later step (api.disableExecuteApiEndpoint).
    assert stack.one("aws:apigatewayv2/api:Api").inputs["disableExecuteApiEndpoint"] is False
    out = stack.outputs
    assert out["webhook_base_url"] == f"https://{DOMAIN}/webhooks"
    assert out["webhook_urls"] == {p: f"https://{DOMAIN}/webhooks/{p}" for p in out["providers"]}
    assert out["api_domain_target"] == domain.state["domainNameConfiguration"]["targetDomainName"]
    return configuration


def test_existing_certificate_maps_the_domain_and_touches_no_dns() -> None:
    stack = built_stack("domain-certificate")
    assert _mapped_domain(stack)["certificateArn"] == CERTIFICATE_ARN
    assert not stack.of_type(CERTIFICATE) + stack.of_type(VALIDATION) + stack.of_type(RECORD)


def test_hosted_zone_validates_a_new_certificate_and_creates_the_alias() -> None:
    stack = built_stack("domain-zone")
    certificate = stack.one(CERTIFICATE)
    assert certificate.inputs == {
        "domainName": DOMAIN,
        "validationMethod": "DNS",
        "tags": certificate.inputs["tags"],
    }
    [option] = certificate.state["domainValidationOptions"]
    records = {r.name: r.inputs for r in stack.of_type(RECORD)}
    validation_record = records["webhooks-domain-certificate-validation-record"]
    assert validation_record["zoneId"] == HOSTED_ZONE_ID
    assert validation_record["name"] == option["resourceRecordName"]
    assert validation_record["type"] == option["resourceRecordType"]
    assert validation_record["records"] == [option["resourceRecordValue"]]
    validation = stack.one(VALIDATION).inputs
    assert validation["certificateArn"] == certificate.state["arn"]
    assert validation["validationRecordFqdns"] == [option["resourceRecordName"].rstrip(".")]
    # The domain waits for the validated certificate, not just the requested one.
    configuration = _mapped_domain(stack)
    assert configuration["certificateArn"] == certificate.state["arn"]
    assert stack.one(VALIDATION).urn in stack.one(DOMAIN_NAME).dependencies
    target = stack.one(DOMAIN_NAME).state["domainNameConfiguration"]
    alias = records["webhooks-domain-alias"]
    assert (alias["zoneId"], alias["name"], alias["type"]) == (HOSTED_ZONE_ID, DOMAIN, "A")
    assert alias["aliases"] == [
        {
            "name": target["targetDomainName"],
            "zoneId": target["hostedZoneId"],
            "evaluateTargetHealth": False,
        }
    ]


def test_without_a_domain_the_execute_api_url_stays() -> None:
    for scenario in ("dev", "prod"):
        stack = built_stack(scenario)
        assert not stack.of_type(DOMAIN_NAME) + stack.of_type(MAPPING)
        api = stack.one("aws:apigatewayv2/api:Api")
        assert api.inputs["disableExecuteApiEndpoint"] is False
        assert stack.outputs["webhook_base_url"].startswith(f"https://{api.id}.execute-api.")
        assert stack.outputs["api_domain_target"] is None


def test_a_certificate_of_another_region_is_refused() -> None:
    stack, config = SCENARIOS["domain-certificate"]
    values = config()
    values["aws:region"] = "us-east-1"
    with pytest.raises(ConfigError) as raised:
        run_stack(stack, config=values)
    assert raised.value.key == "webhooks:api.certificateArn"
    assert raised.value.value == CERTIFICATE_ARN
    assert "us-east-1" in str(raised.value)


def test_the_execute_api_url_goes_off_only_when_asked() -> None:
    stack, config = SCENARIOS["domain-zone"]
    values = config()
    values["webhooks:api"] = {**values["webhooks:api"], "disableExecuteApiEndpoint": True}
    api = run_stack(stack, config=values).one("aws:apigatewayv2/api:Api")
    assert api.inputs["disableExecuteApiEndpoint"] is True


def test_turning_the_only_url_off_is_refused() -> None:
    values = SCENARIOS["dev"][1]()
    values["webhooks:api"] = {**values["webhooks:api"], "disableExecuteApiEndpoint": True}
    with pytest.raises(ConfigError) as raised:
        run_stack("dev", config=values)
    assert raised.value.key == "webhooks:api.disableExecuteApiEndpoint"
    assert raised.value.value is True
    assert "api.domainName" in raised.value.allowed


def test_the_access_log_says_which_host_a_sender_used() -> None:
    stage = built_stack("domain-zone").one("aws:apigatewayv2/stage:Stage").inputs
    assert json.loads(stage["accessLogSettings"]["format"])["domainName"] == "$context.domainName"
