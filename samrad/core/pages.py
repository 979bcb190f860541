"""Pages of the frame itself: language switch, accessibility statement, privacy notice, health checks."""

from __future__ import annotations

from typing import Annotated

from litestar import Response, Router, get
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from samrad.core import db, outage
from samrad.core.record import privacy_record
from samrad.core.settings import LOCALES
from samrad.core.web import LOCALE_COOKIE, safe_next


@get("/lang/{code:str}", name="set_language", sync_to_thread=False)
def set_language(
    code: FromPath[str], next_path: Annotated[str | None, QueryParameter(name="next")] = None
) -> Redirect:
    """Language switcher that works without JavaScript: remember the choice for a year, go back."""
    response = Redirect(path=safe_next(next_path), status_code=303)
    if code in LOCALES:
        response.set_cookie(LOCALE_COOKIE, code, max_age=365 * 24 * 3600, samesite="lax", httponly=True)
    return response


@get("/accessibility", name="accessibility", sync_to_thread=False)
def accessibility_statement() -> Template:
    return Template(template_name="pages/accessibility.html")


@get("/privacy", name="privacy", sync_to_thread=False)
def privacy_notice() -> Template:
    return Template(template_name="pages/privacy.html")


@get("/healthz", name="healthz", sync_to_thread=False, include_in_schema=False)
def healthz() -> dict[str, str]:
    """The process is up (no database round-trip)."""
    return {"status": "ok"}


@get("/readyz", name="readyz", include_in_schema=False)
async def readyz() -> Response[dict[str, str]]:
    """The database answers: what a load balancer should wait for."""
    if await db.ping():
        return Response({"status": "ok", "database": "ok"})
    return Response({"status": "unavailable", "database": "unreachable"}, status_code=503,
                    headers={"Retry-After": str(outage.RETRY_AFTER_SECONDS)})


# Pages, not API operations: the OpenAPI schema (``/schema``) documents ``/api/`` only.
router = Router(
    path="/",
    route_handlers=[set_language, accessibility_statement, privacy_notice, privacy_record, healthz, readyz],
    include_in_schema=False,
)
