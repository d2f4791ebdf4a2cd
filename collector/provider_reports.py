"""A provider's own figures per UTC day and model (`ProviderDay`), and the daily usage file they are imported from.

The file is CSV with a header line naming, in any order, `date,model,input_tokens,output_tokens,cache_read_tokens,
cache_write_tokens,cost_usd`: the provider's figures, `input_tokens` inclusive of cache reads and writes (the
OpenTelemetry GenAI convention used everywhere here), `cost_usd` in USD. An empty cell is a figure the provider
does not give: unknown, stored as NULL, never 0. A bad file is refused whole with a `ReportFileError` naming the
line (the header is line 1) and the column; a cell is quoted back at most 40 characters long.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from rates import fits_money, money

CSV_COLUMNS = (
    "date", "model", "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "cost_usd",
)  # fmt: skip
OPTIONAL_COLUMNS = ("service_tiers",)
"""tokenledger's own optional column: the service tiers the figures were reported at (`batch; standard`)."""
TOKEN_COLUMNS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens")
MAX_ROWS = 100_000
_MAX_TOKENS = 2**63 - 1
_PROVIDER = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")


class ReportFileError(ValueError):
    """A usage file (or a provider name) the collector cannot take; the message names the line and column."""


@dataclass(frozen=True)
class ProviderDay:
    """One provider's figures for one UTC day and one model, as the provider names it. None: not given."""

    provider: str
    day: date
    model: str
    input_tokens: int | None
    """All input tokens, cache reads and writes included."""
    output_tokens: int | None
    cache_read_tokens: int | None
    cache_write_tokens: int | None
    cost_usd: Decimal | None
    """What the provider charged, in USD."""
    service_tiers: str | None = None
    """The service tiers the provider reported usage at (`batch; standard`), when it says."""

    def stored(self, source: str, imported_at: datetime) -> tuple[Any, ...]:
        """The row for `Store.replace_provider_reports` (the store's `_reconciliation.COLUMNS` order)."""
        cost = None if self.cost_usd is None else str(money(self.cost_usd))
        return (
            self.provider, self.day, self.model, self.input_tokens, self.output_tokens, self.cache_read_tokens,
            self.cache_write_tokens, cost, self.service_tiers, source, imported_at,
        )  # fmt: skip


def check_provider(name: str) -> str:
    """The provider name as the ledger spells it (`gen_ai.provider.name`: `anthropic`, `x_ai`), checked."""
    name = name.strip()
    if not _PROVIDER.match(name):
        raise ReportFileError(
            f"provider must be a lower-case name such as anthropic or x_ai (letters, digits, _ . -), got {name[:40]!r}"
        )
    return name


def _cell(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:40] + "...")


def _tokens(line: int, column: str, text: str) -> int | None:
    if not text:
        return None
    if not text.isdigit() or not text.isascii():
        raise ReportFileError(f"line {line}, column {column}: {_cell(text)} is not a whole number of tokens (>= 0)")
    value = int(text)
    if value > _MAX_TOKENS:
        raise ReportFileError(f"line {line}, column {column}: {_cell(text)} is too large")
    return value


def _cost(line: int, text: str) -> Decimal | None:
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise ReportFileError(f"line {line}, column cost_usd: {_cell(text)} is not an amount in USD (such as 12.34)")
    if value < 0:
        raise ReportFileError(f"line {line}, column cost_usd: {_cell(text)} is negative")
    if not fits_money(value):
        raise ReportFileError(f"line {line}, column cost_usd: {_cell(text)} is too large")
    return value


def _header(names: Sequence[str]) -> list[str]:
    header = [n.strip().lower() for n in names]
    missing = [c for c in CSV_COLUMNS if c not in header]
    unknown = [n for n in header if n not in CSV_COLUMNS + OPTIONAL_COLUMNS]
    if unknown or missing:
        problems = []
        if missing:
            problems.append(f"missing {', '.join(missing)}")
        if unknown:
            problems.append(f"unknown {', '.join(_cell(n) for n in unknown)}")
        raise ReportFileError(f"line 1 (header): {'; '.join(problems)}; expected {','.join(CSV_COLUMNS)}")
    if len(set(header)) != len(header):
        raise ReportFileError("line 1 (header): a column is named twice")
    return header


def _row(provider: str, line: int, values: dict[str, str]) -> ProviderDay:
    try:
        day = date.fromisoformat(values["date"]) if len(values["date"]) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise ReportFileError(f"line {line}, column date: {_cell(values['date'])} is not a date (YYYY-MM-DD)")
    model = values["model"].lower()  # one spelling per model, so that a re-import with other case replaces
    if not model or len(model) > 200:
        raise ReportFileError(f"line {line}, column model: a model name (1 to 200 characters) is required")
    tokens = {c: _tokens(line, c, values[c]) for c in TOKEN_COLUMNS}
    cost = _cost(line, values["cost_usd"])
    if cost is None and all(v is None for v in tokens.values()):
        raise ReportFileError(f"line {line}: no figure is given (tokens and cost_usd are all empty)")
    given = tokens["input_tokens"]
    cached = [tokens[c] for c in ("cache_read_tokens", "cache_write_tokens") if tokens[c] is not None]
    if given is not None and sum(cached) > given:
        raise ReportFileError(
            f"line {line}, column input_tokens: {given} is less than the cache reads and writes; input_tokens "
            "includes them (the provider's uncached input plus cache reads plus cache writes)"
        )
    tiers = values.get("service_tiers") or None
    if tiers is not None and len(tiers) > 200:
        raise ReportFileError(f"line {line}, column service_tiers: at most 200 characters")
    return ProviderDay(provider, day, model, *tokens.values(), cost_usd=cost, service_tiers=tiers)


def parse_usage_csv(provider: str, text: str) -> list[ProviderDay]:
    """The rows of a daily usage file for `provider`; `ReportFileError` naming the first bad line and column."""
    provider = check_provider(provider)
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    try:
        first = next(reader, None)
        if first is None or not any(c.strip() for c in first):
            raise ReportFileError(f"line 1: the file is empty; expected the header {','.join(CSV_COLUMNS)}")
        header = _header(first)
        rows: list[ProviderDay] = []
        seen: dict[tuple[date, str], int] = {}
        for cells in reader:
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue  # a blank line (the last one, often)
            if len(cells) != len(header):
                raise ReportFileError(f"line {line}: {len(cells)} cells, the header has {len(header)}")
            row = _row(provider, line, {name: cell.strip() for name, cell in zip(header, cells, strict=True)})
            key = (row.day, row.model)
            if key in seen:
                raise ReportFileError(f"line {line}: {row.day} {row.model} is already on line {seen[key]}")
            seen[key] = line
            rows.append(row)
            if len(rows) > MAX_ROWS:
                raise ReportFileError(f"line {line}: more than {MAX_ROWS} rows; import the file in parts")
    except csv.Error as exc:
        raise ReportFileError(f"line {reader.line_num}: not valid CSV ({exc})") from None
    if not rows:
        raise ReportFileError("the file has a header but no rows")
    return rows


def to_csv(rows: Iterable[ProviderDay]) -> str:
    """The usage file for `rows` (what `parse_usage_csv` reads): the CLI posts fetched reports this way."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS + OPTIONAL_COLUMNS)
    for r in rows:
        cells = [r.input_tokens, r.output_tokens, r.cache_read_tokens, r.cache_write_tokens]
        cost = "" if r.cost_usd is None else format(r.cost_usd, "f")
        tokens = ("" if c is None else c for c in cells)
        writer.writerow([r.day.isoformat(), r.model, *tokens, cost, r.service_tiers or ""])
    return out.getvalue()
