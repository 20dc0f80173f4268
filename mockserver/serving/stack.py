"""The served app, layer on layer: the mock, then live reload, the admin API and CORS in front of it.

    request -> CORS -> admin (/__mock__/...) -> LiveApp -> MockApp (latency, faults, request log)
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.types import ASGIApp, Scope

from mockserver.consumers.observe import attach
from mockserver.foundation.problems import LoadError
from mockserver.runtime.app import MockApp, create_app
from mockserver.runtime.delivery import FaultSettings
from mockserver.serving.admin import DEFAULT_ADMIN_PREFIX, AdminApi
from mockserver.serving.cors import CorsMiddleware
from mockserver.serving.options import ServeOptions
from mockserver.serving.reload import LiveApp
from mockserver.serving.request_log import RequestLog
from mockserver.spec import load_spec


@dataclass
class Stack:
    """The served ASGI app and handles on its layers."""

    asgi: ASGIApp
    live: LiveApp
    admin: AdminApi | None


def build_mock(options: ServeOptions, *, validate: bool = True) -> MockApp:
    """One mock app as the options describe it (called again on every reload).

    `validate=False` leaves out openapi-spec-validator (unless strict): `serve` runs it after start-up,
    in the background, since it takes seconds on a large spec.
    """
    sizing = {} if options.journal_size is None else {"journal_size": options.journal_size}
    # Validated even when not strict: what openapi-spec-validator finds is printed as warnings.
    spec = load_spec(options.spec, validate=validate or options.strict, strict=options.strict,
                     allow_ref_outside=options.allow_ref_outside)
    try:
        app = create_app(spec, options.fixtures, seed=options.seed, mode=options.mode,
                         scenario=options.scenario, strict=options.strict, **sizing)
    except LoadError as error:  # fixture problems often follow from the spec's: those are told first
        raise LoadError([*spec.warnings, *error.problems]) from None
    app.faults = FaultSettings(delay=options.delay)
    if options.log_format is not None:
        app.observers.append(RequestLog(app.spec, options.log_stream, options.log_format))
    if options.recorder is not None:
        attach(app, options.recorder)
    return app


def build_stack(options: ServeOptions, app: MockApp | None = None) -> Stack:
    """The served app: `app` (or a new mock) behind live reload, the admin API and CORS."""
    live = LiveApp(lambda: build_mock(options), app)
    entry: ASGIApp = live
    admin = None
    if options.admin:
        admin = AdminApi(live, lambda: live.current, options.admin_prefix or DEFAULT_ADMIN_PREFIX,
                         status=live.status)
        entry = admin

    def allowed_methods(scope: Scope) -> set[str] | None:
        if admin is not None and admin.owns(scope):
            return admin.allowed_methods(scope)
        raw = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1").split("?", 1)[0]
        match = live.current.router.match(raw, scope["method"])
        return None if match is None else set(match.allowed)

    if options.cors:
        entry = CorsMiddleware(entry, allowed_methods, options.cors_origins)
    return Stack(entry, live, admin)
