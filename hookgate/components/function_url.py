"""The `functionUrl` front door: a Lambda function URL on the ingest function, no API Gateway.

Auth type `NONE`: the signature is the authentication, exactly as behind the HTTP API. The
function URL's event is the HTTP API's payload 2.0 (`rawPath`, `requestContext.http`,
`timeEpoch`) without `pathParameters`, so `request.parse` takes the provider from the last
segment of `rawPath` after `/webhooks/`: a sender posts to `<url>/webhooks/<provider>`.
Throttling is the ingest function's reserved concurrency (required in this mode, settings).
Every method reaches the function, GET and HEAD too: the senders' handshakes (Meta, Dropbox,
Okta, Intercom) are answered by the receiver, which refuses them for the other providers, and
the URL as called (`requestContext.domainName`, `rawPath`, `rawQueryString`) is what Twilio,
Square and HubSpot sign.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

KINDS = ("httpApi", "functionUrl")
"""`webhooks:api.kind`: today's HTTP API, or a function URL on the ingest function."""


def create_function_url(
    parent: pulumi.Resource,
    name: str,
    function: aws.lambda_.Function,
    depends_on: Sequence[pulumi.Resource],
) -> tuple[aws.lambda_.FunctionUrl, pulumi.Output[str]]:
    """The URL, public invoke permissions (both, as required since October 2025:
    https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html), and the webhooks base URL.

    The URL is created last, so a first deploy answers no request before the function may
    read its secrets and be invoked.
    """
    child = pulumi.ResourceOptions(parent=parent)
    url_permission = aws.lambda_.Permission(
        f"{name}-url-permission",
        action="lambda:InvokeFunctionUrl",
        function=function.name,
        principal="*",
        function_url_auth_type="NONE",
        opts=child,
    )
    invoke_permission = aws.lambda_.Permission(
        f"{name}-url-invoke-permission",
        action="lambda:InvokeFunction",
        function=function.name,
        principal="*",
        invoked_via_function_url=True,
        opts=child,
    )
    url = aws.lambda_.FunctionUrl(
        f"{name}-function-url",
        function_name=function.name,
        authorization_type="NONE",
        invoke_mode="BUFFERED",
        opts=pulumi.ResourceOptions(
            parent=parent,
            depends_on=[function, url_permission, invoke_permission, *depends_on],
        ),
    )
    base_url = url.function_url.apply(lambda value: f"{value.rstrip('/')}/webhooks")
    return url, base_url
