"""Cards from a running collector's read API (`GET /api/v1/rates`), for `tokenledger rates ... --collector URL`.

The collector holds the shipped cards it was seeded with and every card added since (Review page, API), so its
list is the one in force for priced history; the shipped file alone misses the added ones.
"""

from __future__ import annotations

import json
from typing import Any

from ._cards import CardFileError, card_from_mapping
from .types import PRICE_FIELDS, RateCard


class CollectorError(RuntimeError):
    """The collector could not be asked, or refused; the message says which and never holds a token."""


def _card(row: dict[str, Any], where: str) -> RateCard:
    fields: dict[str, Any] = {k: row[k] for k in ("model", "effective_from", "source", *PRICE_FIELDS)}
    fields["aliases"] = list(row.get("aliases") or [])
    fields["note"] = row.get("note") or ""
    if row.get("provider"):
        fields["provider"] = row["provider"]
    if row.get("long_context_above_input_tokens") is not None:
        fields["long_context"] = {
            "above_input_tokens": int(row["long_context_above_input_tokens"]),
            **{k: row[f"long_context_{k}"] for k in PRICE_FIELDS if row.get(f"long_context_{k}") is not None},
        }
    if row.get("web_search_usd_per_kcount") is not None:
        fields["web_search_usd_per_kcount"] = row["web_search_usd_per_kcount"]
    tiers = row.get("service_tiers")
    if tiers:  # JSON text in the table's flat listing: {"batch": "0.5"}
        fields["service_tiers"] = json.loads(tiers) if isinstance(tiers, str) else tiers
    return card_from_mapping(fields, path=where)


def collector_cards(url: str, headers: dict[str, str], *, http_client: Any = None) -> list[tuple[RateCard, str]]:
    """Every card version the collector at `url` holds, each with its origin (`seed`: the shipped file; `api`:
    added through the Review page or `POST /api/v1/rates`). Raises `CollectorError`."""
    import httpx  # only this command needs it; pricing a call stays import-light

    base = url.rstrip("/")
    where = f"{base}/api/v1/rates"
    client = http_client or httpx.Client(timeout=30)
    try:
        response = client.get(where, headers=headers)
    except httpx.HTTPError as exc:
        raise CollectorError(f"cannot reach the collector at {base}: {exc}") from None
    finally:
        if http_client is None:
            client.close()
    if response.status_code in (401, 403):
        hint = "set TOKENLEDGER_READ_TOKEN (or TOKENLEDGER_ADMIN_TOKEN)"
        raise CollectorError(f"the collector at {base} refused to list its cards (HTTP {response.status_code}): {hint}")
    if response.status_code != 200:
        raise CollectorError(f"the collector at {base} answered HTTP {response.status_code} to GET /api/v1/rates")
    try:
        rows = response.json()["cards"]
        return [(_card(row, where), str(row.get("origin") or "?")) for row in rows]
    except (ValueError, KeyError, TypeError) as exc:
        if isinstance(exc, CardFileError):
            raise CollectorError(f"the collector at {base} sent a card this version cannot read: {exc}") from None
        raise CollectorError(f"the collector at {base} did not answer with a card list ({exc!r})") from None
