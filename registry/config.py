"""Settings from `REGISTRY_*` environment variables, validated once at start-up."""

from __future__ import annotations

import base64
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from registry.services.rulefiles import RuleFiles

_DEFAULT_RULES = RuleFiles()  # the files shipped in registry/data
ENVIRONMENTS = ("development", "production", "testing")


DEFAULT_ISSUER = "http://127.0.0.1:5000"
_EVERY_INTERFACE = {"", "0.0.0.0", "::"}  # noqa: S104 - a name for the wildcard addresses, not a bind


class ConfigError(RuntimeError):
    """Configuration that would make the registry unsafe or unable to run."""


LOG_FORMATS = ("json", "text")


def log_format(env: Mapping[str, str], *, production: bool | None = None) -> str:
    """REGISTRY_LOG_FORMAT, else `json` in production and `text` otherwise. One rule for the API
    (`Settings`) and for every `registry` command, which sets up its logging before it reads the rest
    of the settings (registry/cli/__init__.py). `production`: the mode, when the caller knows it."""
    if production is None:
        production = env.get("REGISTRY_ENV", "development") == "production"
    return env.get("REGISTRY_LOG_FORMAT") or ("json" if production else "text")


def check_log_format(chosen: str) -> None:
    if chosen not in LOG_FORMATS:
        raise ConfigError(f"REGISTRY_LOG_FORMAT must be json or text, got {chosen!r}")


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


def setting(
    default: Any = MISSING,
    *,
    env: str,
    doc: str,
    secret: bool = False,
    shown: str | None = None,
    **options: Any,
) -> Any:
    """A Settings field with the environment variable it is read from, what it means (`doc`), whether
    its value is a secret, and its default as the configuration table shows it (`shown`, when the
    default is not a plain value). `registry config variables` prints the table from these."""
    metadata = {"env": env, "doc": doc, "secret": secret, "shown": shown}
    if secret:
        options.setdefault("repr", False)
    if default is MISSING:
        return field(metadata=metadata, **options)
    return field(default=default, metadata=metadata, **options)


