"""A stable webhook URL: the API behind a custom domain that outlives the API itself.

Every sender (GitHub, Stripe, Shopify, Slack...) keeps the URL it was given in its own
settings; an execute-api URL changes whenever the API is replaced. Behind a custom domain the
API can be rebuilt and only the mapping moves.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from hookgate.components.config_error import ConfigError
from hookgate.components.settings import ApiSettings, Settings

SECURITY_POLICY = "TLS_1_2"
VALIDATION_RECORD_TTL = 60


def check_certificate_region(settings: Settings, region: str) -> None:
    """A regional API Gateway domain takes a certificate of its own region only."""
    arn = settings.api.certificate_arn
    if arn is not None and arn.split(":")[3] != region:
        raise ConfigError(
            "webhooks:api.certificateArn",
            arn,
            f"an ACM certificate in the stack's region {region} (a regional API domain cannot"
            " use another region's certificate)",
        )


@dataclass(frozen=True)
class WebhookDomainArgs:
    api: ApiSettings
    """With `domain_name` and exactly one of `certificate_arn` (an existing certificate) and
    `hosted_zone_id` (the Route 53 zone in which the program validates a new one and creates
    the alias record), as the settings validate them."""
    api_id: pulumi.Input[str]
    stage: pulumi.Input[str]
    tags: dict[str, str]


class WebhookDomain(pulumi.ComponentResource):
    """Regional API Gateway domain (TLS 1.2) mapped to the API's stage; with a hosted zone,
    also the DNS-validated ACM certificate and the alias record."""

    def __init__(
        self, name: str, args: WebhookDomainArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("webhooks:domain:WebhookDomain", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        domain_name, zone = args.api.domain_name, args.api.hosted_zone_id
        assert domain_name is not None  # the pipeline builds a domain only for one
        certificate_arn: pulumi.Input[str] = (
            args.api.certificate_arn
            if args.api.certificate_arn is not None
            else self._validated_certificate(name, domain_name, zone, args.tags, child)
        )

        self.domain = aws.apigatewayv2.DomainName(
            f"{name}-domain",
            domain_name=domain_name,
            domain_name_configuration=aws.apigatewayv2.DomainNameDomainNameConfigurationArgs(
                certificate_arn=certificate_arn,
                endpoint_type="REGIONAL",
                security_policy=SECURITY_POLICY,
            ),
            tags=args.tags,
            opts=child,
        )
        mapping = aws.apigatewayv2.ApiMapping(
            f"{name}-mapping",
            api_id=args.api_id,
            domain_name=self.domain.id,
            stage=args.stage,
            opts=child,
        )
        target = self.domain.domain_name_configuration
        if zone is not None:
            aws.route53.Record(
                f"{name}-alias",
                zone_id=zone,
                name=domain_name,
                type="A",
                aliases=[
                    aws.route53.RecordAliasArgs(
                        name=target.target_domain_name,
                        zone_id=target.hosted_zone_id,
                        evaluate_target_health=False,
                    )
                ],
                opts=child,
            )
        # Known once the mapping exists: a sender given this URL reaches the API.
        self.base_url = mapping.id.apply(lambda _: f"https://{domain_name}/webhooks")
        self.target_domain_name = target.target_domain_name
        self.register_outputs(
            {"base_url": self.base_url, "target_domain_name": self.target_domain_name}
        )

    def _validated_certificate(
        self,
        name: str,
        domain_name: str,
        zone: str | None,
        tags: dict[str, str],
        child: pulumi.ResourceOptions,
    ) -> pulumi.Output[str]:
        """An ACM certificate for the domain, validated through a CNAME in the hosted zone."""
        certificate = aws.acm.Certificate(
            f"{name}-certificate",
            domain_name=domain_name,
            validation_method="DNS",
            tags=tags,
            opts=child,
        )
        option = certificate.domain_validation_options[0]
        record = aws.route53.Record(
            f"{name}-certificate-validation-record",
            zone_id=zone,
            name=option.resource_record_name,
            type=option.resource_record_type,
            records=[option.resource_record_value],
            ttl=VALIDATION_RECORD_TTL,
            allow_overwrite=True,
            opts=child,
        )
        validation = aws.acm.CertificateValidation(
            f"{name}-certificate-validation",
            certificate_arn=certificate.arn,
            validation_record_fqdns=[record.fqdn],
            opts=child,
        )
        return validation.certificate_arn
