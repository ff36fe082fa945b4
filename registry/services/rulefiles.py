"""Where this process reads its rule files from: one holder, set from `Settings` at start-up.

The rule files (competence, public holidays, block-request and freeze-order rules) and the trust list
of signing certificates are read by domain
code that knows nothing of Flask or of the environment. `config.Settings` reads the `REGISTRY_*_FILE`
variables; the app factory and the CLI call `configure(settings.rule_files)` once per process; the
loaders ask `current()` for the path and cache what they parse per path.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


@dataclass(frozen=True)
class RuleFiles:
    competence: Path = DATA_DIR / "competence.json"
    holidays: Path = DATA_DIR / "vn-holidays.json"
    blocking: Path = DATA_DIR / "blocking.json"
    freezing: Path = DATA_DIR / "freezing.json"
    cases: Path = DATA_DIR / "cases.json"
    reports: Path = DATA_DIR / "reports.json"
    tip_routing: Path = DATA_DIR / "tips.json"
    trust_dir: Path | None = (
        None  # the certificates decisions' signatures must chain to (services.signatures)
    )


_current = RuleFiles()


def configure(files: RuleFiles) -> RuleFiles:
    """Use `files` from now on in this process; answers the previous ones (tests put them back)."""
    global _current
    previous, _current = _current, files
    return previous


def current() -> RuleFiles:
    return _current