@dataclass(frozen=True)
class Settings:
    env: str = setting(
        env="REGISTRY_ENV",
        shown="development",
        doc="`development`, `testing` or `production`. Production refuses an unsafe configuration "
        "(no database or a SQLite one, no issuer or keys, a plain-HTTP issuer, Flask's debug mode) and a "
        "database schema not at the migrations' head.",
    )
    database_url: str = setting(
        env="REGISTRY_DATABASE_URL",
        shown="sqlite:///<REGISTRY_VAR_DIR>/registry.sqlite3 (required in production)",
        doc="SQLAlchemy URL of the database (`postgresql://user@host/name` in production).",
        secret=True,
    )
    var_dir: Path = setting(
        env="REGISTRY_VAR_DIR",
        shown="var",
        doc="Folder for the registry's own files: in development the SQLite database and the generated "
        "keys (keys/), the demo clients.",
    )
    data_key: bytes = setting(
        env="REGISTRY_DATA_KEY",
        shown="generated under <REGISTRY_VAR_DIR>/keys in development (required in production)",
        doc="Base64 of 32 bytes (`openssl rand -base64 32`): the AES-256-GCM key of sensitive values "
        "(personal ID and bank account numbers). Losing it loses those values.",
        secret=True,
    )
    lookup_key: bytes = setting(
        env="REGISTRY_LOOKUP_KEY",
        shown="generated under <REGISTRY_VAR_DIR>/keys in development (required in production)",
        doc="Base64 of 32 bytes: the HMAC key of lookups of sensitive values.",
        secret=True,
    )
    issuer: str = setting(
        DEFAULT_ISSUER,
        env="REGISTRY_ISSUER",
        shown=f"{DEFAULT_ISSUER}, or the address `registry serve` serves (required in production)",
        doc="Public base URL of this registry: the OAuth issuer its tokens name. `https://` in production.",
    )
    audience: str = setting("registry", env="REGISTRY_AUDIENCE", doc="The `aud` of the access tokens issued.")
    token_lifetime: int = setting(
        600, env="REGISTRY_TOKEN_LIFETIME", doc="Seconds an access token lives (300-900)."
    )
    max_body_bytes: int = setting(
        2 * 1024 * 1024, env="REGISTRY_MAX_BODY_BYTES", doc="Largest request body in bytes (413 above it)."
    )
    max_document_bytes: int = setting(
        10 * 1024 * 1024,
        env="REGISTRY_MAX_DOCUMENT_BYTES",
        doc="Largest uploaded document (a decision's PDF, a screening file) in bytes.",
    )
    rate_limit: str = setting(
        "600 per minute",
        env="REGISTRY_RATE_LIMIT",
        doc="Requests a client (or, without a token, an address) may make, all endpoints together "
        "(`limits` syntax: `100 per second`, `600/minute`).",
    )
    public_rate_limit: str = setting(
        "20 per hour",
        env="REGISTRY_PUBLIC_RATE_LIMIT",
        doc="Per client address, for the forms sent without a token (a blocked site's owner's complaint "
        "and its status; a tip from the public, its challenge and its status) and the public pages, "
        "besides `REGISTRY_RATE_LIMIT`.",
    )
    public_lookup_rate_limit: str = setting(
        "300 per hour",
        env="REGISTRY_PUBLIC_LOOKUP_RATE_LIMIT",
        doc="Per client address, for the public look-ups sent without a token (`/check`, the range "
        "query of bank accounts and phones, the list of violators and its feed, as JSON and as pages), "
        "besides `REGISTRY_RATE_LIMIT`.",
    )
    rate_limit_storage: str = setting(
        "memory://",
        env="REGISTRY_RATE_LIMIT_STORAGE",
        doc="Where the rate limits count: `redis://host:6379` in production, every worker of every host "
        "together (each adds its requests in batches of 10 or every 0.25 s, and on every request once a "
        "client is within 10 of its limit). With `memory://` each worker counts alone, as it does (with "
        "a warning in the log) while Redis does not answer; `/readyz` reports it as `degraded`.",
        secret=True,
    )
    trusted_issuers_file: str | None = setting(
        None,
        env="REGISTRY_TRUSTED_ISSUERS",
        shown="none",
        doc="JSON file of external identity providers an agency brings (their tokens are accepted).",
    )
    audit_origin: str = setting(
        "registry.nsc389.gov.vn/audit",
        env="REGISTRY_AUDIT_ORIGIN",
        doc="The audit log's origin line in its signed checkpoints.",
    )
    audit_signer_key: str | None = setting(
        None,
        env="REGISTRY_AUDIT_SIGNER_KEY",
        shown="none: keys kept encrypted in the database (`registry audit rotate-key`)",
        doc="The audit log's Ed25519 signing key (note `PRIVATE+KEY+...` text).",
        secret=True,
    )
    sequencer_max_lag: int = setting(
        60,
        env="REGISTRY_SEQUENCER_MAX_LAG",
        doc="Seconds an audit entry may wait for the sequencer before `/readyz` reports the sequencer "
        "as behind (it runs every second when alive).",
    )
    audit_retention_months: int = setting(
        60,
        env="REGISTRY_AUDIT_RETENTION_MONTHS",
        doc="Months (12-1200) the audit entries of a month stay in the database after the month ends; "
        "then `registry audit retention --archive DIR` may drop that month once the tlog-tiles archive "
        "holds it (the archive keeps every entry). 60: neither the plan nor the domain reference sets how "
        "long to keep access logs, and five years outlasts the plan's 3-year final review; set "
        "what the law in force requires.",
    )
    competence_file: Path = setting(
        _DEFAULT_RULES.competence,
        env="REGISTRY_COMPETENCE_FILE",
        shown="registry/data/" + _DEFAULT_RULES.competence.name,
        doc="Which bodies may order blocks and freezes.",
    )
    holidays_file: Path = setting(
        _DEFAULT_RULES.holidays,
        env="REGISTRY_HOLIDAYS_FILE",
        shown="registry/data/" + _DEFAULT_RULES.holidays.name,
        doc="The Government's swapped days and the years covered, for deadlines in working days (public "
        "holidays: the `holidays` package).",
    )
    blocking_rules_file: Path = setting(
        _DEFAULT_RULES.blocking,
        env="REGISTRY_BLOCKING_RULES_FILE",
        shown="registry/data/" + _DEFAULT_RULES.blocking.name,
        doc="Block-request rules: deciding agencies per action, oversight agencies, social platforms, "
        "deadlines.",
    )
    freezing_file: Path = setting(
        _DEFAULT_RULES.freezing,
        env="REGISTRY_FREEZING_FILE",
        shown="registry/data/" + _DEFAULT_RULES.freezing.name,
        doc="Freeze-order rules: processors, overseers, deadlines.",
    )
    cases_file: Path = setting(
        _DEFAULT_RULES.cases,
        env="REGISTRY_CASES_FILE",
        shown="registry/data/" + _DEFAULT_RULES.cases.name,
        doc="Who adds tax recovered to others' cases; who receives criminal referrals.",
    )
    tip_routing_file: Path = setting(
        _DEFAULT_RULES.tip_routing,
        env="REGISTRY_TIP_ROUTING_FILE",
        shown="registry/data/" + _DEFAULT_RULES.tip_routing.name,
        doc="Which agency receives a tip from the public, by category and goods group.",
    )
    tip_pow_bits: int = setting(
        18,
        env="REGISTRY_TIP_POW_BITS",
        doc="Proof of work a tip from the public carries: leading zero bits of a SHA-256 the sender's "
        "browser must find (1-32; each bit doubles the work: 18 takes a browser a few seconds).",
    )
    tip_challenge_seconds: int = setting(
        900,
        env="REGISTRY_TIP_CHALLENGE_SECONDS",
        doc="Seconds a tip's proof-of-work challenge stays valid (60-86400); each is good for one tip.",
    )
    tip_attachment_bytes: int = setting(
        5 * 1024 * 1024,
        env="REGISTRY_TIP_ATTACHMENT_BYTES",
        doc="Largest file attached to a tip from the public (PDF, JPEG or PNG; at most 3 files).",
    )
    trust_dir: Path | None = setting(
        None,
        env="REGISTRY_TRUST_DIR",
        shown="none",
        doc="Directory of CA certificates (PEM or DER) that decisions' digital signatures must chain to; "
        "unset, every signed document is `failed` (no trust list) until a reviewer overrides. After "
        "changing it run `registry decisions check-signatures`.",
    )
    # The web console (registry/console): OpenID Connect providers its officers log in with, the key
    # that signs its session cookie, and how long an idle session lasts.
    identity_providers_file: str | None = setting(
        None,
        env="REGISTRY_IDENTITY_PROVIDERS",
        shown="none (production then serves no console)",
        doc="JSON file of the OpenID Connect providers officers log in to the console with "
        "(deploy/identity-providers.example.json); outside production the development provider is added.",
    )
    session_key: bytes = setting(
        b"",
        env="REGISTRY_SESSION_KEY",
        shown="generated under <REGISTRY_VAR_DIR>/keys in development "
        "(required in production with providers)",
        doc="Base64 of 32 bytes: signs the console's session cookie.",
        secret=True,
    )
    console_idle_timeout: int = setting(
        900, env="REGISTRY_CONSOLE_IDLE_TIMEOUT", doc="Seconds an idle console session lasts (60-28800)."
    )
    job_queue: str = setting(
        "inline",
        env="REGISTRY_JOB_QUEUE",
        doc="Where long jobs (screenings over 10,000 items, partner exports) run: `inline`, a thread of the "
        "web process (development); `redis://host:6379/2`, RQ workers started with `registry jobs worker` "
        "(production; a job survives a restart). registry/jobs.py.",
        secret=True,
    )
    # Observability (registry/logs.py, registry/metrics.py).
    log_format: str = setting(
        "text",
        env="REGISTRY_LOG_FORMAT",
        shown="json in production, text otherwise",
        doc="`json`: one JSON object a line (time, level, logger, message, the request id); `text`: for "
        "a terminal.",
    )
    metrics_token_sha256: str | None = setting(
        None,
        env="REGISTRY_METRICS_TOKEN_SHA256",
        shown="none: `/metrics` answers 404",
        doc="Hex SHA-256 of the bearer token the Prometheus scraper sends to `/metrics` "
        '(`printf %s "$TOKEN" | sha256sum`); only the hash is configured.',
    )
    # Scale-out: a streaming replica for the reads that may be a moment old (registry/replica.py).
    read_database_url: str | None = setting(
        None,
        env="REGISTRY_READ_DATABASE_URL",
        shown="none: every query on the primary",
        doc="SQLAlchemy URL of a PostgreSQL streaming replica of REGISTRY_DATABASE_URL (a read-only "
        "role will do). The lists, histories, searches and public look-ups read from it; access "
        'checks, the audit log and every write stay on the primary. deploy/README.md, "From one '
        'machine to many".',
        secret=True,
    )
    read_max_lag: int = setting(
        30,
        env="REGISTRY_READ_MAX_LAG",
        doc="Seconds a replica may be behind and still answer (1-3600); further behind, or not "
        "answering, its reads go to the primary. Shown in /readyz and /metrics.",
    )
    # The executors' blocklists served over DNS zone transfer (registry/services/blocking/zones.py).
    rpz_zone_dir: Path | None = setting(
        None,
        env="REGISTRY_RPZ_ZONE_DIR",
        shown="none: `registry blocking publish-zones` then needs `--zone-dir`",
        doc="Folder the authoritative DNS server (Knot DNS) loads the executors' RPZ zones from; "
        "`registry blocking publish-zones` writes them there.",
    )
    rpz_knot_socket: str = setting(
        "/run/knot/knot.sock",
        env="REGISTRY_RPZ_KNOT_SOCKET",
        doc="knotd's control socket: `publish-zones` asks it (`knotc zone-reload`) to load each zone whose "
        "serial changed; knotd then sends NOTIFY to the executor's resolvers.",
    )
    rpz_servers_file: Path | None = setting(
        None,
        env="REGISTRY_RPZ_SERVERS_FILE",
        shown="none: no NOTIFY, transfers from any address with the key",
        doc="JSON file of each executor's resolvers (`notify`) and the addresses its transfers may come "
        "from (`transfer_from`, `unsigned_from`), for `registry blocking dns-config` "
        "(deploy/rpz-servers.example.json).",
    )
    rpz_tsig_keys_file: Path = setting(
        Path("var/keys/rpz-tsig.conf"),
        env="REGISTRY_RPZ_TSIG_KEYS_FILE",
        shown="<REGISTRY_VAR_DIR>/keys/rpz-tsig.conf",
        doc="Knot DNS `key:` file of one TSIG key per executor (secret: mode 600/640, knotd includes it); "
        "`registry blocking dns-config` adds the missing keys and never prints them.",
    )

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
            tip_routing=self.tip_routing_file,
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
            public_lookup_rate_limit=env.get("REGISTRY_PUBLIC_LOOKUP_RATE_LIMIT", "300 per hour"),
            rate_limit_storage=env.get("REGISTRY_RATE_LIMIT_STORAGE", "memory://"),
            trusted_issuers_file=env.get("REGISTRY_TRUSTED_ISSUERS"),
            audit_origin=env.get("REGISTRY_AUDIT_ORIGIN", "registry.nsc389.gov.vn/audit"),
            audit_signer_key=env.get("REGISTRY_AUDIT_SIGNER_KEY") or None,
            competence_file=path("REGISTRY_COMPETENCE_FILE", _DEFAULT_RULES.competence),
            holidays_file=path("REGISTRY_HOLIDAYS_FILE", _DEFAULT_RULES.holidays),
            blocking_rules_file=path("REGISTRY_BLOCKING_RULES_FILE", _DEFAULT_RULES.blocking),
            freezing_file=path("REGISTRY_FREEZING_FILE", _DEFAULT_RULES.freezing),
            cases_file=path("REGISTRY_CASES_FILE", _DEFAULT_RULES.cases),
            tip_routing_file=path("REGISTRY_TIP_ROUTING_FILE", _DEFAULT_RULES.tip_routing),
            tip_pow_bits=integer("REGISTRY_TIP_POW_BITS", 18),
            tip_challenge_seconds=integer("REGISTRY_TIP_CHALLENGE_SECONDS", 900),
            tip_attachment_bytes=integer("REGISTRY_TIP_ATTACHMENT_BYTES", 5 * 1024 * 1024),
            trust_dir=directory("REGISTRY_TRUST_DIR"),
            identity_providers_file=path_or_none("REGISTRY_IDENTITY_PROVIDERS"),
            # Signs the console's session cookie; production needs it only where officers log in.
            session_key=overrides.pop("session_key", None)
            or (_key_from_env_or_file(env, "session_key", var_dir, production) if console_login else b""),
            console_idle_timeout=integer("REGISTRY_CONSOLE_IDLE_TIMEOUT", 900),
            job_queue=env.get("REGISTRY_JOB_QUEUE") or "inline",
            log_format=log_format(env, production=production),
            metrics_token_sha256=(env.get("REGISTRY_METRICS_TOKEN_SHA256") or "").strip().lower() or None,
            sequencer_max_lag=integer("REGISTRY_SEQUENCER_MAX_LAG", 60),
            audit_retention_months=integer("REGISTRY_AUDIT_RETENTION_MONTHS", 60),
            read_database_url=overrides.pop("read_database_url", None)
            or env.get("REGISTRY_READ_DATABASE_URL")
            or None,
            read_max_lag=integer("REGISTRY_READ_MAX_LAG", 30),
            rpz_zone_dir=Path(env["REGISTRY_RPZ_ZONE_DIR"]) if env.get("REGISTRY_RPZ_ZONE_DIR") else None,
            rpz_knot_socket=env.get("REGISTRY_RPZ_KNOT_SOCKET") or "/run/knot/knot.sock",
            rpz_servers_file=Path(found) if (found := path_or_none("REGISTRY_RPZ_SERVERS_FILE")) else None,
            rpz_tsig_keys_file=Path(
                env.get("REGISTRY_RPZ_TSIG_KEYS_FILE") or var_dir / "keys" / "rpz-tsig.conf"
            ),
        )
        if production and not settings.issuer.startswith("https://"):
            raise ConfigError("REGISTRY_ISSUER must be an https:// URL in production")
        if production and settings.database_url.startswith("sqlite"):
            raise ConfigError(
                "REGISTRY_DATABASE_URL names a SQLite database; production needs PostgreSQL "
                "(SQLite is the development default: one writer, no replica, no concurrent sequencer)"
            )
        if settings.read_database_url is not None and not (
            settings.read_database_url.startswith("postgresql")
            and settings.database_url.startswith("postgresql")
        ):
            raise ConfigError(
                "REGISTRY_READ_DATABASE_URL needs PostgreSQL: a streaming replica of a PostgreSQL "
                "REGISTRY_DATABASE_URL (SQLite has no replica; unset it to read everything from the "
                "database)"
            )
        if not 12 <= settings.audit_retention_months <= 1200:
            raise ConfigError("REGISTRY_AUDIT_RETENTION_MONTHS must be between 12 and 1200 months")
        if not 1 <= settings.read_max_lag <= 3600:
            raise ConfigError("REGISTRY_READ_MAX_LAG must be between 1 and 3600 seconds")
        if production and env.get("FLASK_DEBUG", "").strip().lower() not in ("", "0", "false", "no"):
            raise ConfigError(
                "FLASK_DEBUG is set; production refuses Flask's debug mode (it runs code sent by a browser)"
            )
        if settings.job_queue != "inline" and not settings.job_queue.startswith(
            ("redis://", "rediss://", "unix://")
        ):
            raise ConfigError(
                f"REGISTRY_JOB_QUEUE must be inline or a redis:// URL, got {settings.job_queue!r}"
            )
        check_log_format(settings.log_format)
        if settings.metrics_token_sha256 is not None and not re.fullmatch(
            "[0-9a-f]{64}", settings.metrics_token_sha256
        ):
            raise ConfigError("REGISTRY_METRICS_TOKEN_SHA256 must be 64 hexadecimal digits (a SHA-256)")
        if not 300 <= settings.token_lifetime <= 900:
            raise ConfigError("REGISTRY_TOKEN_LIFETIME must be between 300 and 900 seconds (5-15 minutes)")
        if not 60 <= settings.console_idle_timeout <= 8 * 3600:
            raise ConfigError("REGISTRY_CONSOLE_IDLE_TIMEOUT must be between 60 and 28800 seconds")
        if not 1 <= settings.tip_pow_bits <= 32:
            raise ConfigError("REGISTRY_TIP_POW_BITS must be between 1 and 32")
        if not 60 <= settings.tip_challenge_seconds <= 86400:
            raise ConfigError("REGISTRY_TIP_CHALLENGE_SECONDS must be between 60 and 86400 seconds")
        if settings.sequencer_max_lag < 5:
            raise ConfigError("REGISTRY_SEQUENCER_MAX_LAG must be at least 5 seconds")
        return replace(settings, **overrides) if overrides else settings


