"""The OpenAPI document and Swagger UI, served from installed packages (no CDN)."""

from __future__ import annotations

from importlib import resources

import yaml
from flask import Response, current_app, jsonify, send_from_directory
from swagger_ui_bundle import swagger_ui_path

from chatapp.api import bp
from chatapp.errors import NotFound
from chatapp.extensions import limiter

ASSETS = {
    "swagger-ui.css",
    "swagger-ui-bundle.js",
    "swagger-ui-standalone-preset.js",
    "favicon-32x32.png",
    "favicon-16x16.png",
}

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>chatapp API</title>
<link rel="stylesheet" href="/api/docs/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/api/docs/swagger-ui-bundle.js"></script>
<script src="/api/docs/swagger-ui-standalone-preset.js"></script>
<script>window.ui = SwaggerUIBundle({url: "/api/openapi.json", dom_id: "#swagger-ui",
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset], layout: "BaseLayout"});
</script></body></html>"""


def openapi_document() -> dict:
    """The document, read once per app from chatapp/api/openapi.yaml."""
    cache = current_app.extensions.setdefault("chatapp.openapi", {})
    if "document" not in cache:
        text = resources.files("chatapp.api").joinpath("openapi.yaml").read_text()
        cache["document"] = yaml.safe_load(text)
    return cache["document"]


@bp.get("/openapi.json")
@limiter.exempt
def openapi():
    """The OpenAPI 3 document of this API."""
    return jsonify(openapi_document())


@bp.get("/docs")
@limiter.exempt
def swagger_ui():
    """Swagger UI for the OpenAPI document."""
    return Response(PAGE, mimetype="text/html")


@bp.get("/docs/<asset>")
@limiter.exempt
def swagger_asset(asset: str):
    """Swagger UI's own files, from the swagger-ui-bundle package."""
    if asset not in ASSETS:
        raise NotFound()
    return send_from_directory(str(swagger_ui_path), asset, max_age=3600)
