"""template.yaml's values as one deployed stack would see them: its conditions, parameters and
the attributes CloudFormation fills in, for the tests that compare URLs across functions."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

FUNCTION_URLS = {
    "GoogleAuthorizationFunctionUrl.FunctionUrl": "https://authorizationhost0123.lambda-url.eu-west-1.on.aws/",
    "GoogleAuthenticationFunctionUrl.FunctionUrl": "https://authenticationhost01.lambda-url.eu-west-1.on.aws/",
    "TestEndpointFunctionUrl.FunctionUrl": "https://testendpointhost0123.lambda-url.eu-west-1.on.aws/",
}
DISTRIBUTION = "d111111abcdef8.cloudfront.net"
ORIGIN_SECRET = "Zq0" * 16  # 48 characters, the shape CloudFormation generates


@dataclass(frozen=True)
class Stack:
    """One deployment: ``Hosts`` three, or one host on the distribution's name or on ``DomainName``."""

    name: str
    one_host: bool
    domain_name: str = ""
    attributes: dict[str, str] = field(
        default_factory=lambda: {**FUNCTION_URLS, "Distribution.DomainName": DISTRIBUTION}
    )

    @property
    def conditions(self) -> dict[str, bool]:
        return {"OneHost": self.one_host, "CustomDomain": self.one_host and bool(self.domain_name)}

    def value(self, node: Any) -> Any:
        """A template value with ``!If``, ``!Sub``, ``!Ref`` and ``!GetAtt`` resolved for this stack."""
        if isinstance(node, str):
            return node
        (function, argument), *_ = node.items()
        if function == "Fn::If":
            condition, yes, no = argument
            return self.value(yes if self.conditions[condition] else no)
        if function == "Fn::GetAtt":
            return self.attributes[".".join(argument)]
        if function == "Ref":
            return {"DomainName": self.domain_name}[argument]
        if function == "Fn::Sub":
            text, names = (argument, {}) if isinstance(argument, str) else argument
            known = {**self.attributes, "DomainName": self.domain_name}
            known.update({name: self.value(v) for name, v in names.items()})
            return re.sub(r"\$\{([\w.]+)\}", lambda m: known[m.group(1)], text)
        raise AssertionError(f"no value for {node}")

    def environment(self, template: dict[str, Any], function: str) -> dict[str, str | None]:
        """The function's own settings (empty ones unset) and, with one host, the origin secret."""
        variables = template["Resources"][function]["Properties"].get("Environment", {}).get("Variables", {})
        env: dict[str, str | None] = {name: self.value(v) or None for name, v in variables.items()}
        env["ORIGIN_SECRET"] = ORIGIN_SECRET if self.one_host else None
        return env

    def request_headers(self, output_url: str) -> tuple[str, dict[str, str]]:
        """The ``requestContext.domainName`` and the headers a function gets for a request to the
        function whose public URL is ``output_url``: its Function URL's own host with three hosts;
        behind CloudFront the origin secret and the path function's ``X-Public-Url``."""
        if not self.one_host:
            return urlsplit(output_url).netloc, {}
        prefix = urlsplit(output_url).path.rstrip("/")
        public = f"https://{DISTRIBUTION}{prefix}"
        return "origin.lambda-url.eu-west-1.on.aws", {
            "x-origin-verify": ORIGIN_SECRET,
            "x-public-url": public,
        }


STACKS = (
    Stack("three hosts", one_host=False),
    Stack("one host", one_host=True),
    Stack("one host on DomainName", one_host=True, domain_name="gpt.example.com"),
)
