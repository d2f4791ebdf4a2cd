"""Fake LLM provider APIs as real local HTTP servers, for tests and for `make demo` (no API key needed).

with FakeAnthropic(usage=lambda body: FakeUsage(input_tokens=1200, output_tokens=80)) as fake:
    client = anthropic.AsyncAnthropic(api_key="sk-test-not-a-real-key", base_url=fake.base_url)
"""

from ._anthropic import FakeAnthropic
from ._anthropic_admin import AdminUsage, FakeAnthropicAdmin
from ._server import FakeRequest, PlanPolicy, UsagePolicy, default_usage
from ._xai import FakeXAI
from .types import FAILURES, FakePlan, FakeUsage, reply_text

__all__ = [
    "FAILURES",
    "AdminUsage",
    "FakeAnthropic",
    "FakeAnthropicAdmin",
    "FakePlan",
    "FakeRequest",
    "FakeUsage",
    "FakeXAI",
    "PlanPolicy",
    "UsagePolicy",
    "default_usage",
    "reply_text",
]
