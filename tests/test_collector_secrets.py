"""A value of the wrong type in OTLP JSON is named by its field path and expected type, never echoed: an attribute
can hold a credential, and the parser's own error text quotes it (into the 400 body, partialSuccess and the log)."""

from __future__ import annotations

import json
import logging

import pytest
from helpers.otlp import HAIKU, JSON, otlp_json_request, otlp_json_span

# Not in the conformance suite: what this checks does not depend on the store (the API it reads is checked on
# every store by the conformance modules), and its chdb half cost CI minutes.

SECRET = "sk-live-SECRET123"


def _with_attr(span_id: str, value: dict) -> dict:
    span = otlp_json_span(span_id, HAIKU)
    return {**span, "attributes": [*span["attributes"], {"key": "http.request.header.authorization", "value": value}]}


SPAN_CASES = {
    "int attribute": (
        lambda: _with_attr("0000000000000002", {"intValue": f"Bearer {SECRET}"}),
        "spans[1].attributes[5].value.intValue: expected an integer",
    ),
    "double attribute": (
        lambda: _with_attr("0000000000000002", {"doubleValue": SECRET}),
        "spans[1].attributes[5].value.doubleValue: expected a number",
    ),
    "bool attribute": (
        lambda: _with_attr("0000000000000002", {"boolValue": SECRET}),
        "spans[1].attributes[5].value.boolValue: expected true or false",
    ),
    "string attribute given an object": (
        lambda: _with_attr("0000000000000002", {"stringValue": {"token": SECRET}}),
        "spans[1].attributes[5].value.stringValue: expected a string",
    ),
    "array value": (
        lambda: _with_attr("0000000000000002", {"arrayValue": {"values": [{"intValue": SECRET}]}}),
        "spans[1].attributes[5].value.arrayValue.values[0].intValue: expected an integer",
    ),
    "event attribute": (
        lambda: {
            **otlp_json_span("0000000000000002", HAIKU),
            "events": [
                {"name": "e", "droppedAttributesCount": 1, "attributes": [{"key": "k", "value": {"intValue": SECRET}}]}
            ],
        },
        "spans[1].events[0].attributes[0].value.intValue: expected an integer",
    ),
    "two value fields": (
        lambda: _with_attr("0000000000000002", {"stringValue": SECRET, "intValue": "1"}),
        "spans[1].attributes[5].value: more than one value field",
    ),
    "start time": (
        lambda: {**otlp_json_span("0000000000000002", HAIKU), "startTimeUnixNano": SECRET},
        "spans[1].startTimeUnixNano: expected an integer",
    ),
}


@pytest.mark.parametrize("case", list(SPAN_CASES))
def test_a_wrong_type_inside_a_span_is_named_not_echoed(start_collector, tmp_path, caplog, case):
    caplog.set_level(logging.DEBUG)
    collector = start_collector(tmp_path, mode="asgi")
    make_bad, names = SPAN_CASES[case]
    good = otlp_json_span("0000000000000001", HAIKU)
    body = json.dumps(otlp_json_request([good, make_bad()]))
    response = collector.client.post("/v1/traces", content=body, headers=JSON)
    assert response.status_code == 200  # the good span is kept
    message = response.json()["partialSuccess"]["errorMessage"]
    assert names in message and "resourceSpans[0].scopeSpans[0]." in message
    assert SECRET not in response.text
    assert any("span(s) rejected" in r.getMessage() for r in caplog.records), "the rejection is logged"
    assert not [r for r in caplog.records if SECRET in r.getMessage() or SECRET in str(r.exc_text or "")]
    assert SECRET not in caplog.text and SECRET not in collector.logs()


RESOURCE_CASES = {
    "resource attribute": (
        {"attributes": [{"key": "api.key", "value": {"doubleValue": SECRET}}]},
        "resourceSpans[0].resource.attributes[0].value.doubleValue: expected a number",
    ),
    "dropped count": (
        {"droppedAttributesCount": SECRET},
        "resourceSpans[0].resource.droppedAttributesCount: expected an integer",
    ),
}


@pytest.mark.parametrize("case", list(RESOURCE_CASES))
def test_a_wrong_type_in_the_resource_is_named_not_echoed(start_collector, tmp_path, caplog, case):
    caplog.set_level(logging.DEBUG)
    collector = start_collector(tmp_path, mode="asgi")
    resource, names = RESOURCE_CASES[case]
    body = {"resourceSpans": [{"resource": resource, "scopeSpans": [{"spans": [otlp_json_span("01" * 8, HAIKU)]}]}]}
    response = collector.client.post("/v1/traces", content=json.dumps(body), headers=JSON)
    assert response.status_code == 400
    assert names in response.json()["message"]
    assert SECRET not in response.text
    assert SECRET not in caplog.text and SECRET not in collector.logs()
    assert not [r for r in caplog.records if SECRET in r.getMessage()]


def test_bytes_that_are_not_utf8_are_placed_not_quoted(start_collector, tmp_path):
    collector = start_collector(tmp_path, mode="asgi")
    response = collector.client.post("/v1/traces", content=b'{"a": "\xff\xfe"}', headers=JSON)
    assert response.status_code == 400
    assert "not UTF-8 at byte 7" in response.json()["message"] and "xff" not in response.text
