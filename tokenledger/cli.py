"""The `tokenledger` command: one subcommand per part of the product."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from collector import _cli as collector_cli
from dashboard import _cli as dashboard_cli
from rates import _cli as rates_cli
from tokenledger.demo import _cli as demo_cli
from tokenledger.reconcile import _cli as reconcile_cli
from tokenledger.settings import load_settings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tokenledger", description="Self-hosted LLM cost observability.")
    commands = parser.add_subparsers(dest="command", required=True)
    rates_cli.register(commands)
    collector_cli.register(commands)
    dashboard_cli.register(commands)
    demo_cli.register(commands)
    reconcile_cli.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.settings = load_settings()  # read once here; subcommands take their tokens from it
    return args.handler(args)
