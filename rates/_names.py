"""Model-name variants: the names users send for a card's model (docs/rates.md, "Model names").

A card is found by its exact name or alias first (case-insensitive), so a card for a host's own name (a Bedrock
inference profile priced with its regional premium, say) always wins. Only then are the variant forms below
stripped, one rule after another, looking the name up after each step; dots between digits are tried as dashes
at each step. The row keeps the name as sent; the card's model is what spend groups by.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    # `anthropic/claude-sonnet-4-6`, `xai/grok-4`, `openrouter/anthropic/claude-opus-4.5`: the part after the last /.
    ("provider prefix", re.compile(r"^.*/")),
    # Bedrock cross-region inference profiles: `us.`, `eu.`, `apac.`, `global.` ... before the vendor.
    ("bedrock profile", re.compile(r"^(?:us|eu|apac|ap|au|ca|jp|us-gov|global)\.(?=[a-z-]+\.)")),
    # Bedrock model ids: `anthropic.claude-sonnet-4-5-20250929-v1:0`.
    ("bedrock vendor", re.compile(r"^(?:anthropic|xai|x-ai)\.")),
    ("bedrock version", re.compile(r"-v\d+(?::\d+)?$")),
    # Dated snapshots: `-20250929`, Vertex's `@20250929`, and the dashed `-2025-09-29`.
    ("date", re.compile(r"[-@](?:\d{8}|\d{4}-\d{2}-\d{2})$")),
    # `claude-opus-4-5-latest`, `claude-sonnet-4-5-thinking` (an alias such as `grok-latest` matches before).
    ("latest", re.compile(r"-latest$")),
    ("thinking", re.compile(r"-thinking$")),
    ("date", re.compile(r"[-@](?:\d{8}|\d{4}-\d{2}-\d{2})$")),  # `claude-x-20250101-thinking`: the date came first
)
"""(rule name, pattern removed): applied in this order, each at most once."""

_DOTTED_VERSION = re.compile(r"(?<=\d)\.(?=\d)")


def name_variants(model: str) -> Iterator[str]:
    """The lower-cased name as sent, then each form the rules reach, each also with dotted versions as dashes."""
    name = model.strip().lower()
    seen: set[str] = set()
    for _, pattern in ((None, None), *RULES):
        if pattern is not None:
            name = pattern.sub("", name)
        for candidate in (name, _DOTTED_VERSION.sub("-", name)):
            if candidate and candidate not in seen:
                seen.add(candidate)
                yield candidate
