"""The store's SQL (written for DuckDB in `_reads`, `_repricing`, `_policy`, `_whatif`, `_focus`, `_cards`) as
ClickHouse SQL, so that every read and repricing rule is written once.

The translation is of a closed set of statements, the ones this package builds; it is not a general SQL converter.
What changes:
- `?` placeholders become ClickHouse's typed server-side parameters `{p0:Type}` (the value is sent apart from the
  SQL, never formatted into it); the type comes from the cast the SQL already has (`?::DECIMAL(38, 18)`,
  `CAST(? AS DECIMAL(38, 12))`) or else from the Python value (datetime -> DateTime64(6, 'UTC'), ...).
- Per-token rates (`DECIMAL(38, 18)`) are `Decimal(76, 18)` here: ClickHouse adds the scales of a product
  (tokens x rate x tier multiplier reaches 36 decimals) and would overflow 38 digits.
- A cast to money rounds: ClickHouse's CAST to fewer decimals truncates, DuckDB's (and `rates.money`) rounds half
  up; `round()` on a Decimal rounds half away from zero, which is the same. So repricing is exact to the digit.
- `TRY_CAST(x AS BIGINT)` -> `accurateCastOrNull(x, 'Int64')`, with the sums inside taken in Int128 (a total past
  int64 reads null, as on DuckDB, instead of wrapping); `quantile_cont(x, p)` -> `quantileExactInclusive(p)(x)`
  (the same linear interpolation; a list of levels, an array of those); DuckDB's UTC day `_reads.DAY_SQL` ->
  `toDate(start_time)`; `x IN (SELECT unnest(?))` -> `x IN {p:Array(String)}`; DuckDB's
  `string_agg(DISTINCT x, sep ORDER BY x)` -> the sorted distinct values joined.
- Reads of the deduplicated tables say `FINAL` (see `_clickhouse_schema`: dedupe on read).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ._reads import DAY_SQL

RATE_TYPE = "Decimal(76, 18)"
_TYPES = {
    "DECIMAL(38, 18)": RATE_TYPE,
    "DECIMAL(38, 12)": "Decimal(38, 12)",
    "DECIMAL(12, 6)": "Decimal(12, 6)",
    "DECIMAL(12, 6)[]": "Array(Decimal(12, 6))",
    "VARCHAR[]": "Array(String)",
    "VARCHAR": "String",
    "BIGINT": "Int64",
}
FINAL_TABLES = ("calls", "rate_cards", "repricings", "budgets", "alerts", "provider_reports")
_FINAL = re.compile(r"\bFROM (" + "|".join(FINAL_TABLES) + r")\b(?! FINAL)")
_TYPED = re.compile(
    r"\?::(DECIMAL\(\d+, ?\d+\)(?:\[\])?|VARCHAR\[\]|VARCHAR|BIGINT)"  # ?::TYPE
    r"|CAST\(\? AS ([^?]*?\)?(?:\[\])?)\)"  # CAST(? AS TYPE)
)
_UNNEST = re.compile(r"\(SELECT unnest\((\{p\d+:Array\(String\)\})\)\)")
_STRING_AGG = re.compile(r"string_agg\(DISTINCT (\w+), '([^']*)' ORDER BY \1\)")


def value_type(value: Any) -> str:
    """The ClickHouse type a Python parameter is sent as when the SQL gives none."""
    if value is None:
        return "Nullable(String)"
    if isinstance(value, bool):
        return "Bool"
    if isinstance(value, int):
        return "Int64"
    if isinstance(value, float):
        return "Float64"
    if isinstance(value, Decimal):
        exponent = value.as_tuple().exponent
        scale = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        return "Decimal(38, 12)" if scale <= 12 else f"Decimal(76, {min(scale, 40)})"
    if isinstance(value, datetime):
        return "DateTime64(6, 'UTC')"
    if isinstance(value, date):
        return "Date32"
    if isinstance(value, list | tuple):
        return "Array(String)"
    return "String"


def _closing(sql: str, start: int) -> int:
    """Index of the parenthesis closing the one opened at `start`."""
    depth = 0
    for i in range(start, len(sql)):
        if sql[i] == "(":
            depth += 1
        elif sql[i] == ")":
            depth -= 1
            if depth == 0:
                return i
    raise ValueError("unbalanced parentheses")


def split_top(text: str, sep: str = ",") -> list[str]:
    """`text` split at `sep` outside parentheses and quotes."""
    parts, depth, quoted, last = [], 0, False, 0
    for i, ch in enumerate(text):
        if ch == "'":
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth -= 1
        elif not quoted and depth == 0 and text.startswith(sep, i):
            parts.append(text[last:i])
            last = i + len(sep)
    parts.append(text[last:])
    return [p.strip() for p in parts]


def _rewrite_calls(sql: str, name: str, rewrite) -> str:
    """Replace each `name(...)` call by `rewrite(inner text)` (innermost first is not needed: no nesting here)."""
    out, pos = [], 0
    pattern = re.compile(r"\b" + re.escape(name) + r"\(")
    while (match := pattern.search(sql, pos)) is not None:
        end = _closing(sql, match.end() - 1)
        out.append(sql[pos : match.start()])
        out.append(rewrite(sql[match.end() : end]))
        pos = end + 1
    out.append(sql[pos:])
    return "".join(out)


def _try_cast(inner: str) -> str:
    head, _, kind = inner.rpartition(" AS ")
    assert kind.strip() == "BIGINT", inner
    head = _rewrite_calls(head, "sum", lambda arg: f"sum(toInt128({arg}))")
    return f"accurateCastOrNull({head}, 'Int64')"


def _quantile(inner: str) -> str:
    if inner.endswith("]"):  # a list of levels: an array of one quantile each, null over no value as in DuckDB
        value, _, levels = inner[:-1].rpartition(", [")  # (quantilesExactInclusive answers nan there)
        return "[" + ", ".join(f"quantileExactInclusive({each})({value})" for each in split_top(levels)) + "]"
    value, level = split_top(inner)
    return f"quantileExactInclusive({level})({value})"


def _money_cast(inner: str) -> str:
    head, _, kind = inner.rpartition(" AS ")
    if kind.strip() == "DECIMAL(38, 12)":
        return f"CAST(round({head}, 12) AS Decimal(38, 12))"
    return f"CAST({head} AS {_TYPES.get(kind.strip(), kind)})"


def translate(sql: str, params: Sequence[Any] = ()) -> tuple[str, dict[str, Any]]:
    """ClickHouse SQL for one of this package's DuckDB statements, and its parameters by name."""
    values = list(params)
    named: dict[str, Any] = {}
    out: list[str] = []
    pos = index = 0
    typed = {m.start(): m for m in _TYPED.finditer(sql)}
    while pos < len(sql):
        match = typed.get(pos)
        if match is not None or sql[pos] == "?":
            if index >= len(values):
                raise ValueError("fewer parameters than placeholders")
            value = values[index]
            kind = (match.group(1) or match.group(2)).strip() if match is not None else None
            ch_type = _TYPES.get(kind, kind) if kind else value_type(value)
            if value is None and not ch_type.startswith("Nullable"):
                ch_type = f"Nullable({ch_type})"
            name = f"p{index}"
            named[name] = list(value) if isinstance(value, tuple) else value
            out.append(f"{{{name}:{ch_type}}}")
            index += 1
            pos = match.end() if match is not None else pos + 1
            continue
        out.append(sql[pos])
        pos += 1
    if index != len(values):
        raise ValueError("more parameters than placeholders")
    text = "".join(out)
    text = text.replace(DAY_SQL, "toDate(start_time)")
    text = _rewrite_calls(text, "TRY_CAST", _try_cast)
    text = _rewrite_calls(text, "quantile_cont", _quantile)
    text = _rewrite_calls(text, "CAST", _money_cast)
    text = text.replace(f"::{'DECIMAL(38, 18)'}", f"::{RATE_TYPE}")
    text = _UNNEST.sub(r"\1", text)
    text = _STRING_AGG.sub(r"nullIf(arrayStringConcat(arraySort(groupUniqArray(\1)), '\2'), '')", text)
    text = _FINAL.sub(r"FROM \1 FINAL", text)
    return text, named
