"""The span attribute names: the one contract between the `llm` client and the collector.

The client (`llm.telemetry`) sets `CLIENT_ATTRIBUTES`; the collector (`collector.mapping`) reads the `*_KEYS`
tuples, our name first, then the variants other instrumentations send (docs/ingest.md has the table). Names the
OpenTelemetry semantic conventions define come from `opentelemetry-semantic-conventions` (installed with the SDK);
the GenAI ones only exist in its `_incubating` module, which is still the library made for the job: a rename there
shows up as a failing test (tests/test_contract.py), not as a silent mismatch. Importing this costs ~2 ms.
"""

from __future__ import annotations

from opentelemetry.semconv._incubating.attributes import gen_ai_attributes as _gen_ai
from opentelemetry.semconv._incubating.attributes.deployment_attributes import DEPLOYMENT_ENVIRONMENT_NAME
from opentelemetry.semconv.attributes.error_attributes import ERROR_TYPE
from opentelemetry.semconv.attributes.server_attributes import SERVER_ADDRESS
from opentelemetry.semconv.attributes.service_attributes import SERVICE_NAME
from opentelemetry.semconv.attributes.telemetry_attributes import TELEMETRY_SDK_NAME

# The call span the client emits: OpenTelemetry GenAI conventions.
OPERATION = _gen_ai.GEN_AI_OPERATION_NAME
PROVIDER = _gen_ai.GEN_AI_PROVIDER_NAME
REQUEST_MODEL = _gen_ai.GEN_AI_REQUEST_MODEL
REQUEST_MAX_TOKENS = _gen_ai.GEN_AI_REQUEST_MAX_TOKENS
RESPONSE_MODEL = _gen_ai.GEN_AI_RESPONSE_MODEL
RESPONSE_ID = _gen_ai.GEN_AI_RESPONSE_ID
INPUT_TOKENS = _gen_ai.GEN_AI_USAGE_INPUT_TOKENS
OUTPUT_TOKENS = _gen_ai.GEN_AI_USAGE_OUTPUT_TOKENS
CACHE_READ_TOKENS = _gen_ai.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS
CACHE_WRITE_TOKENS = _gen_ai.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS
"""The convention calls a cache write "cache_creation"; everywhere else in tokenledger it is `cache_write`."""
REASONING_TOKENS = _gen_ai.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS
CACHE_WRITE_1H_TOKENS = "tokenledger.usage.cache_creation_1h.input_tokens"
"""Ours (the convention has no TTL split): the part of CACHE_WRITE_TOKENS written for one hour, priced at 2x input
at Anthropic against 1.25x for the default 5-minute writes."""

WEB_SEARCH_REQUESTS = "tokenledger.usage.web_search_requests"
"""Ours: server-side web searches the call ran (Anthropic: `usage.server_tool_use.web_search_requests`), billed per
search (Anthropic: $10 per 1,000)."""
SERVICE_TIER = "tokenledger.service_tier"
"""Ours: `standard`, `batch`, `priority`, `flex`, or `fast` for a fast-speed call (rates.SERVICE_TIERS), from the
provider's response (Anthropic: `usage.service_tier`, `usage.speed`)."""

# Ours: there is no standard cost attribute.
LAYER = "tokenledger.layer"
COST_USD = "tokenledger.cost_usd"
PRICING_UNKNOWN = "tokenledger.pricing_unknown"
REQUESTED_MODEL = "tokenledger.policy.requested_model"
STREAMING = "tokenledger.streaming"
TTFT_MS = "tokenledger.ttft_ms"

# Attribution: who a call is charged to. Customer and feature per call (the client's `llm.attribute`); team and
# cost centre per service, on the resource (either place is read, the span first).
TEAM = "tokenledger.team"
COST_CENTER = "tokenledger.cost_center"
CUSTOMER = "tokenledger.customer"
FEATURE = "tokenledger.feature"
DIMENSION_KEYS = {"team": TEAM, "cost_center": COST_CENTER, "customer": CUSTOMER, "feature": FEATURE}
"""Dimension name (a `calls` column) -> its attribute."""
CONVERSATION = _gen_ai.GEN_AI_CONVERSATION_ID

CLIENT_ATTRIBUTES = frozenset(
    {
        OPERATION,
        PROVIDER,
        REQUEST_MODEL,
        REQUEST_MAX_TOKENS,
        RESPONSE_MODEL,
        RESPONSE_ID,
        INPUT_TOKENS,
        OUTPUT_TOKENS,
        CACHE_READ_TOKENS,
        CACHE_WRITE_TOKENS,
        REASONING_TOKENS,
        CACHE_WRITE_1H_TOKENS,
        SERVICE_TIER,
        WEB_SEARCH_REQUESTS,
        ERROR_TYPE,
        LAYER,
        COST_USD,
        PRICING_UNKNOWN,
        REQUESTED_MODEL,
        STREAMING,
        TTFT_MS,
        CUSTOMER,
        FEATURE,
    }
)
"""Every attribute the client may set on a call span."""
NOT_READ_BY_COLLECTOR = frozenset({REQUEST_MAX_TOKENS, PRICING_UNKNOWN})
"""Emitted for other backends, not stored: the collector prices every call itself (so it sets `pricing_unknown`),
and a request's max_tokens bounds no cost."""

