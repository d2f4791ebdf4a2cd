"""The demo's budgets: created at start through the API, once (a second run finds them by name and adds none).

Amounts are set against the simulated traffic (docs/demo.md): chat's month stays inside its budget, the whole
product's week too, and analysis passes its small monthly budget within the first week of a month (before that,
its forecast is over), so the Budgets page and the alert history show every status on a first start.
"""

from __future__ import annotations

from typing import Any

import httpx

DEMO_BUDGETS: tuple[dict[str, Any], ...] = (
    {"name": "Chat monthly", "amount_usd": "250", "period": "month", "scope": {"layer": ["chat"]},
     "thresholds": ["0.5", "0.8", "1"]},
    {"name": "Analysis monthly", "amount_usd": "3", "period": "month", "scope": {"layer": ["analysis"]},
     "thresholds": ["0.5", "0.8", "1"]},
    {"name": "All LLM spend weekly", "amount_usd": "60", "period": "week", "thresholds": ["0.8", "1"]},
)  # fmt: skip


def ensure_budgets(collector_url: str, admin_headers: dict[str, str], read_headers: dict[str, str]) -> list[str]:
    """Create the demo budgets the collector does not have yet (by name); the names created.

    A refusal (a collector with tokens but no admin token here) is reported, never fatal: the demo goes on.
    """
    try:
        listed = httpx.get(f"{collector_url}/api/v1/budgets", headers=read_headers, timeout=30)
        listed.raise_for_status()
        have = {b["name"] for b in listed.json()["budgets"]}
        created = []
        for body in DEMO_BUDGETS:
            if body["name"] in have:
                continue
            response = httpx.post(f"{collector_url}/api/v1/budgets", json=body, headers=admin_headers, timeout=30)
            response.raise_for_status()
            created.append(body["name"])
        return created
    except httpx.HTTPStatusError as exc:
        hint = " (set TOKENLEDGER_ADMIN_TOKEN)" if exc.response.status_code == 401 else ""
        print(f"Budgets: the collector refused ({exc.response.status_code}){hint}; no demo budgets.", flush=True)
    except httpx.HTTPError as exc:
        print(f"Budgets: cannot reach the collector ({type(exc).__name__}); no demo budgets.", flush=True)
    return []
