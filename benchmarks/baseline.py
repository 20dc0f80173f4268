"""The benchmark's ceiling: the lightest honest Starlette app, one route per recorded answer.

    python benchmarks/baseline.py answers.json --port 4011

`answers.json` is what the benchmark recorded from the mock: for each answer a route (the request's
path under a prefix of its own, `/3/api/v1/credit-memos`) and the status, content type and body the
mock answered. Each route returns its fixed bytes: no header is read, nothing is looked up. It runs
under uvicorn with the settings `mockserver serve` uses, so the ratio of the two measures what the
mock itself costs.
"""

from __future__ import annotations

import argparse
import base64
import json
from collections.abc import Awaitable, Callable
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

Endpoint = Callable[[Request], Awaitable[Response]]


def fixed_answer(status: int, content_type: str, body: bytes) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        return Response(body, status, media_type=content_type)

    return endpoint


def create_baseline(answers: list[dict[str, object]]) -> Starlette:
    routes = [Route(str(item["route"]), fixed_answer(int(str(item["status"])), str(item["content_type"]),
                                                     base64.b64decode(str(item["body"]))))
              for item in answers]
    return Starlette(routes=routes)


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("answers", type=Path)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    app = create_baseline(json.loads(args.answers.read_text(encoding="utf-8")))
    # The very call `mockserver serve` makes (mockserver.serving.serve.serve): same loop, parser and logging.
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
