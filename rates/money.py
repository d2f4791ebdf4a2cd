"""The money scale: USD amounts are stored, sent and rounded at 12 decimals. Pure Python, no I/O.

The store's `DECIMAL(38, 12)`, the Arrow `decimal128(38, 12)` of the read API, the card file's price precision and
the rounding of a reported cost all follow these figures.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Context, Decimal

MONEY_PRECISION = 38
"""Significant digits of a stored amount."""
MONEY_SCALE = 12
"""Decimals of a stored amount (1e-12 USD)."""
MONEY_SQL = f"DECIMAL({MONEY_PRECISION}, {MONEY_SCALE})"
"""The SQL type of a stored amount (the shipped migrations spell it out: they are history and never change)."""
MONEY_LIMIT = Decimal(10) ** (MONEY_PRECISION - MONEY_SCALE)
"""DECIMAL(38, 12) holds amounts below 10**26 USD (26 integer digits)."""
_QUANTUM = Decimal(1).scaleb(-MONEY_SCALE)
_BOUND = MONEY_LIMIT - _QUANTUM / 2
# One context for every rounding: `localcontext()` per amount cost more than the rounding itself (~4x), and money is
# rounded several times per ingested span. The default 28 digits cannot quantize 17+ integer digits to 12 decimals.
_ROUNDING = Context(prec=60, rounding=ROUND_HALF_UP)


def fits_money(value: Decimal) -> bool:
    """True when `value` is a finite amount that DECIMAL(38, 12) can store after rounding."""
    return value.is_finite() and abs(value) < _BOUND


def money(value: Decimal | None) -> Decimal | None:
    """A USD amount rounded to the stored precision (1e-12 USD), half up as DuckDB's CAST rounds.

    Raises `ValueError` for an amount that DECIMAL(38, 12) cannot hold (see `fits_money`).
    """
    if value is None:
        return None
    if not fits_money(value):
        raise ValueError(f"{value} USD does not fit the stored precision (below 1e26, 12 decimals)")
    return value.quantize(_QUANTUM, context=_ROUNDING)
