"""A small, conforming implementation of tests/corpus/crud_petstore.yaml, and two variants that keep the
answers' shapes but break what a sequence of requests shows: a deleted pet still served, a created pet
that cannot be read back.

Records live in memory per app; every body is checked against the spec's own schemas (400 with the
documented error body), and an unknown id answers the documented 404.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import jsonschema_rs
import yaml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

SPEC = Path(__file__).resolve().parents[1] / "corpus" / "crud_petstore.yaml"
STAMP = "2024-03-01T10:00:00Z"
MAX_LIMIT = 50
MAX_TAG = 20
INITIAL_PETS = [("Rex", "dog"), ("Tom", "cat"), ("Nemo", "fish")]


def _new_pet_validator() -> Any:
    document = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    return jsonschema_rs.validator_for(document["components"]["schemas"]["NewPet"])


def error(status: int, message: str) -> Response:
    return JSONResponse({"code": status, "message": message}, status)


class PetServer:
    """The conforming server; `app()` builds the Starlette app (each one with its own records)."""

    def __init__(self) -> None:
        self._numbers = itertools.count(1)
        self._new_pet = _new_pet_validator()
        self.pets: dict[str, dict[str, Any]] = {}
        for name, tag in INITIAL_PETS:
            pet = {"id": self._next_id(), "name": name, "tag": tag, "created_at": STAMP}
            self.pets[pet["id"]] = pet

    def _next_id(self) -> str:
        return f"pet_{next(self._numbers):08d}"

    def app(self) -> Starlette:
        # One route per path, so that a 405 names every method the path allows.
        collection = {"GET": self.list_pets, "POST": self.create_pet}
        item = {"GET": self.get_pet, "PUT": self.replace_pet, "DELETE": self.delete_pet}
        return Starlette(routes=[
            Route("/pets", _by_method(collection), methods=list(collection)),
            Route("/pets/{pet_id}", _by_method(item), methods=list(item)),
        ])

    # --- the parts a variant changes ---------------------------------------------------------------

    def store(self, pet: dict[str, Any]) -> None:
        self.pets[pet["id"]] = pet

    def find(self, pet_id: str) -> dict[str, Any] | None:
        return self.pets.get(pet_id)

    def remove(self, pet_id: str) -> bool:
        return self.pets.pop(pet_id, None) is not None

    def listed(self) -> list[dict[str, Any]]:
        return list(self.pets.values())

    # --- endpoints ---------------------------------------------------------------------------------

    async def list_pets(self, request: Request) -> Response:
        query = request.query_params
        limit = _integer(query.get("limit", "20"), 1, MAX_LIMIT)
        offset = _integer(query.get("offset", "0"), 0, None)
        tag = query.get("tag")
        if limit is None or offset is None or (tag is not None and len(tag) > MAX_TAG):
            return error(400, "invalid query parameters")
        pets = [pet for pet in self.listed() if tag is None or pet.get("tag") == tag]
        return JSONResponse(pets[offset:offset + limit])

    async def create_pet(self, request: Request) -> Response:
        body = await self._body(request)
        if body is None:
            return error(400, "the body is not a valid pet")
        pet = {**body, "id": self._next_id(), "created_at": STAMP}
        self.store(pet)
        location = f"{request.scope.get('root_path', '')}/pets/{pet['id']}"
        return JSONResponse(pet, 201, headers={"Location": location})

    async def get_pet(self, request: Request) -> Response:
        pet = self.find(request.path_params["pet_id"])
        return JSONResponse(pet) if pet is not None else error(404, "no such pet")

    async def replace_pet(self, request: Request) -> Response:
        pet_id = request.path_params["pet_id"]
        current = self.find(pet_id)
        if current is None:
            return error(404, "no such pet")
        body = await self._body(request)
        if body is None:
            return error(400, "the body is not a valid pet")
        pet = {**body, "id": pet_id, "created_at": current["created_at"]}
        self.store(pet)
        return JSONResponse(pet)

    async def delete_pet(self, request: Request) -> Response:
        if not self.remove(request.path_params["pet_id"]):
            return error(404, "no such pet")
        return Response(status_code=204)

    async def _body(self, request: Request) -> dict[str, Any] | None:
        try:
            body = json.loads(await request.body())
        except ValueError:
            return None
        if not isinstance(body, dict) or not self._new_pet.is_valid(body):
            return None
        return {name: value for name, value in body.items() if name not in ("id", "created_at")}


def _by_method(handlers: dict[str, Any]) -> Any:
    async def endpoint(request: Request) -> Response:
        handler = handlers.get(request.method, handlers["GET"])  # HEAD is answered as GET
        response: Response = await handler(request)
        return response

    return endpoint


def _integer(text: str, minimum: int, maximum: int | None) -> int | None:
    try:
        value = int(text)
    except ValueError:
        return None
    if value < minimum or (maximum is not None and value > maximum):
        return None
    return value


class DeletedStillServed(PetServer):
    """DELETE marks a pet deleted (204; the list, PUT and DELETE no longer see it), but GET of its id reads
    the records without looking at the mark: 200 with the deleted pet."""

    def __init__(self) -> None:
        super().__init__()
        self.deleted: set[str] = set()

    def find(self, pet_id: str) -> dict[str, Any] | None:
        return None if pet_id in self.deleted else super().find(pet_id)

    def remove(self, pet_id: str) -> bool:
        if self.find(pet_id) is None:
            return False
        self.deleted.add(pet_id)
        return True

    def listed(self) -> list[dict[str, Any]]:
        return [pet for pet in self.pets.values() if pet["id"] not in self.deleted]

    async def get_pet(self, request: Request) -> Response:
        pet = self.pets.get(request.path_params["pet_id"])  # the bug: deleted ones too
        return JSONResponse(pet) if pet is not None else error(404, "no such pet")


class CreatedNotStored(PetServer):
    """POST answers 201 with the new pet, but never keeps it: reading it back answers 404."""

    def store(self, pet: dict[str, Any]) -> None:
        if pet["id"] in self.pets:  # a replacement of a pet that exists is kept
            super().store(pet)


SERVERS: dict[str, type[PetServer]] = {
    "conforming": PetServer,
    "deleted-still-served": DeletedStillServed,
    "created-not-stored": CreatedNotStored,
}
