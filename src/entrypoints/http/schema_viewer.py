"""The OpenAPI browser at /schema, served with its own copy of Swagger UI (the `swagger-ui-bundle` package), so it
works offline and loads nothing from a CDN."""

from pathlib import Path

import swagger_ui_bundle
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.router import Router
from litestar.static_files import create_static_files_router

SCHEMA_PATH = "/schema"
_ASSETS_PATH = f"{SCHEMA_PATH}/assets"
# What the page loads, checked at start-up: a bundle that moved its files fails loudly, not as a blank page.
_SERVED = ("swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css", "favicon-32x32.png")


def schema_viewer() -> SwaggerRenderPlugin:
    return SwaggerRenderPlugin(
        path=["/", "/swagger"],
        js_url=f"{_ASSETS_PATH}/swagger-ui-bundle.js",
        standalone_preset_js_url=f"{_ASSETS_PATH}/swagger-ui-standalone-preset.js",
        css_url=f"{_ASSETS_PATH}/swagger-ui.css",
        favicon=f"<link rel='icon' type='image/png' href='{_ASSETS_PATH}/favicon-32x32.png'>",
    )


def schema_viewer_assets() -> Router:
    directory = Path(swagger_ui_bundle.swagger_ui_path)
    missing = [name for name in _SERVED if not (directory / name).is_file()]
    if missing:
        raise RuntimeError(f"swagger-ui-bundle lacks {', '.join(missing)} in {directory}")
    return create_static_files_router(
        path=_ASSETS_PATH, directories=[directory], include_in_schema=False, name="schema-assets"
    )