@dataclass(frozen=True)
class Variable:
    """One `REGISTRY_*` environment variable as the configuration table shows it."""

    name: str
    default: str
    meaning: str
    secret: bool
    read_by: str = "the registry (`Settings`)"


# Variables read by the processes around the registry rather than by `Settings`: the WSGI server's
# configuration and the CLI.
OTHER_VARIABLES = (
    Variable(
        "REGISTRY_BIND", "127.0.0.1:8000", "Address gunicorn listens on.", False, "deploy/gunicorn.conf.py"
    ),
    Variable(
        "REGISTRY_WORKERS", "2 x cores + 1", "gunicorn worker processes.", False, "deploy/gunicorn.conf.py"
    ),
    Variable(
        "REGISTRY_FORWARDED_ALLOW_IPS",
        "127.0.0.1",
        "Addresses of the reverse proxies whose X-Forwarded-* headers gunicorn believes.",
        False,
        "deploy/gunicorn.conf.py",
    ),
    Variable(
        "REGISTRY_AUDIT_TOKEN",
        "none",
        "Bearer token for `registry audit verify --url` (instead of `--token`).",
        True,
        "`registry audit verify`",
    ),
)


def _shown_default(spec: Any) -> str:
    if spec.metadata.get("shown"):
        return str(spec.metadata["shown"])
    return "none" if spec.default is None else str(spec.default)


def variables() -> list[Variable]:
    """Every `REGISTRY_*` variable: the Settings fields' (their metadata), then the other processes'."""
    found = [
        Variable(spec.metadata["env"], _shown_default(spec), spec.metadata["doc"], spec.metadata["secret"])
        for spec in fields(Settings)
    ]
    return found + list(OTHER_VARIABLES)


def variables_markdown() -> str:
    """The configuration table (deploy/README.md holds it between markers; a test compares)."""

    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    lines = [
        "| Variable | Default | Meaning | Secret | Read by |",
        "|---|---|---|---|---|",
    ]
    for variable in variables():
        lines.append(
            f"| `{variable.name}` | {cell(variable.default)} | {cell(variable.meaning)} | "
            f"{'yes' if variable.secret else 'no'} | {cell(variable.read_by)} |"
        )
    return "\n".join(lines) + "\n"
