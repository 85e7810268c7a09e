"""Every command the README and the guides in docs/ show still means something: `python -m ops`
and `python -m local` command lines parse with the real parsers, their `--set` overrides are
valid config for the dev stack, and `make` targets exist. The quick start and the first hour are
also run for real (tests/test_quickstart.py), with docs/development.md's curl example; `pulumi`,
`aws` and `git` lines need an account or the Pulumi CLI, which this machine does not have."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from local.__main__ import parser as local_parser
from local.config import load as load_config
from local.config import parse_override
from ops.cli import parser as ops_parser
from ops.times import parse_instant

ROOT = Path(__file__).resolve().parents[1]
GUIDES = [
    "README.md",
    "docs/configuration.md",
    "docs/operations.md",
    "docs/security.md",
    "docs/performance.md",
    "docs/reliability.md",
    "docs/development.md",
    "docs/deploying.md",
    "docs/http-destinations.md",
]
# Run by tests/test_quickstart.py against a running stack: the curl example, the fault file.
RUN_AGAINST_A_STACK = ("url=", "secret=", "body=", "sig=", "curl ", "echo ")
NOT_RUN_HERE = ("pulumi ", "aws ", "git ", "export ")


def commands(path: str) -> list[str]:
    """The command lines of a file's `sh` blocks (comments dropped; `until`/`source` unwrapped)."""
    text = (ROOT / path).read_text()
    found = []
    for block in re.findall(r"^ *```sh\n(.*?)^ *```", text, re.S | re.M):
        for line in re.sub(r"\\\n\s*", "", block).splitlines():  # continuations joined
            command = line.split("  #", 1)[0].strip()
            if not command or command.startswith("#"):
                continue
            loop = re.fullmatch(r"until (.*?)(?: \|.*?)?(?: 2>/dev/null)?; do .*; done", command)
            found.append(loop.group(1) if loop else command)
    return found


ALL = [(path, command) for path in GUIDES for command in commands(path)]


def _argv(command: str, program: str) -> list[str]:
    words = shlex.split(command.split(" > ", 1)[0])
    # "$(date -u +%F)": today's date when the shell runs it
    words = ["2026-12-06" if w == "$(date -u +%F)" else w for w in words]
    return words[words.index(program) + 1 :]


@pytest.mark.parametrize(("path", "command"), ALL, ids=[f"{p}: {c[:60]}" for p, c in ALL])
def test_a_documented_command_parses_with_the_real_parser(path: str, command: str) -> None:
    if " -m ops" in command:
        args = ops_parser().parse_args(_argv(command, "ops"))  # SystemExit on a renamed flag
        for flag in ("since", "until"):
            if getattr(args, flag, None) is not None:
                parse_instant(getattr(args, flag), f"--{flag}")  # a time the CLI accepts
    elif " -m local" in command:
        args = local_parser().parse_args(_argv(command, "local"))
        overrides = dict(parse_override(text) for text in args.set)
        stack = args.stack if args.stack != "pr-123" else "dev"  # a copied dev file
        load_config(ROOT, stack, overrides, environ={}, validate=True)
    elif command.startswith("make "):
        target, *rest = shlex.split(command)[1:]
        makefile = (ROOT / "Makefile").read_text()
        assert re.search(rf"^{target}:", makefile, re.M), f"{path}: no make target {target}"
        for assignment in rest:
            name, _, value = assignment.partition("=")
            assert name == "ARGS", f"{path}: {command}: only ARGS is passed on"
            args = local_parser().parse_args(shlex.split(value))
            overrides = dict(parse_override(text) for text in args.set)
            load_config(ROOT, args.stack, overrides, environ={}, validate=True)
    elif command.startswith((".venv/bin/pytest", "WEBHOOKS_OUTPUTS=")):
        target = command.split()[-1]
        assert (ROOT / target).exists(), f"{path}: {target} does not exist"
    elif command.startswith("cp "):
        source = shlex.split(command)[1]
        assert (ROOT / source).exists(), f"{path}: {command}: no {source}"
    elif command.startswith("source "):
        assert command == "source .local/env"  # what the local stack writes (tests/local)
    else:
        # `NAME=$(pulumi ...)`: the value of a command that is not run here either
        command = re.sub(r"^[A-Z_]+=\$\(", "", command)
        known = NOT_RUN_HERE + RUN_AGAINST_A_STACK
        assert command.startswith(known), f"{path}: nothing checks {command!r}"


def test_the_guides_show_commands_at_all() -> None:
    assert {path for path, _ in ALL} >= {"README.md", "docs/operations.md", "docs/development.md"}
