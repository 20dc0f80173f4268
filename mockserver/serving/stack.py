"""The served app, layer on layer: the mock, then live reload, the admin API and CORS in front of it.

    request -> CORS -> admin (/__mock__/...) -> LiveApp -> MockApp (latency, faults, request log)

Served on a non-loopback address, the admin API needs a token; without one it is left out.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.types import ASGIApp, Scope

from mockserver.consumers.observe import attach
from mockserver.foundation.problems import LoadError
from mockserver.runtime.app import MockApp, create_app
from mockserver.runtime.backends import DEFAULT_DEPLOYMENT
from mockserver.runtime.delivery import FaultSettings
from mockserver.serving.admin import DEFAULT_ADMIN_PREFIX, AdminApi
from mockserver.serving.admin_access import TOKEN_VARIABLE, AdminAccess, is_loopback
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
    admin_off: str | None = None  # why the admin API is off although it was not turned off


_ANY_INTERFACE = frozenset({"0.0.0.0", "::", ""})


def build_mock(options: ServeOptions, *, validate: bool = True) -> MockApp:
    """One mock app as the options describe it (called again on every reload).

    `validate=False` leaves out openapi-spec-validator (unless strict): `serve` runs it after start-up,
    in the background, since it takes seconds on a large spec.
    """
    limits = {"journal_size": options.journal_size, "journal_body_limit": options.journal_body_limit,
              "journal_bytes": options.journal_bytes, "max_sessions": options.max_sessions,
              "max_records": options.max_records, "session_ttl": options.session_ttl}
    sizing = {name: value for name, value in limits.items() if value is not None}
    # Validated even when not strict: what openapi-spec-validator finds is printed as warnings.
    spec = load_spec(options.spec, validate=validate or options.strict, strict=options.strict,
                     allow_ref_outside=options.allow_ref_outside)
    try:
        app = create_app(spec, options.fixtures, seed=options.seed, mode=options.mode,
                         scenario=options.scenario, strict=options.strict, stateful=options.stateful,
                         strict_ids=options.strict_ids, state_url=options.state_url,
                         deployment=options.deployment or DEFAULT_DEPLOYMENT, **sizing)
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
    admin_off = None
    public = not is_loopback(options.host)
    if options.admin and public and not options.admin_token:
        admin_off = (f"--host {options.host} is not a loopback address, and the admin API needs a token "
                     f"there: --admin-token or {TOKEN_VARIABLE}")
    elif options.admin:
        hosts = options.allowed_hosts
        if public and options.host not in _ANY_INTERFACE:
            hosts = (*hosts, options.host)  # the address it is reached at, as the banner prints it
        access = AdminAccess.of(options.cors_origins, hosts, options.admin_token)
        admin = AdminApi(live, lambda: live.current, options.admin_prefix or DEFAULT_ADMIN_PREFIX,
                         status=live.status, access=access)
        entry = admin

    def allowed_methods(scope: Scope) -> set[str] | None:
        if admin is not None and admin.owns(scope):
            return admin.allowed_methods(scope)
        raw = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1").split("?", 1)[0]
        match = live.current.router.match(raw, scope["method"])
        return None if match is None else set(match.allowed)

    if options.cors:
        entry = CorsMiddleware(entry, allowed_methods, options.cors_origins,
                               restricted=admin.owns if admin is not None else None)
    return Stack(entry, live, admin, admin_off)
