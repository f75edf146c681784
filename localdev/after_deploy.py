"""What ``make deploy`` prints once the stack is up: the one set of values to paste, in order.

``python -m localdev.after_deploy [--stack NAME] [--region REGION]`` reads the stack's outputs
(default: what ``make deploy`` saved in ``samconfig.toml``) and prints where the GPT is served,
the redirect URI to register at Google, the GPT editor's fields and the next commands.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from collections.abc import Mapping
from urllib.parse import urlsplit

from localdev.manifest import ActionUrls, StackError, paste_table, read_outputs


def next_steps(outputs: Mapping[str, str]) -> str:
    """The text printed after a deploy, from the stack's outputs."""
    urls = ActionUrls.from_stack_outputs(outputs)
    hosts = sorted({urlsplit(url).hostname or url for url in (urls.authorization, urls.token, urls.action)})
    where = f"one host, https://{hosts[0]}" if len(hosts) == 1 else f"{len(hosts)} hosts, {', '.join(hosts)}"
    lines = [
        f"Deployed: the GPT's URLs are on {where}.",
        "",
        "1. Google Cloud console > APIs & Services > Credentials > your OAuth client >",
        "   Authorized redirect URIs: add (once; Google may take a few minutes to apply it)",
        f"     {outputs.get('GoogleRedirectUri', '(output GoogleRedirectUri)')}",
        "2. make manifest   (writes manifest.json, the action's schema, for these URLs)",
        "3. GPT editor > Configure > Create new action: paste manifest.json as the Schema, then",
        "   Authentication > OAuth:",
        textwrap.indent(paste_table(urls, outputs), "   "),
        f"   Privacy policy (Configure > the action): {outputs.get('PrivacyPolicyUrl', '(none)')}",
        "4. make doctor     (checks all of this from outside, as the GPT and Google see it)",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m localdev.after_deploy", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--stack", help="stack name (default: samconfig.toml)")
    parser.add_argument("--region", help="AWS region (default: samconfig.toml, then AWS_DEFAULT_REGION)")
    args = parser.parse_args(argv)
    try:
        outputs = read_outputs(args.stack, args.region)
    except StackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(next_steps(outputs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
