"""The one table of `REGISTRY_*` variables (deploy/README.md) is the one `Settings` generates."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from registry.cli import main
from registry.config import Settings, variables, variables_markdown

ROOT = Path(__file__).resolve().parent.parent
BEGIN = "<!-- BEGIN registry config variables --markdown -->\n"
END = "<!-- END registry config variables --markdown -->"
# Where the registry's processes read their environment: the package and the gunicorn configuration.
READERS = [*sorted((ROOT / "registry").rglob("*.py")), ROOT / "deploy" / "gunicorn.conf.py"]
VARIABLE = re.compile(r"[\"'](REGISTRY_[A-Z0-9_]+)[\"']")


def _committed() -> str:
    text = (ROOT / "deploy" / "README.md").read_text()
    assert text.count(BEGIN) == 1 and text.count(END) == 1, "the table's markers in deploy/README.md"
    return text.split(BEGIN, 1)[1].split(END, 1)[0]


def test_the_committed_table_is_the_generated_one():
    assert _committed() == variables_markdown(), (
        "deploy/README.md's table is stale: paste `registry config variables --markdown` between its markers"
    )


def test_the_command_prints_the_table():
    result = CliRunner().invoke(main, ["config", "variables", "--markdown"])
    assert result.exit_code == 0 and result.output == variables_markdown()
    listed = CliRunner().invoke(main, ["config", "variables"])
    assert "REGISTRY_DATA_KEY (secret)" in listed.output and "REGISTRY_AUDIENCE\n" in listed.output


def test_every_variable_read_is_in_the_table():
    """A variable read in the code (a quoted REGISTRY_* name) but missing from the table fails here."""
    documented = {variable.name for variable in variables()}
    read = {name for path in READERS for name in VARIABLE.findall(path.read_text())}
    assert read - documented == set()
    assert len(documented) == len(variables()), "a variable twice in the table"


def test_every_setting_has_a_variable_a_meaning_and_secrecy():
    from dataclasses import fields

    for spec in fields(Settings):
        assert spec.metadata["env"].startswith("REGISTRY_") and spec.metadata["doc"], spec.name
        assert isinstance(spec.metadata["secret"], bool)
        if spec.metadata["secret"]:
            assert not spec.repr, f"{spec.name} is secret: keep it out of repr()"


def test_secrets_are_marked_as_such():
    secret = {variable.name for variable in variables() if variable.secret}
    assert {"REGISTRY_DATA_KEY", "REGISTRY_LOOKUP_KEY", "REGISTRY_SESSION_KEY", "REGISTRY_AUDIT_SIGNER_KEY",
            "REGISTRY_DATABASE_URL", "REGISTRY_AUDIT_TOKEN"} <= secret  # fmt: skip
