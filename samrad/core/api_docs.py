"""The API's documentation at ``/schema``: one page rendered on the server from the OpenAPI schema.

Litestar's documentation pages (Redoc, Swagger UI, Stoplight, RapiDoc) load their scripts and fonts from public
CDNs and start them with inline scripts: the content security policy (``samrad.core.web``) blocks both, so in a
browser they stayed blank, and a script from a CDN would run with the staff's session on this site. This page
needs neither: the operations with their parameters, bodies and answers, and the schemas they name, as plain
HTML in the site's frame. Tools read ``/schema/openapi.json`` (or ``.yaml``).
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.openapi.plugins import OpenAPIRenderPlugin, YamlRenderPlugin

METHODS = ("get", "post", "put", "patch", "delete")


class ApiReferencePage(OpenAPIRenderPlugin):
    def __init__(self) -> None:
        super().__init__(path="/")

    def render(self, request: Request, openapi_schema: dict[str, Any]) -> bytes:
        environment = request.app.template_engine.engine
        page = environment.get_template("pages/api_reference.html")
        return page.render(request=request, api=reference(openapi_schema)).encode()


def render_plugins() -> list[OpenAPIRenderPlugin]:
    """The page at ``/schema``, and the schema as YAML; Litestar adds ``/schema/openapi.json`` itself."""
    return [ApiReferencePage(), YamlRenderPlugin(path=["/openapi.yaml", "/openapi.yml"])]


def reference(schema: dict[str, Any]) -> dict[str, Any]:
    """What the page shows: the API's title and description, its operations by tag, and its schemas."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for path, item in schema.get("paths", {}).items():
        for method in METHODS:
            if (operation := item.get(method)) is not None:
                tag = (operation.get("tags") or ["API"])[0]
                groups.setdefault(tag, []).append(_operation(method, path, operation))
    schemas = [
        {"name": name, "description": body.get("description", ""), "fields": _fields(body)}
        for name, body in sorted(schema.get("components", {}).get("schemas", {}).items())
    ]
    return {"info": schema.get("info", {}), "groups": sorted(groups.items()), "schemas": schemas}


def _operation(method: str, path: str, operation: dict[str, Any]) -> dict[str, Any]:
    body = operation.get("requestBody") or {}
    return {
        "id": operation.get("operationId") or f"{method}-{path}",
        "method": method.upper(),
        "path": path,
        "summary": operation.get("summary", ""),
        "description": operation.get("description", ""),
        "parameters": [
            {"name": parameter.get("name", ""), "in": parameter.get("in", ""),
             "required": parameter.get("required", False), "type": type_of(parameter.get("schema", {})),
             "description": parameter.get("description", "")}
            for parameter in operation.get("parameters", [])
        ],
        "body": [{"media_type": media_type, "type": type_of(content.get("schema", {}))}
                 for media_type, content in body.get("content", {}).items()],
        "body_required": body.get("required", False),
        "responses": [
            {"status": status, "description": answer.get("description", ""),
             "type": ", ".join(type_of(content.get("schema", {})) for content in answer.get("content", {}).values())}
            for status, answer in sorted(operation.get("responses", {}).items())
        ],
    }


def _fields(body: dict[str, Any]) -> list[dict[str, Any]]:
    required = set(body.get("required", []))
    return [{"name": name, "type": type_of(field), "required": name in required,
             "description": field.get("description", "")}
            for name, field in body.get("properties", {}).items()]


def type_of(schema: dict[str, Any]) -> str:
    """A schema in a few words: ``EventOut``, ``array of string``, ``integer | null``, ``string: a, b``."""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    for combined in ("oneOf", "anyOf", "allOf"):
        if combined in schema:
            return " | ".join(type_of(part) for part in schema[combined])
    kind = schema.get("type", "object" if "properties" in schema else "any")
    if isinstance(kind, list):
        return " | ".join(kind)
    if kind == "array":
        return f"array of {type_of(schema.get('items', {}))}"
    if "enum" in schema:
        return f"{kind}: {', '.join(str(value) for value in schema['enum'])}"
    return f"{kind} ({schema['format']})" if "format" in schema else kind
