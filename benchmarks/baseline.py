"""The benchmark's ceiling: a bare Starlette app answering recorded responses, byte for byte.

    python benchmarks/baseline.py answers.json --port 4011

`answers.json` is what the benchmark recorded from the mock: for each request (path, query string,
whether it carried credentials, its `Prefer` header) the status, content type and body. The app routes
and answers like any small Starlette app would, and runs under uvicorn with the settings
`mockserver serve` uses, so the ratio of the two measures what the mock itself costs.
"""

from __future__ import annotations

import argparse
import base64
import json
from dataclasses import dataclass
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

AnswerKey = tuple[str, bytes, bool, str | None]


@dataclass(frozen=True)
class RecordedAnswer:
    status: int
    content_type: str
    body: bytes


def answer_key(path: str, query: bytes, has_credentials: bool, prefer: str | None) -> AnswerKey:
    return path, query, has_credentials, prefer


def load_answers(path: Path) -> dict[AnswerKey, RecordedAnswer]:
    answers = {}
    for item in json.loads(path.read_text(encoding="utf-8")):
        key = answer_key(item["path"], item["query"].encode("latin-1"), item["credentials"], item["prefer"])
        answers[key] = RecordedAnswer(item["status"], item["content_type"], base64.b64decode(item["body"]))
    return answers


def create_baseline(answers: dict[AnswerKey, RecordedAnswer]) -> Starlette:
    async def endpoint(request: Request) -> Response:
        headers = request.headers
        key = answer_key(request.url.path, request.scope["query_string"], "authorization" in headers,
                         headers.get("prefer"))
        answer = answers.get(key)
        if answer is None:
            return Response(b'{"detail":"Not Found"}', 404, media_type="application/json")
        return Response(answer.body, answer.status, media_type=answer.content_type)

    paths = sorted({key[0] for key in answers})
    return Starlette(routes=[Route(path, endpoint) for path in paths])


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("answers", type=Path)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    app = create_baseline(load_answers(args.answers))
    # The very call `mockserver serve` makes (mockserver.serving.serve.serve): same loop, parser and logging.
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
