"""How fast generated responses are: first generation of a 50-item page and of a summary, and cache hits.

    python benchmarks/generation.py [--samples 300]

Each "first generation" is a request whose key the generator has not seen (a different cursor or
customer each time), with the bundled DayZero rules applied, so it measures the whole pipeline:
drawing, validation, rules and caching. The cold start (shaping and compiling a schema on first use)
is reported on its own.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mockserver.generation import RequestContext, ResponseGenerator
from mockserver.generation.rules import load_rules
from mockserver.spec import load_spec

ROOT = Path(__file__).resolve().parent.parent
LIST = "GET /api/v1/credit-memos"
SUMMARY = "GET /api/v1/credit-memos/customers/{customer_id}/credits"
BUSINESS = {"x-business-id": "0c7e6a3e-2b0c-4a53-9b8e-6a1f2f0d9f11"}


def timed(call: Callable[[], Any]) -> tuple[float, float]:
    """(wall, CPU) milliseconds of one call; CPU time is what other busy processes cannot inflate."""
    wall, cpu = time.perf_counter(), time.thread_time()
    call()
    return (time.perf_counter() - wall) * 1000, (time.thread_time() - cpu) * 1000


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return f"p50 {statistics.median(ordered):6.2f}  p99 {p99:6.2f}"


def report(label: str, samples: list[tuple[float, float]]) -> None:
    wall, cpu = percentiles([s[0] for s in samples]), percentiles([s[1] for s in samples])
    print(f"{label:<38} wall {wall} ms | cpu {cpu} ms  (n={len(samples)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=300, help="distinct requests per measurement")
    args = parser.parse_args()

    spec = load_spec(ROOT / "openapi")
    generator = ResponseGenerator(spec, seed=0, rules=load_rules(ROOT / "fixtures"))
    page_op, summary_op = spec.find_operation(LIST), spec.find_operation(SUMMARY)
    assert page_op is not None and summary_op is not None

    def page(cursor: str) -> Any:
        request = RequestContext({}, {"limit": 50, "cursor": cursor}, BUSINESS)
        return generator.generate(page_op, "200", "application/json", request)

    def summary(customer: str) -> Any:
        request = RequestContext({"customer_id": customer}, {}, BUSINESS)
        return generator.generate(summary_op, "200", "application/json", request)

    print(f"cold start, 50-item page (compiles the schema): {timed(lambda: page('cold'))[0]:7.2f} ms")
    print(f"cold start, summary (compiles the schema):      {timed(lambda: summary('cold'))[0]:7.2f} ms")
    assert len(page("check")["items"]) == 50
    runs = range(args.samples)
    report("first generation, 50-item list page", [timed(lambda i=i: page(f"c{i}")) for i in runs])
    report("first generation, customer summary", [timed(lambda i=i: summary(f"cus_{i}")) for i in runs])
    report("cached lookup, 50-item list page", [timed(lambda i=i: page(f"c{i % 50}")) for i in runs])
    report("cached lookup, customer summary", [timed(lambda i=i: summary(f"cus_{i % 50}")) for i in runs])


if __name__ == "__main__":
    main()
