"""The application factory: the only place that wires Flask, extensions and blueprints."""

from __future__ import annotations

import importlib.util
import logging
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, abort, g, send_from_directory
from flask.json.provider import DefaultJSONProvider
from flask_smorest import Api
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.exceptions import HTTPException

from registry import errors, health, logs
from registry.api import context, inputs, problems
from registry.api.limits import init_limits
from registry.api.observability import init_metrics
from registry.auth.external import ExternalVerifier
from registry.auth.principal import Principal
from registry.auth.scopes import Scope
from registry.auth.tokens import TokenService, VerifiedTokens
from registry.config import Settings
from registry.db import forbid_writes, make_engine, make_sessionmaker, read_from_replica, utcnow
from registry.fieldcrypt import FieldCipher
from registry.replica import Replica
from registry.schemas.common import Problem
from registry.services import rulefiles, workdays

API_PREFIX = "/api/v1"
# Swagger UI (swagger-ui-dist, packaged by swagger-ui-py) is served from here, not from a CDN: the docs
# page must load on a machine without internet. Only the files the page loads are served.
SWAGGER_UI_URL = f"{API_PREFIX}/docs/ui/"
SWAGGER_UI_FILES = frozenset(
    {"swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "favicon-32x32.png"}
)


@dataclass
class RegistryState:
    settings: Settings
    engine: Engine
    sessionmaker: sessionmaker
    cipher: FieldCipher
    tokens: TokenService
    external: ExternalVerifier
    verified: VerifiedTokens = field(default_factory=VerifiedTokens)
    autocommit: Engine | None = None  # PostgreSQL: the engine's pool in autocommit, for reads
    replica: Replica | None = None  # REGISTRY_READ_DATABASE_URL: a streaming replica for some reads

    def read_session(self, *, replica: bool = False) -> Session:
        """A session for a request that writes nothing but its audit entry (db.forbid_writes refuses a
        flush). On PostgreSQL its statements autocommit: READ COMMITTED gives each statement its own
        snapshot inside a transaction too, so reads see what they saw before, with two round trips
        less (BEGIN, COMMIT); the audit entry and its subjects are one statement (audit.recorder).
        `replica`: the SELECTs the replica answers go to it (registry.replica; api.context decides)."""
        session = self.sessionmaker()
        if self.autocommit is not None and session.bind is self.engine:  # tests bind a connection
            session.bind = self.autocommit
            if replica and self.replica is not None:
                read_from_replica(session, self.replica)
        forbid_writes(session)
        return session

    def authenticate(self, session: Session, token: str) -> Principal:
        """Our own tokens, or a trusted external issuer's; checked once per request (see api.limits),
        and verified once per process until the access rows change (see registry.generation)."""
        checked = g.get("verified_token")
        if checked is not None and checked[0] == token:
            return checked[1]
        principal = self.verified.get(session, token)
        if principal is None:
            trusted = self.external.handles(token)
            if trusted is not None and trusted.issuer != self.tokens.issuer:
                principal = self.external.authenticate(session, token, trusted)
            else:
                principal = self.tokens.authenticate(session, token)
            self.verified.put(session, token, principal)
        g.verified_token = (token, principal)
        return principal


class RegistryJSON(DefaultJSONProvider):
    """JSON as the API documents it: UTF-8 (Vietnamese names read as written), keys in the order the
    schemas declare them, dates and times in ISO 8601 as the schemas write them (Flask's default is the HTTP
    date format)."""

    ensure_ascii = False
    sort_keys = False

    @staticmethod
    def default(o: Any) -> Any:
        if isinstance(o, date):  # datetimes too
            return o.isoformat()
        return DefaultJSONProvider.default(o)


class RegistryApi(Api):
    """flask-smorest's Api, answering every HTTP error as a problem document, and saying so in the
    OpenAPI document (its default error responses are `application/problem+json` with `Problem`)."""

    ERROR_SCHEMA = Problem

    def _register_responses(self) -> None:
        # flask-smorest registers its default error responses with the success content type.
        content_type: str = self.DEFAULT_RESPONSE_CONTENT_TYPE  # type: ignore[has-type]
        self.DEFAULT_RESPONSE_CONTENT_TYPE = "application/problem+json"
        try:
            super()._register_responses()
        finally:
            self.DEFAULT_RESPONSE_CONTENT_TYPE = content_type

    def handle_http_exception(self, error: HTTPException) -> Any:
        return problems.from_http_exception(error)


def _openapi_config(settings: Settings) -> dict[str, Any]:
    return {
        "API_TITLE": "Inter-agency e-commerce violator registry",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.1.0",
        "OPENAPI_URL_PREFIX": API_PREFIX,
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "docs",
        "OPENAPI_SWAGGER_UI_URL": SWAGGER_UI_URL,
        "API_SPEC_OPTIONS": {
            "info": {
                "description": (
                    "Shared registry of e-commerce violators for the National Steering Committee 389. "
                    "Every call needs an OAuth 2.0 bearer token; each operation states its scope. "
                    "Writes and sensitive reads need an `X-Purpose` header (case or decision number). "
                    "Errors are `application/problem+json` (RFC 9457); their `title` and `detail` follow "
                    "`Accept-Language` (`vi` or `en`, English by default; `Content-Language` says which), "
                    "`type` is the stable identifier to compare. "
                    "Where a read replica is configured, lists, histories, searches and reports may be "
                    "a moment old; a write then answers `X-Registry-Position`, and a read that sends it "
                    "back sees that write."
                )
            },
            "components": {
                "securitySchemes": {
                    "oauth2": {
                        "type": "oauth2",
                        "flows": {
                            "clientCredentials": {
                                "tokenUrl": f"{settings.issuer}/oauth/token",
                                "scopes": {
                                    scope.value: scope.name.replace("_", " ").lower() for scope in Scope
                                },
                            }
                        },
                    }
                }
            },
        },
    }


def _swagger_ui_folder() -> Path:
    """swagger-ui-py's copy of swagger-ui-dist, found without importing its web-framework handlers."""
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("swagger-ui-py is not installed (a dependency of the registry): pip install -e .")
    return Path(next(iter(spec.submodule_search_locations))) / "static"


def _serve_swagger_ui(app: Flask) -> None:
    folder = _swagger_ui_folder()

    def swagger_ui_file(filename: str) -> Any:
        if filename not in SWAGGER_UI_FILES:
            abort(404)
        return send_from_directory(folder, filename, max_age=86400)

    # Named like flask-smorest's "api-docs" blueprint (the page, openapi.json): open to anyone, as they are.
    blueprint = Blueprint("api-docs-swagger-ui", __name__, url_prefix=SWAGGER_UI_URL.rstrip("/"))
    blueprint.add_url_rule("/<path:filename>", "file", swagger_ui_file)
    app.register_blueprint(blueprint)


def create_app(settings: Settings | None = None, *, session_factory: sessionmaker | None = None) -> Flask:
    settings = settings or Settings.from_env()
    rulefiles.configure(settings.rule_files)
    try:  # working days counted in a year whose swapped days were never entered would be wrong
        workdays.require_covered(workdays.years_in_use(utcnow()))
    except workdays.CalendarNotCovered as exc:
        # Said loudly, not refused: a registry that will not start stops every workflow, expiry included.
        # `registry workflows tick` fails (its `calendar` check) until the year is entered.
        logging.getLogger(__name__).error("%s", exc)
    app = Flask(__name__)
    app.config.update(_openapi_config(settings))
    app.config["TESTING"] = settings.testing
    app.config["MAX_CONTENT_LENGTH"] = max(settings.max_body_bytes, settings.max_document_bytes)
    app.json = RegistryJSON(app)
    logs.configure(settings)  # JSON lines in production, each with its request id

    engine = make_engine(settings.database_url, pre_ping=False)
    # Production refuses a schema other than the migrations' head (ConfigError); the others warn.
    health.check_schema_at_start(settings, engine)
    cipher = FieldCipher(settings.data_key, settings.lookup_key)
    app.extensions["registry"] = RegistryState(
        settings=settings,
        engine=engine,
        sessionmaker=session_factory or make_sessionmaker(engine),
        cipher=cipher,
        tokens=TokenService(
            issuer=settings.issuer,
            audience=settings.audience,
            lifetime=settings.token_lifetime,
            cipher=cipher,
        ),
        external=ExternalVerifier.from_file(settings.trusted_issuers_file),
        autocommit=(
            engine.execution_options(isolation_level="AUTOCOMMIT")
            if engine.dialect.name == "postgresql"
            else None
        ),
        replica=(
            Replica(settings.read_database_url, max_lag=settings.read_max_lag)
            if settings.read_database_url
            else None
        ),
    )

    api = RegistryApi(app)
    _serve_swagger_ui(app)
    init_metrics(app)  # first: its after_request runs last, so the time counted includes the commit
    app.before_request(context.start_request)
    app.before_request(inputs.check_input)
    app.after_request(context.finish_request)
    init_limits(app, settings)
    app.teardown_request(context.teardown)
    app.register_error_handler(errors.RegistryError, problems.from_registry_error)
    app.register_error_handler(DBAPIError, problems.from_database_error)
    app.register_error_handler(Exception, problems.from_unexpected)

    from registry.api import register_blueprints

    register_blueprints(app, api)
    from registry.api import health as health_views

    api.register_blueprint(health_views.blp)  # /healthz and /readyz, outside /api/v1
    from registry.console import i18n
    from registry.public import init_public

    i18n.configure(app)  # Vietnamese first: the console's and the public pages' languages
    init_public(app)  # the public face: no account needed
    if settings.session_key:  # the console: officers' pages (production: only with identity providers)
        from registry.console import init_console

        init_console(app, settings)
    if settings.development_idp:  # never in production: those addresses answer 404 there
        from registry.api import devidp

        app.register_blueprint(devidp.bp)
    return app
