"""Read a deployed stack's outputs with boto3 (CloudFormation): for ``make outputs`` and ``make manifest``.

``python -m localdev.stack_outputs [--stack NAME] [--region REGION] [--json]`` prints them; the
stack name and region default to what ``make deploy`` saved in ``samconfig.toml``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMCONFIG = ROOT / "samconfig.toml"
DEFAULT_STACK_NAME = "gpt-google-auth"


class StackOutputsError(Exception):
    """The outputs cannot be read; the message says why and what to do."""


def deploy_target(config: Path = SAMCONFIG, environment: str = "default") -> tuple[str, str | None]:
    """The stack name and region ``sam deploy`` uses, from ``samconfig.toml``.

    ``[<environment>.deploy.parameters]`` wins over ``[<environment>.global.parameters]``; the
    region is None when neither names one (boto3's own configuration then decides).
    """
    try:
        data = tomllib.loads(config.read_text())
    except FileNotFoundError:
        return DEFAULT_STACK_NAME, None
    except tomllib.TOMLDecodeError as exc:
        raise StackOutputsError(f"{config.name} is not valid TOML: {exc}") from None
    sections = data.get(environment, {})
    merged = {
        **sections.get("global", {}).get("parameters", {}),
        **sections.get("deploy", {}).get("parameters", {}),
    }
    return str(merged.get("stack_name") or DEFAULT_STACK_NAME), merged.get("region") or None


def read_stack_outputs(
    stack_name: str, region: str | None = None, *, required: Iterable[str] = ()
) -> dict[str, str]:
    """Every output of a CloudFormation stack, as ``{OutputKey: OutputValue}``.

    Parameters
    ----------
    stack_name
        The stack's name (or id).
    region
        AWS region; None means boto3's configuration (``AWS_DEFAULT_REGION``, the profile).
    required
        Output keys the caller needs; a stack that lacks one is an error naming it.

    Raises
    ------
    StackOutputsError
        When the stack does not exist, has no outputs (or not the required ones), or AWS cannot
        be reached (no region, no credentials, access denied).
    """
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

    where = f" in {region}" if region else ""
    try:
        client = boto3.client("cloudformation", region_name=region)
        where = f" in {client.meta.region_name}"
        stacks = client.describe_stacks(StackName=stack_name)["Stacks"]
    except NoRegionError:
        raise StackOutputsError(
            "No AWS region: pass --region, set AWS_DEFAULT_REGION, or save one in samconfig.toml "
            "(make deploy does)."
        ) from None
    except NoCredentialsError:
        raise StackOutputsError("No AWS credentials: run `aws configure` or set AWS_PROFILE.") from None
    except ClientError as exc:
        error = exc.response.get("Error", {})
        if error.get("Code") == "ValidationError" and "does not exist" in error.get("Message", ""):
            raise StackOutputsError(
                f"Stack {stack_name!r} does not exist{where}: deploy it with `make deploy`, "
                "or give the stack name and region it was deployed with."
            ) from None
        reason = error.get("Message", exc)
        raise StackOutputsError(f"Cannot read stack {stack_name!r}{where}: {reason}") from None
    except BotoCoreError as exc:
        raise StackOutputsError(f"Cannot reach CloudFormation{where}: {exc}") from None
    stack = stacks[0]
    outputs = {str(o["OutputKey"]): str(o["OutputValue"]) for o in stack.get("Outputs", [])}
    if not outputs:
        raise StackOutputsError(
            f"Stack {stack_name!r}{where} has no outputs (status {stack['StackStatus']}): "
            "wait for `make deploy` to finish, or look at the stack's events in the CloudFormation console."
        )
    missing = [key for key in required if key not in outputs]
    if missing:
        raise StackOutputsError(
            f"Stack {stack_name!r}{where} lacks the output(s) {', '.join(missing)}: "
            "it was deployed from another template; run `make deploy`."
        )
    return outputs


def main(argv: list[str] | None = None) -> int:
    stack_name, region = deploy_target()
    parser = argparse.ArgumentParser(prog="make outputs", description="Print a deployed stack's outputs.")
    parser.add_argument("--stack", default=stack_name, help=f"stack name (default: {stack_name})")
    parser.add_argument(
        "--region", default=region, help="AWS region (default: samconfig.toml, then AWS_DEFAULT_REGION)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    try:
        outputs = read_stack_outputs(args.stack, args.region)
    except StackOutputsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(outputs, indent=2, sort_keys=True))
    else:
        width = max(map(len, outputs))
        for key in sorted(outputs):
            print(f"{key:<{width}}  {outputs[key]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
