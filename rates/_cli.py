"""`tokenledger rates ...`: list the cards in force, check them against genai-prices, print snapshot cards."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime

from ._cards import CardFileError, RateBook, load_cards, to_utc
from .types import PRICE_FIELDS, RateCard, decimal_text

_SHORT = {
    "input_usd_per_mtok": "input",
    "output_usd_per_mtok": "output",
    "cache_read_usd_per_mtok": "cache_read",
    "cache_write_usd_per_mtok": "cache_write",
}


def register(commands: argparse._SubParsersAction) -> None:
    rates = commands.add_parser("rates", help="rate cards: list, check against genai-prices, snapshot")
    sub = rates.add_subparsers(dest="rates_command", required=True)
    listing = sub.add_parser("list", help="print the cards in force (USD per million tokens)")
    listing.add_argument("--at", type=_instant, default=None, help="instant to list for (ISO date; default now)")
    listing.add_argument("--file", default=None, help="card file (default: the shipped rates/cards.toml)")
    check = sub.add_parser("check", help="compare every card with the genai-prices snapshot (informs; exit 0)")
    check.add_argument("--file", default=None, help="card file (default: the shipped rates/cards.toml)")
    snap = sub.add_parser("snapshot", help="print genai-prices' prices for models as TOML cards")
    snap.add_argument("models", nargs="+")
    rates.set_defaults(handler=_run)


def _instant(text: str) -> datetime:
    try:
        return to_utc(datetime.fromisoformat(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date or datetime: {text!r}") from None


def _run(args: argparse.Namespace) -> int:
    try:
        if args.rates_command == "list":
            return _list(RateBook(load_cards(args.file)), args.at or datetime.now(UTC))
        if args.rates_command == "check":
            return _check(RateBook(load_cards(args.file)))
        return _snapshot(args.models)
    except CardFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _list(book: RateBook, at: datetime) -> int:
    cards = book.in_force(at)
    header = ["model", "input", "output", "cache_read", "cache_write", "long_context", "effective_from", "source"]
    rows = [header]
    for card in cards:
        tier = card.long_context
        rows.append(
            [
                card.model,
                *(decimal_text(getattr(card.rates, k)) for k in PRICE_FIELDS),
                f">{tier.above_input_tokens}" if tier else "-",
                card.effective_from.date().isoformat(),
                card.source,
            ]
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(header) - 1)]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)) + "  " + row[-1])
    print(f"\n{len(cards)} cards in force at {at.isoformat()}; rates in USD per million tokens.")
    return 0


def _check(book: RateBook) -> int:
    from ._snapshot import compare_with_snapshot, snapshot_source  # genai-prices: ~140 ms to import

    diffs = compare_with_snapshot(book)
    if not diffs:
        print(f"All {len(book.cards)} cards agree with the {snapshot_source()}.")
        return 0
    print(f"{len(diffs)} difference(s) from the {snapshot_source()}:")
    for d in diffs:
        print(f"  {d.model}: {_SHORT.get(d.field, d.field)}: ours {d.ours}, snapshot {d.snapshot}")
    return 0


def _snapshot(models: list[str]) -> int:
    from ._snapshot import snapshot_cards, snapshot_source

    missing = []
    for model in models:
        cards = snapshot_cards(model)
        if not cards:
            missing.append(model)
        for card in cards:
            print(card_to_toml(card))
    for model in missing:
        print(f"# {model}: not in the {snapshot_source()}", file=sys.stderr)
    return 0


def card_to_toml(card: RateCard) -> str:
    """One `[[cards]]` table, in the format `load_cards` reads."""
    lines = ["[[cards]]", f"model = {json.dumps(card.model)}"]
    if card.provider:
        lines.append(f"provider = {json.dumps(card.provider)}")
    if card.aliases:
        lines.append(f"aliases = {json.dumps(list(card.aliases))}")
    lines.append(f"effective_from = {card.effective_from.date().isoformat()}")
    lines += [f"{k} = {decimal_text(getattr(card.rates, k))}" for k in PRICE_FIELDS]
    lines.append(f"source = {json.dumps(card.source)}")
    if card.long_context is not None:
        lines += ["[cards.long_context]", f"above_input_tokens = {card.long_context.above_input_tokens}"]
        lines += [f"{k} = {decimal_text(getattr(card.long_context.rates, k))}" for k in PRICE_FIELDS]
    return "\n".join(lines) + "\n"
