"""Settings from `REGISTRY_*` environment variables, validated once at start-up."""

from __future__ import annotations

import base64
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from registry.services.rulefiles import RuleFiles

_DEFAULT_RULES = RuleFiles()  # the files shipped in registry/data
ENVIRONMENTS = ("development", "production", "testing")


DEFAULT_ISSUER = "http://127.0.0.1:5000"
_EVERY_INTERFACE = {"", "0.0.0.0", "::"}  # noqa: S104 - a name for the wildcard addresses, not a bind


class ConfigError(RuntimeError):
    """Configuration that would make the registry unsafe or unable to run."""


def development_issuer(host: str, port: int) -> str:
    """The base URL a development server on `host:port` is called at (this machine for every interface)."""
    if host in _EVERY_INTERFACE:
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def _key_from_env_or_file(env: Mapping[str, str], name: str, var_dir: Path, production: bool) -> bytes:
    """A 32-byte key from `REGISTRY_<NAME>` (base64), or in development a generated one kept under var/."""
    variable = f"REGISTRY_{name.upper()}"
    raw = env.get(variable)
    if raw:
        try:
            key = base64.b64decode(raw, validate=True)
        except ValueError as exc:
            raise ConfigError(f"{variable} is not valid base64") from exc
        if len(key) != 32:
            raise ConfigError(f"{variable} must decode to 32 bytes, got {len(key)}")
        return key
    if production:
        raise ConfigError(
            f"{variable} is not set. In production the registry refuses to start without it; "
            "generate one with: openssl rand -base64 32"
        )
    path = var_dir / "keys" / f"{name}.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(base64.b64encode(secrets.token_bytes(32)).decode())
    return base64.b64decode(path.read_text().strip())


