"""What the JSON API's schema (``/schema/openapi.json``) says beyond the Python types, declared where the types are.

- **Ids.** A row id is a 4-byte integer on PostgreSQL (Piccolo's ``Serial``), so an id past ``MAX_ID`` names
  no row: ``PathId`` (path parameters) and ``RowId`` (JSON bodies) refuse it with a 400 before it reaches the
  database, which would answer an enormous number with an error of its own (a 500). The permission guard
  (``samrad.core.security.requires``) runs before the parameters are read, so it answers 404 for such an id.
- **Fields the rules require.** A registration body keeps defaults for ``name``, ``email`` and ``consent`` so
  that the form's parser sees the whole body and answers every problem at once (422, a translated message per
  field), but a client that leaves them out is refused all the same: such a field is declared with
  ``Meta(extra=REQUIRED)``, and ``RuleRequiredFields`` lists it under ``required`` in the body's schema.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar._openapi.schema_generation.plugins.struct import StructSchemaPlugin
from litestar.openapi.spec import Schema
from litestar.params import Parameter
from litestar.typing import FieldDefinition
from msgspec import Meta

MAX_ID = 2_147_483_647
RowId = Annotated[int, Meta(ge=1, le=MAX_ID)]
PathId = Annotated[int, Parameter(ge=1, le=MAX_ID)]
# A page number: past this, no listing has pages (an offset past a 64-bit integer fails in the database).
MAX_PAGE = 1_000_000

REQUIRED = {"required": True}


def _rule_required(struct: type) -> list[str]:
    info = msgspec.inspect.type_info(struct)
    return [
        field.encode_name for field in info.fields  # type: ignore[attr-defined]
        if isinstance(field.type, msgspec.inspect.Metadata) and (field.type.extra or {}).get("required")
    ]


class RuleRequiredFields(StructSchemaPlugin):
    """The schema of a Struct with fields marked ``REQUIRED``: Litestar's, with those fields required too."""

    def is_plugin_supported_field(self, field_definition: FieldDefinition) -> bool:
        return super().is_plugin_supported_field(field_definition) and bool(_rule_required(field_definition.type_))

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: Any) -> Schema:
        schema = super().to_openapi_schema(field_definition, schema_creator)
        schema.required = sorted({*(schema.required or ()), *_rule_required(field_definition.type_)})
        return schema
