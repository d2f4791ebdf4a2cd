"""`python -m tokenledger.fakes --anthropic-port P --xai-port Q`: run both fakes until interrupted."""

from __future__ import annotations

import argparse
import threading

from . import FAILURES, FakeAnthropic, FakeXAI


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tokenledger.fakes", description=__doc__)
    parser.add_argument("--anthropic-port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--xai-port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay before every answer")
    parser.add_argument("--chunk-delay-ms", type=float, default=0.0, help="delay between stream frames")
    parser.add_argument("--failure", choices=sorted(FAILURES), default=None, help="make every request fail so")
    args = parser.parse_args(argv)
    options = {
        "latency_s": args.latency_ms / 1000,
        "chunk_delay_s": args.chunk_delay_ms / 1000,
        "failure": args.failure,
    }
    anthropic_fake = FakeAnthropic(port=args.anthropic_port, **options)
    xai_fake = FakeXAI(port=args.xai_port, **options)
    with anthropic_fake, xai_fake:
        # Printed so a parent process (the demo, a test) can read the ports picked.
        print(f"ANTHROPIC_BASE_URL={anthropic_fake.base_url}", flush=True)
        print(f"XAI_BASE_URL={xai_fake.base_url}", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
