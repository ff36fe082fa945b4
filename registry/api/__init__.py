"""The HTTP layer: one blueprint per resource. The only package that knows Flask."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api


def register_blueprints(app: Flask, api: Api) -> None:
    from registry.api import (
        agencies,
        audit,
        blocking,
        decisions,
        exchange,
        freezing,
        graph,
        identifiers,
        links,
        oauth,
        overdue,
        public,
        reports,
        screenings,
        subjects,
        tips,
        violations,
    )

    for module in (
        agencies,
        identifiers,
        subjects,
        links,
        decisions,
        violations,
        oauth,
        audit,
        blocking,
        freezing,
        overdue,
        screenings,
        graph,
        exchange,
        public,
        reports,
        tips,
    ):
        api.register_blueprint(module.blp)