# Resource attributes.
SERVICE = SERVICE_NAME
ENVIRONMENT = DEPLOYMENT_ENVIRONMENT_NAME
ENVIRONMENT_OLD = "deployment.environment"
"""The name before semantic conventions 1.27; still sent by older SDK set-ups."""
SDK_NAME = TELEMETRY_SDK_NAME

# What the collector reads: ours first, then the variants of other instrumentations (docs/ingest.md).
PROVIDER_KEYS = (PROVIDER, _gen_ai.GEN_AI_SYSTEM, "llm.provider", "llm.system")
MODEL_KEYS = (RESPONSE_MODEL, REQUEST_MODEL, "llm.model_name")
REQUEST_MODEL_KEYS = (REQUEST_MODEL, "llm.request.model", "llm.model_name")
INPUT_KEYS = (INPUT_TOKENS, _gen_ai.GEN_AI_USAGE_PROMPT_TOKENS, "llm.token_count.prompt")
OUTPUT_KEYS = (OUTPUT_TOKENS, _gen_ai.GEN_AI_USAGE_COMPLETION_TOKENS, "llm.token_count.completion")
CACHE_READ_KEYS = (
    CACHE_READ_TOKENS,
    "gen_ai.usage.cache_read_input_tokens",
    "llm.token_count.prompt_details.cache_read",
)
CACHE_WRITE_KEYS = (
    CACHE_WRITE_TOKENS,
    "gen_ai.usage.cache_write.input_tokens",
    "gen_ai.usage.cache_creation_input_tokens",
    "llm.token_count.prompt_details.cache_write",
)
CACHE_WRITE_1H_KEYS = (CACHE_WRITE_1H_TOKENS, "anthropic.usage.cache_creation.ephemeral_1h_input_tokens")
"""Ours, and the anthropic SDK's own tracing (anthropic/_tracing.py). No other instrumentation records the TTL split
(OpenInference's anthropic `_utils.py` says so; Logfire 5.4 and OpenLLMetry 0.62 read `cache_creation_input_tokens`
only): their 1-hour writes are priced as 5-minute writes."""
REASONING_KEYS = (
    REASONING_TOKENS,
    "gen_ai.usage.reasoning_tokens",
    "llm.token_count.completion_details.reasoning",
)
SERVICE_TIER_KEYS = (
    SERVICE_TIER,
    "anthropic.response.service_tier",  # the anthropic SDK's own tracing (anthropic/_tracing.py): usage.service_tier
    "openai.response.service_tier",  # the GenAI conventions' OpenAI attribute (OpenAI-compatible providers)
    _gen_ai.GEN_AI_OPENAI_RESPONSE_SERVICE_TIER,  # its name before it moved
)
COST_KEYS = (COST_USD, "gen_ai.usage.cost", "operation.cost", "llm.cost.total")
STREAM_KEYS = (STREAMING, _gen_ai.GEN_AI_REQUEST_STREAM, "llm.is_streaming", "gen_ai.request.is_stream")
TOKEN_KEYS = INPUT_KEYS + OUTPUT_KEYS + CACHE_READ_KEYS + CACHE_WRITE_KEYS + REASONING_KEYS + CACHE_WRITE_1H_KEYS
RESPONSE_ID_KEYS = (RESPONSE_ID, "llm.response.id")
ENVIRONMENT_KEYS = (ENVIRONMENT, ENVIRONMENT_OLD)
TTFT_KEYS = (
    (TTFT_MS, 1.0),
    (_gen_ai.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK, 1000.0),  # anthropic SDK, seconds
    ("gen_ai.server.time_to_first_token", 1000.0),  # OpenLIT, seconds
)
"""(attribute, factor to milliseconds)."""
SERVER = SERVER_ADDRESS
OPENINFERENCE_KIND = "openinference.span.kind"
OPENINFERENCE_OUTPUT = "output.value"
"""OpenInference's copy of the provider's response: the collector reads its `id` only and stores nothing else."""
OPENINFERENCE_OUTPUT_TYPE = "output.mime_type"

COLLECTOR_READS = frozenset(
    {
        *PROVIDER_KEYS,
        *MODEL_KEYS,
        *REQUEST_MODEL_KEYS,
        *TOKEN_KEYS,
        *COST_KEYS,
        *SERVICE_TIER_KEYS,
        WEB_SEARCH_REQUESTS,
        *STREAM_KEYS,
        *RESPONSE_ID_KEYS,
        *ENVIRONMENT_KEYS,
        *(key for key, _ in TTFT_KEYS),
        OPERATION,
        ERROR_TYPE,
        LAYER,
        REQUESTED_MODEL,
        SERVER,
        OPENINFERENCE_KIND,
        OPENINFERENCE_OUTPUT,
        OPENINFERENCE_OUTPUT_TYPE,
        *DIMENSION_KEYS.values(),
        CONVERSATION,
    }
)
"""Every span attribute the collector reads (resource attributes aside)."""
