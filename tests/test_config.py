from __future__ import annotations

import base64
from datetime import date

import pytest

from registry.config import ConfigError, Settings

KEY = base64.b64encode(b"k" * 32).decode()
PRODUCTION = {
    "REGISTRY_ENV": "production",
    "REGISTRY_DATABASE_URL": "postgresql://registry@db/registry",
    "REGISTRY_ISSUER": "https://registry.example.gov.vn",
    "REGISTRY_DATA_KEY": KEY,
    "REGISTRY_LOOKUP_KEY": KEY,
}


def test_production_with_everything_set_starts():
    settings = Settings.from_env(PRODUCTION)
    assert settings.production and settings.data_key == b"k" * 32


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("REGISTRY_DATA_KEY", "REGISTRY_DATA_KEY is not set"),
        ("REGISTRY_LOOKUP_KEY", "REGISTRY_LOOKUP_KEY is not set"),
        ("REGISTRY_DATABASE_URL", "REGISTRY_DATABASE_URL is not set"),
        ("REGISTRY_ISSUER", "REGISTRY_ISSUER"),
    ],
)
def test_production_refuses_to_start_without(missing, message):
    env = {k: v for k, v in PRODUCTION.items() if k != missing}
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env)


def test_production_needs_https_issuer_and_well_formed_keys():
    with pytest.raises(ConfigError, match="https"):
        Settings.from_env({**PRODUCTION, "REGISTRY_ISSUER": "http://registry.example.gov.vn"})
    with pytest.raises(ConfigError, match="32 bytes"):
        Settings.from_env({**PRODUCTION, "REGISTRY_DATA_KEY": base64.b64encode(b"short").decode()})
    with pytest.raises(ConfigError, match="base64"):
        Settings.from_env({**PRODUCTION, "REGISTRY_DATA_KEY": "not base64!"})


@pytest.mark.parametrize(
    ("unsafe", "message"),
    [
        ({"REGISTRY_DATABASE_URL": "sqlite:////var/lib/registry/registry.sqlite3"}, "SQLite"),
        ({"FLASK_DEBUG": "1"}, "debug mode"),
        ({"FLASK_DEBUG": "true"}, "debug mode"),
        ({"REGISTRY_LOG_FORMAT": "xml"}, "json or text"),
        ({"REGISTRY_METRICS_TOKEN_SHA256": "secret"}, "64 hexadecimal digits"),
    ],
)
def test_production_refuses_an_unsafe_configuration(unsafe, message):
    with pytest.raises(ConfigError, match=message):
        Settings.from_env({**PRODUCTION, **unsafe})


def test_production_logs_json_and_development_text_unless_told(tmp_path):
    assert Settings.from_env(PRODUCTION).log_format == "json"
    assert Settings.from_env({**PRODUCTION, "REGISTRY_LOG_FORMAT": "text"}).log_format == "text"
    assert Settings.from_env({"REGISTRY_VAR_DIR": str(tmp_path)}).log_format == "text"
    # Debug off is fine in production, and development does not care.
    assert Settings.from_env({**PRODUCTION, "FLASK_DEBUG": "0"}).production
    assert Settings.from_env({"REGISTRY_VAR_DIR": str(tmp_path), "FLASK_DEBUG": "1"}).env == "development"


def test_development_generates_and_keeps_keys_under_var(tmp_path):
    first = Settings.from_env({"REGISTRY_VAR_DIR": str(tmp_path)})
    second = Settings.from_env({"REGISTRY_VAR_DIR": str(tmp_path)})
    assert first.data_key == second.data_key and len(first.data_key) == 32
    assert first.data_key != first.lookup_key
    assert (tmp_path / "keys" / "data_key.key").stat().st_mode & 0o077 == 0
    assert first.database_url == f"sqlite:///{tmp_path / 'registry.sqlite3'}"


def test_token_lifetime_bounds():
    with pytest.raises(ConfigError, match="between 300 and 900"):
        Settings.from_env({**PRODUCTION, "REGISTRY_TOKEN_LIFETIME": "3600"})


