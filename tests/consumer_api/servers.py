"""Small implementations of the shop API (`openapi.yaml`) for `mockserver verify`: a conforming one and
variants that each change one thing a consumer may or may not rely on."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

API_KEY_HEADER = "X-Api-Key"


class ShopServer:
    """Answers as the spec documents: 401 without a key, the widget w1, 404 for any other id, 200 on create.
    `POST /__state {"state": ..., "action": "setup"|"teardown"}` sets a provider state up or tears it down
    (`scenario=empty`: no widget)."""

    def __init__(self) -> None:
        self.states: list[dict[str, Any]] = []
        self.empty = False

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/widgets", self.list_widgets, methods=["GET"]),
            Route("/widgets", self.create_widget, methods=["POST"]),
            Route("/widgets/{widget_id}", self.get_widget, methods=["GET"]),
            Route("/__state", self.set_state, methods=["POST"]),
        ])

    def widget(self) -> dict[str, Any]:
        return {"id": "w1", "name": "sprocket", "price": 250, "color": "red",
                "description": "a small sprocket"}

    def created_status(self) -> int:
        return 200

    def unauthorized(self, request: Request) -> Response | None:
        if not request.headers.get(API_KEY_HEADER):
            return JSONResponse({"detail": "missing key"}, 401)
        return None

    async def list_widgets(self, request: Request) -> Response:
        if (refused := self.unauthorized(request)) is not None:
            return refused
        items = [] if self.empty else [self.widget()]
        return JSONResponse({"items": items, "total": len(items)})

    async def get_widget(self, request: Request) -> Response:
        if (refused := self.unauthorized(request)) is not None:
            return refused
        if request.path_params["widget_id"] != "w1":
            return JSONResponse({"detail": "not found"}, 404)
        return JSONResponse(self.widget())

    async def create_widget(self, request: Request) -> Response:
        if (refused := self.unauthorized(request)) is not None:
            return refused
        body = await request.json()
        if not isinstance(body.get("name"), str) or not isinstance(body.get("price"), int):
            return JSONResponse({"detail": "invalid"}, 422)
        return JSONResponse({"id": "w9", "name": body["name"], "price": body["price"]}, self.created_status())

    async def set_state(self, request: Request) -> Response:
        body = await request.json()
        self.states.append(body)
        self.empty = body.get("state") == "scenario=empty" and body.get("action") == "setup"
        return JSONResponse({})


class DropsColor(ShopServer):
    """Leaves out `color`, which the spec allows but the consumers received."""

    def widget(self) -> dict[str, Any]:
        return {key: value for key, value in super().widget().items() if key != "color"}


class DropsDescription(ShopServer):
    """Leaves out `description`, which no consumer ever received (the mock's examples lack it)."""

    def widget(self) -> dict[str, Any]:
        return {key: value for key, value in super().widget().items() if key != "description"}


class AcceptedLater(ShopServer):
    """Answers a creation with 202 (documented: created later) where consumers got 200."""

    def created_status(self) -> int:
        return 202
