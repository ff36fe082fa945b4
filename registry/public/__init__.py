"""The public face: pages and JSON anyone may open without an account (issue 18).

People check a website, shop or account before they buy, read the list of handled violators and send
tips. Nothing here needs a token; every request counts against a limit per client address and lands in
the audit log like any other (registry.api.context). The pages use the console's languages and
catalogue (registry/console/i18n.py): Vietnamese first, English second.

Layout: blueprint.py (the blueprint, the home page, the language switch, error pages, `public_page`),
templates/public/ (base.html and the pages), static/ (the stylesheet, and the scripts the pages ship).
"""

from __future__ import annotations

from flask import Flask


def init_public(app: Flask) -> None:
    """Wire the public pages into the app (Babel is configured by create_app for them and the console)."""
    from registry.public import (
        lookup,  # noqa: F401 - its pages join the blueprint
        tips,  # noqa: F401 - its pages join the blueprint
    )
    from registry.public.blueprint import bp

    app.register_blueprint(bp)
