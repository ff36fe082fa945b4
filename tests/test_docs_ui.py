"""/api/v1/docs works without internet: the Swagger UI files are served by the registry itself."""

from __future__ import annotations

import re


def test_docs_page_and_its_assets_come_from_the_registry(client):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert {a.rsplit("/", 1)[-1] for a in assets} >= {"swagger-ui.css", "swagger-ui-bundle.js"}
    assert "://" not in html  # no external host: the page loads offline
    for asset in assets:
        assert asset.startswith("/api/v1/docs/") and not asset.startswith("//"), asset
        answer = client.get(asset)
        assert answer.status_code == 200, asset
        expected = "text/css" if asset.endswith(".css") else "javascript"
        assert expected in answer.content_type, (asset, answer.content_type)
        assert len(answer.get_data()) > 1000
    bundle = client.get(next(a for a in assets if a.endswith("swagger-ui-bundle.js"))).get_data(as_text=True)
    assert "SwaggerUIBundle" in bundle


def test_only_the_swagger_ui_files_are_served(client):
    assert client.get("/api/v1/docs/ui/swagger-ui.css").status_code == 200
    assert client.get("/api/v1/docs/ui/swagger-editor-bundle.js").status_code == 404
    assert client.get("/api/v1/docs/ui/../core.py").status_code == 404