def test_rule_files_and_the_audit_key_come_from_settings(tmp_path, monkeypatch):
    """The REGISTRY_*_FILE variables are read by Settings only; the app factory hands them to the domain."""
    from registry.services import blocking, competence, rulefiles, workdays
    from registry.services.freezing import config as freezing_config

    table = tmp_path / "competence.json"
    table.write_text('{"block_domain": ["X-*"]}')
    holidays = tmp_path / "holidays.json"
    holidays.write_text('{"dated": {"2026-10-02": "x"}}')
    blocking_rules = tmp_path / "blocking.json"
    blocking_rules.write_text(
        '{"deciding_agencies": ["D"], "oversight_agencies": ["O"], "deadlines_hours": {}}'
    )
    freezing_rules = tmp_path / "freezing.json"
    freezing_rules.write_text('{"processors": ["P"]}')
    env = {
        **PRODUCTION,
        "REGISTRY_COMPETENCE_FILE": str(table),
        "REGISTRY_HOLIDAYS_FILE": str(holidays),
        "REGISTRY_BLOCKING_RULES_FILE": str(blocking_rules),
        "REGISTRY_FREEZING_FILE": str(freezing_rules),
        "REGISTRY_AUDIT_SIGNER_KEY": "PRIVATE+KEY+example",
    }
    for name in env:  # the process environment plays no part
        monkeypatch.delenv(name, raising=False)
    settings = Settings.from_env(env)
    assert settings.audit_signer_key == "PRIVATE+KEY+example"
    assert "PRIVATE" not in repr(settings)
    from registry.audit.keys import LogKeys
    from registry.fieldcrypt import FieldCipher

    assert (
        LogKeys.from_settings(settings, FieldCipher(b"d" * 32, b"l" * 32)).configured == "PRIVATE+KEY+example"
    )
    previous = rulefiles.configure(settings.rule_files)
    try:
        assert competence.is_competent("block_domain", "X-1")
        assert not workdays.is_working_day(date(2026, 10, 2))  # a Friday, configured as a holiday
        assert blocking.rules().deciding_agencies == frozenset({"D"})
        assert freezing_config.rules().processors == ("P",)
    finally:
        rulefiles.configure(previous)
    assert not competence.is_competent("block_domain", "X-1")
    assert workdays.is_working_day(date(2026, 10, 2))
    with pytest.raises(ConfigError, match="REGISTRY_HOLIDAYS_FILE"):
        Settings.from_env({**PRODUCTION, "REGISTRY_HOLIDAYS_FILE": str(tmp_path / "missing.json")})


def test_the_trust_list_is_a_directory(tmp_path):
    with pytest.raises(ConfigError, match=r"REGISTRY_TRUST_DIR .* not a directory"):
        Settings.from_env({**PRODUCTION, "REGISTRY_TRUST_DIR": str(tmp_path / "missing")})
    trust = tmp_path / "trust"
    trust.mkdir()
    settings = Settings.from_env({**PRODUCTION, "REGISTRY_TRUST_DIR": str(trust)})
    assert settings.rule_files.trust_dir == trust
    assert Settings.from_env(PRODUCTION).rule_files.trust_dir is None


@pytest.mark.parametrize(
    ("host", "port", "issuer"),
    [
        ("127.0.0.1", 8080, "http://127.0.0.1:8080"),
        ("localhost", 5001, "http://localhost:5001"),
        ("0.0.0.0", 8080, "http://127.0.0.1:8080"),  # noqa: S104 - every interface: this host calls itself
        ("::1", 8080, "http://[::1]:8080"),
    ],
)
def test_development_issuer_is_where_the_registry_is_served(tmp_path, host, port, issuer):
    settings = Settings.from_env({"REGISTRY_VAR_DIR": str(tmp_path)}, served=(host, port))
    assert settings.issuer == issuer


def test_served_address_does_not_override_an_explicit_issuer(tmp_path):
    env = {"REGISTRY_VAR_DIR": str(tmp_path), "REGISTRY_ISSUER": "https://registry.example.gov.vn/"}
    assert Settings.from_env(env, served=("127.0.0.1", 8080)).issuer == "https://registry.example.gov.vn"
    assert (
        Settings.from_env({**PRODUCTION}, served=("127.0.0.1", 8080)).issuer == PRODUCTION["REGISTRY_ISSUER"]
    )
