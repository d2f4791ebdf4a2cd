"""`tokenledger rates ...`: list the cards in force, check them against genai-prices, print snapshot cards."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from datetime import UTC, datetime

from ._cards import CardFileError, RateBook, load_cards, to_utc
from ._remote import CollectorError, collector_cards
from .types import PRICE_FIELDS, RateCard, decimal_text

_SHORT = {
    "input_usd_per_mtok": "input",
    "output_usd_per_mtok": "output",
    "cache_read_usd_per_mtok": "cache_read",
    "cache_write_usd_per_mtok": "cache_write",
    "cache_write_1h_usd_per_mtok": "cache_write_1h",
}


def register(commands: argparse._SubParsersAction) -> None:
    rates = commands.add_parser("rates", help="rate cards: list, check against genai-prices, snapshot")
    sub = rates.add_subparsers(dest="rates_command", required=True)
    listing = sub.add_parser("list", help="print the card in force for each model (USD per million tokens)")
    listing.add_argument("--at", type=_instant, default=None, help="instant to list for (ISO date; default now)")
    _card_source(listing)
    check = sub.add_parser("check", help="compare every card with the genai-prices snapshot (informs; exit 0)")
    _card_source(check)
    snap = sub.add_parser("snapshot", help="print genai-prices' prices for models as TOML cards (exit 1: unknown)")
    snap.add_argument("models", nargs="+")
    rates.set_defaults(handler=_run)


def _card_source(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--file", default=None, help="card file (default: the shipped rates/cards.toml)")
    where.add_argument(
        "--collector",
        metavar="URL",
        default=None,
        help="the cards a running collector holds, added ones included (token: TOKENLEDGER_READ_TOKEN)",
    )


def _instant(text: str) -> datetime:
    try:
        return to_utc(datetime.fromisoformat(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date or datetime: {text!r}") from None


def _run(args: argparse.Namespace) -> int:
    try:
        if args.rates_command == "snapshot":
            return _snapshot(args.models)
        cards, origins = _load(args)
        if args.rates_command == "list":
            return _list(RateBook(cards), args.at or datetime.now(UTC), origins)
        return _check(RateBook(cards))
    except (CardFileError, CollectorError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _load(args: argparse.Namespace) -> tuple[list[RateCard], dict[str, str] | None]:
    """The cards to work on, and each card's origin at the collector (None: read from a file)."""
    if args.collector is None:
        return load_cards(args.file), None
    headers = args.settings.read_headers  # the `tokenledger` command reads the environment once, in its settings
    fetched = collector_cards(args.collector, headers)
    return [card for card, _ in fetched], {card.card_id: origin for card, origin in fetched}


def _counts(book: RateBook) -> str:
    """What the numbers count: a model with dated price changes has one card per price."""
    per_model = Counter(card.model for card in book.cards)
    changed = sorted(model for model, n in per_model.items() if n > 1)
    text = f"{len(book.cards)} cards for {len(per_model)} models"
    if changed:
        text += f" ({len(changed)} with dated price changes: {', '.join(changed)})"
    return text


def _list(book: RateBook, at: datetime, origins: dict[str, str] | None) -> int:
    cards = book.in_force(at)
    header = ["model", *(_SHORT[k] for k in PRICE_FIELDS), "long_context", "effective_from"]
    header += ["origin", "source"] if origins is not None else ["source"]
    rows = [header]
    for card in cards:
        tier = card.long_context
        rows.append(
            [
                card.model,
                *(decimal_text(getattr(card.rates, k)) for k in PRICE_FIELDS),
                f">{tier.above_input_tokens}" if tier else "-",
                card.effective_from.date().isoformat(),
                *([origins.get(card.card_id, "?")] if origins is not None else []),
                card.source,
            ]
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(header) - 1)]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)) + "  " + row[-1])
    models = len({card.model for card in book.cards})
    waiting = models - len(cards)
    print(f"\n{len(cards)} models with a card in force at {at.isoformat()}, one line each; {_counts(book)}.")
    if waiting:
        print(f"{waiting} model(s) have no card in force yet at that instant.")
    if origins is not None:
        added = sum(1 for origin in origins.values() if origin == "api")
        print(f"From the collector: {added} card(s) added through the Review page or the API, the rest shipped.")
    print("Rates in USD per million tokens.")
    return 0


def _check(book: RateBook) -> int:
    from ._snapshot import compare_with_snapshot, snapshot_source  # genai-prices: ~140 ms to import

    diffs = compare_with_snapshot(book)
    if not diffs:
        print(f"All {_counts(book)} agree with the {snapshot_source()}.")
        return 0
    print(f"{len(diffs)} difference(s) between {_counts(book)} and the {snapshot_source()}:")
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
        print(f"error: {model}: not in the {snapshot_source()}", file=sys.stderr)
    return 1 if missing else 0


def card_to_toml(card: RateCard) -> str:
    """One `[[cards]]` table, in the format `load_cards` reads."""
    lines = ["[[cards]]", f"model = {json.dumps(card.model)}"]
    if card.provider:
        lines.append(f"provider = {json.dumps(card.provider)}")
    if card.aliases:
        lines.append(f"aliases = {json.dumps(list(card.aliases))}")
    lines.append(f"effective_from = {card.effective_from.date().isoformat()}")
    lines += [f"{k} = {decimal_text(getattr(card.rates, k))}" for k in PRICE_FIELDS]
    if card.web_search_usd_per_kcount is not None:
        lines.append(f"web_search_usd_per_kcount = {decimal_text(card.web_search_usd_per_kcount)}")
    if card.service_tiers:
        tiers = ", ".join(f"{tier} = {decimal_text(factor)}" for tier, factor in card.service_tiers)
        lines.append(f"service_tiers = {{ {tiers} }}")
    lines.append(f"source = {json.dumps(card.source)}")
    if card.long_context is not None:
        lines += ["[cards.long_context]", f"above_input_tokens = {card.long_context.above_input_tokens}"]
        lines += [f"{k} = {decimal_text(getattr(card.long_context.rates, k))}" for k in PRICE_FIELDS]
    return "\n".join(lines) + "\n"
