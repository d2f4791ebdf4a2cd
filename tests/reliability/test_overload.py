"""Overload and memory: 16 senders, maximum-size bodies, and the collector's peak RSS stays under 1 GiB.

The collector runs with TOKENLEDGER_MAX_PENDING_WRITES=4 (its capacity: 4 writes in flight, as many as ingest
threads), so 16 senders overload it and get 429s. 12 senders (three times capacity) each post one body of ~64 MiB once
decompressed (the default TOKENLEDGER_MAX_BODY_BYTES), one of them the issue's worst case (820,000 tiny spans: 63 MiB
inflated from a 6 MiB gzip body, which took RSS to 2.2 GB before the budgets); 4 more post small batches throughout
(one every 0.25 s each). Every sender retries 429/503 like an exporter. All bodies must be acknowledged and
stored, with no 500.
"""

from __future__ import annotations

import gzip
import threading

import httpx
import pytest
from _support import PROTO_HEADERS, memory_kib, post_until_acknowledged, proto_request
from conftest import launch_collector

pytestmark = pytest.mark.reliability

GIB_KIB = 1024 * 1024
MAX_BODY = 64 * 1024 * 1024
TINY_SPANS = 820_000  # ~81 bytes each: 63 MiB, just under the limit
PAD = "x" * 8192
PADDED_SPANS = MAX_BODY // 8400  # ~8.3 KB per padded span on the wire: just under the body limit
SMALL_BATCH = 50


def _gzip_body(request) -> bytes:
    raw = request.SerializeToString()
    assert len(raw) <= MAX_BODY
    return gzip.compress(raw, compresslevel=1)


def test_overload_with_maximum_size_bodies_stays_under_1_gib(tmp_path, record_property):
    collector = launch_collector(tmp_path, mode="subprocess", TOKENLEDGER_MAX_PENDING_WRITES="4")
    try:
        pid = collector._process.pid
        idle = memory_kib(pid)["VmRSS"]
        bodies = [_gzip_body(proto_request(range(TINY_SPANS), minimal=True))]
        for index in range(11):
            first = 1_000_000 + index * 100_000
            bodies.append(_gzip_body(proto_request(range(first, first + PADDED_SPANS), pad=PAD)))
        expected = TINY_SPANS + 11 * PADDED_SPANS
        statuses: list[int] = []
        outcomes: list[bool] = []
        stop = threading.Event()
        small_sent = [0]

        def big(body: bytes) -> None:
            with httpx.Client(timeout=600) as client:
                outcomes.append(
                    post_until_acknowledged(
                        client,
                        collector.url,
                        body,
                        {**PROTO_HEADERS, "content-encoding": "gzip"},
                        deadline_s=600,
                        statuses=statuses,
                    )  # fmt: skip
                )

        def small(sender: int) -> None:
            number = 20_000_000 + sender * 1_000_000
            with httpx.Client(timeout=600) as client:
                while not stop.is_set():
                    body = proto_request(range(number, number + SMALL_BATCH)).SerializeToString()
                    ok = post_until_acknowledged(client, collector.url, body, PROTO_HEADERS, deadline_s=600,
                                                 statuses=statuses)  # fmt: skip
                    outcomes.append(ok)
                    small_sent[0] += SMALL_BATCH if ok else 0
                    number += SMALL_BATCH
                    stop.wait(0.25)  # an exporter's pace: a batch every so often, not back to back

        bigs = [threading.Thread(target=big, args=(body,)) for body in bodies]
        smalls = [threading.Thread(target=small, args=(i,)) for i in range(4)]
        for thread in bigs + smalls:
            thread.start()
        for thread in bigs:
            thread.join(timeout=900)
        stop.set()
        for thread in smalls:
            thread.join(timeout=900)
        peak = memory_kib(pid)["VmHWM"]
        total = httpx.get(collector.url + "/api/v1/calls", params={"limit": 0}, timeout=60).json()["total"]
    finally:
        collector.stop()
    record_property("peak_rss_kib", peak)
    print(
        f"\noverload: 16 senders, {len(bodies)} bodies up to 64 MiB decompressed + {small_sent[0]} small-batch spans;"
        f" idle RSS {idle // 1024} MiB, peak RSS {peak // 1024} MiB; {statuses.count(429)} x 429, "
        f"{statuses.count(0)} connection errors, statuses {sorted(set(statuses))}; {total} rows stored"
    )
    assert all(outcomes)
    assert 500 not in statuses
    assert total == expected + small_sent[0]
    assert 429 in statuses  # it was overloaded
    assert peak < GIB_KIB, f"peak RSS {peak // 1024} MiB"
