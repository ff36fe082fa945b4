"""The web console: server-rendered pages for the officers, in the same application as the API.

It calls the same services, scopes, visibility rules, four-eyes checks and audit as the API
(registry.api.context records each request's audit entry and commits once, for both). What it adds is
the human side: OpenID Connect login (login.py), the session (session.py), Vietnamese and English
(i18n.py) and the pages (pages/). No rule lives only here.
"""

from __future__ import annotations

from flask import Flask

from registry.config import Settings

CONSOLE_PREFIX = "/console"


def init_console(app: Flask, settings: Settings) -> None:
    """Wire the console into the app: session cookie, languages, identity providers, its blueprint."""
    from registry.console import login, session
    from registry.console.blueprint import bp
    from registry.console.pages import (  # noqa: F401 - they register their routes
        audit,
        blocking,
        decisions,
        freezing,
        overdue,
        reports,
        screening,
        subjects,
        tips,
    )

    session.configure(app, settings)
    login.configure(app, settings)
    app.register_blueprint(bp)