@dataclass(frozen=True)
class Settings:
    env: str
    database_url: str
    var_dir: Path
    data_key: bytes = field(repr=False)
    lookup_key: bytes = field(repr=False)
    issuer: str = DEFAULT_ISSUER
    audience: str = "registry"
    token_lifetime: int = 600
    max_body_bytes: int = 2 * 1024 * 1024
    max_document_bytes: int = 10 * 1024 * 1024
    rate_limit: str = "600 per minute"
    public_rate_limit: str = (
        "20 per hour"  # the forms anyone may send without a token (site owners' complaints)
    )
    rate_limit_storage: str = "memory://"
    trusted_issuers_file: str | None = None
    audit_origin: str = "registry.nsc389.gov.vn/audit"
    audit_signer_key: str | None = field(default=None, repr=False)  # PRIVATE+KEY note text
    competence_file: Path = _DEFAULT_RULES.competence
    holidays_file: Path = _DEFAULT_RULES.holidays
    blocking_rules_file: Path = _DEFAULT_RULES.blocking
    freezing_file: Path = _DEFAULT_RULES.freezing
    cases_file: Path = _DEFAULT_RULES.cases
    trust_dir: Path | None = None
    # The web console (registry/console): OpenID Connect providers its officers log in with, the key
    # that signs its session cookie, and how long an idle session lasts.
    identity_providers_file: str | None = None
    session_key: bytes = field(default=b"", repr=False)
    console_idle_timeout: int = 900

    @property
    def development_idp(self) -> bool:
        """The registry's own login page for the demo officers (auth.devidp): never in production."""
        return not self.production

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def testing(self) -> bool:
        return self.env == "testing"

    @property
    def rule_files(self) -> RuleFiles:
        """The rule files, for `services.rulefiles.configure` (the app factory and the CLI call it)."""
        return RuleFiles(
            competence=self.competence_file,
            holidays=self.holidays_file,
            blocking=self.blocking_rules_file,
            freezing=self.freezing_file,
            cases=self.cases_file,
            trust_dir=self.trust_dir,
        )

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        served: tuple[str, int] | None = None,
        **overrides: Any,
    ) -> Settings:
        """`served`: the (host, port) a development server is about to serve on. Without
        `REGISTRY_ISSUER` the issuer is then that address, so that tokens name where clients call."""
        env = dict(os.environ if environ is None else environ)
        mode = overrides.pop("env", None) or env.get("REGISTRY_ENV", "development")
        if mode not in ENVIRONMENTS:
            raise ConfigError(f"REGISTRY_ENV must be one of {', '.join(ENVIRONMENTS)}, got {mode!r}")
        var_dir = Path(overrides.pop("var_dir", None) or env.get("REGISTRY_VAR_DIR", "var")).resolve()
        production = mode == "production"
        database_url = overrides.pop("database_url", None) or env.get("REGISTRY_DATABASE_URL")
        if not database_url:
            if production:
                raise ConfigError("REGISTRY_DATABASE_URL is not set; production needs an explicit database")
            database_url = f"sqlite:///{var_dir / 'registry.sqlite3'}"
        if production and not env.get("REGISTRY_ISSUER") and "issuer" not in overrides:
            raise ConfigError("REGISTRY_ISSUER (the public base URL of this registry) is not set")

        def integer(name: str, default: int) -> int:
            raw = env.get(name)
            if raw is None:
                return default
            try:
                return int(raw)
            except ValueError as exc:
                raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc

        def path(name: str, default: Path) -> Path:
            raw = env.get(name)
            if not raw:
                return default
            chosen = Path(raw)
            if not chosen.is_file():
                raise ConfigError(f"{name} names {raw!r}, which is not a file")
            return chosen

        def path_or_none(name: str) -> str | None:
            raw = env.get(name)
            if raw and not Path(raw).is_file():
                raise ConfigError(f"{name} names {raw!r}, which is not a file")
            return raw or None

        def directory(name: str) -> Path | None:
            raw = env.get(name)
            if not raw:
                return None
            chosen = Path(raw)
            if not chosen.is_dir():
                raise ConfigError(f"{name} names {raw!r}, which is not a directory")
            return chosen

        console_login = not production or bool(env.get("REGISTRY_IDENTITY_PROVIDERS"))
        settings = cls(
            env=mode,
            database_url=database_url,
            var_dir=var_dir,
            data_key=overrides.pop("data_key", None)
            or _key_from_env_or_file(env, "data_key", var_dir, production),
            lookup_key=overrides.pop("lookup_key", None)
            or _key_from_env_or_file(env, "lookup_key", var_dir, production),
            issuer=(
                env.get("REGISTRY_ISSUER") or (development_issuer(*served) if served else DEFAULT_ISSUER)
            ).rstrip("/"),
            audience=env.get("REGISTRY_AUDIENCE", "registry"),
            token_lifetime=integer("REGISTRY_TOKEN_LIFETIME", 600),
            max_body_bytes=integer("REGISTRY_MAX_BODY_BYTES", 2 * 1024 * 1024),
            max_document_bytes=integer("REGISTRY_MAX_DOCUMENT_BYTES", 10 * 1024 * 1024),
            rate_limit=env.get("REGISTRY_RATE_LIMIT", "600 per minute"),
            public_rate_limit=env.get("REGISTRY_PUBLIC_RATE_LIMIT", "20 per hour"),
            rate_limit_storage=env.get("REGISTRY_RATE_LIMIT_STORAGE", "memory://"),
            trusted_issuers_file=env.get("REGISTRY_TRUSTED_ISSUERS"),
            audit_origin=env.get("REGISTRY_AUDIT_ORIGIN", "registry.nsc389.gov.vn/audit"),
            audit_signer_key=env.get("REGISTRY_AUDIT_SIGNER_KEY") or None,
            competence_file=path("REGISTRY_COMPETENCE_FILE", _DEFAULT_RULES.competence),
            holidays_file=path("REGISTRY_HOLIDAYS_FILE", _DEFAULT_RULES.holidays),
            blocking_rules_file=path("REGISTRY_BLOCKING_RULES_FILE", _DEFAULT_RULES.blocking),
            freezing_file=path("REGISTRY_FREEZING_FILE", _DEFAULT_RULES.freezing),
            cases_file=path("REGISTRY_CASES_FILE", _DEFAULT_RULES.cases),
            trust_dir=directory("REGISTRY_TRUST_DIR"),
            identity_providers_file=path_or_none("REGISTRY_IDENTITY_PROVIDERS"),
            # Signs the console's session cookie; production needs it only where officers log in.
            session_key=overrides.pop("session_key", None)
            or (_key_from_env_or_file(env, "session_key", var_dir, production) if console_login else b""),
            console_idle_timeout=integer("REGISTRY_CONSOLE_IDLE_TIMEOUT", 900),
        )
        if production and not settings.issuer.startswith("https://"):
            raise ConfigError("REGISTRY_ISSUER must be an https:// URL in production")
        if not 300 <= settings.token_lifetime <= 900:
            raise ConfigError("REGISTRY_TOKEN_LIFETIME must be between 300 and 900 seconds (5-15 minutes)")
        if not 60 <= settings.console_idle_timeout <= 8 * 3600:
            raise ConfigError("REGISTRY_CONSOLE_IDLE_TIMEOUT must be between 60 and 28800 seconds")
        return replace(settings, **overrides) if overrides else settings
