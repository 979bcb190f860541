"""The web frame every area renders into: templates, locale and security middleware, error pages."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar import Request, Response
from litestar.datastructures import MutableScopeHeaders
from litestar.exceptions import HTTPException, NotAuthorizedException, PermissionDeniedException, ValidationException
from litestar.response import Redirect, Template
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from samrad.core import i18n, outage
from samrad.core.logsafe import stack_of
from samrad.core.settings import LOCALES, ROOT, Settings

log = logging.getLogger("samrad.core.web")

LOCALE_COOKIE = "samrad_lang"


def build_template_environment(settings: Settings) -> Environment:
    env = Environment(
        loader=FileSystemLoader(ROOT / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=i18n.gettext, ngettext=i18n.ngettext, newstyle=True, pgettext=i18n.pgettext, npgettext=i18n.npgettext
    )
    env.globals.update(
        settings=settings,
        locales=LOCALES,
        language_names=i18n.LANGUAGE_NAMES,
        current_locale=i18n.current_locale,
        pick=i18n.pick,
    )
    env.filters.update(
        date=i18n.format_date,
        weekday_date=i18n.format_weekday_date,
        time=i18n.format_time,
        datetime=i18n.format_datetime,
        time_range=i18n.format_time_range,
        number=i18n.format_number,
        percent=i18n.format_percent,
        pick=i18n.pick,
    )
    return env


class LocaleMiddleware:
    """Choose the request's language: ``?lang=``, then the cookie, then Accept-Language, then the default."""

    def __init__(self, app: ASGIApp, default_locale: str) -> None:
        self.app = app
        self.default_locale = default_locale

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            i18n.set_locale(choose_locale(scope, self.default_locale))
        await self.app(scope, receive, send)


def choose_locale(scope: Scope, default_locale: str) -> str:
    """``?lang=``, then the ``samrad_lang`` cookie, then Accept-Language, then the configured default."""
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    if (requested := query.get("lang", [""])[0]) in LOCALES:
        return requested
    headers = {key.decode("latin-1"): value.decode("latin-1") for key, value in scope["headers"]}
    for part in headers.get("cookie", "").split(";"):
        name, _sep, value = part.strip().partition("=")
        if name == LOCALE_COOKIE and value in LOCALES:
            return value
    return i18n.negotiate(headers.get("accept-language", ""), default_locale)


CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


def frame_headers_hook(secure_cookies: bool):
    """A ``before_send`` hook: it sees every response, including 404s for paths no route matches, which
    route middleware never does. It adds the security headers (secret manage links must never leak through
    Referer) and remembers a language chosen with ``?lang=`` so the next page and a form's answer keep it.

    Strict-Transport-Security goes only on answers to HTTPS requests (RFC 6797 §7.2: a browser ignores it over
    plain HTTP): the scheme is the request's, which uvicorn takes from the proxy's ``X-Forwarded-Proto`` when the
    proxy's address is in ``FORWARDED_ALLOW_IPS``. ``frame-ancestors 'none'`` holds for the live wall too: it
    is opened full screen on the projector, never inside another site's frame.
    """

    async def add_frame_headers(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start" or scope["type"] != "http":
            return
        # One pass over the headers already set, not one per header added: ``MutableScopeHeaders.setdefault``
        # decodes and lowercases every header at each call, a third of a cached page's CPU.
        headers = message.get("headers")
        if not isinstance(headers, list):
            headers = message["headers"] = list(headers or ())
        present = {name.lower() for name, _value in headers}
        headers.extend(header for header in _FRAME_HEADERS if header[0] not in present)
        if scope.get("scheme") == "https" and _HSTS[0] not in present:
            headers.append(_HSTS)
        query = scope.get("query_string", b"")
        requested = parse_qs(query.decode("latin-1")).get("lang", [""])[0] if b"lang=" in query else ""
        if requested in LOCALES:
            cookie = f"{LOCALE_COOKIE}={requested}; Max-Age=31536000; Path=/; HttpOnly; SameSite=Lax"
            MutableScopeHeaders.from_message(message).add("Set-Cookie", cookie + ("; Secure" if secure_cookies else ""))

    return add_frame_headers


# Added to every answer unless it set its own (names in lower case, as ``MutableScopeHeaders`` writes them).
_FRAME_HEADERS = tuple(
    (name.encode("latin-1"), value.encode("latin-1"))
    for name, value in (
        ("content-security-policy", CONTENT_SECURITY_POLICY),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
        ("permissions-policy", "camera=(self), microphone=(), geolocation=()"),
        ("cross-origin-opener-policy", "same-origin"),
    )
)
_HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site paths are followed after a redirect, never another host."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", "")


def _route_of(request: Request) -> str:
    """The route pattern (``/manage/{token:str}``), not the concrete path with its secret."""
    handler = request.scope.get("route_handler")
    return next(iter(handler.paths), request.url.path) if handler is not None else "?"


def _error_title(status: int) -> str:
    titles = {
        400: i18n.N_("The request could not be understood"),
        401: i18n.N_("Please log in"),
        403: i18n.N_("You do not have access to this page"),
        404: i18n.N_("Page not found"),
        405: i18n.N_("This action is not available here"),
        409: i18n.N_("This could not be done right now"),
        413: i18n.N_("What you sent is too large"),
        422: i18n.N_("Please check what you entered"),
        429: i18n.N_("Too many attempts"),
    }
    return i18n.gettext(titles.get(status, i18n.N_("Something went wrong on our side")))


def _error_explanation(status: int) -> str:
    explanations = {
        400: i18n.N_(
            "Something you sent could not be read, such as an invisible control character. Go back, check what "
            "you entered and try again."
        ),
        403: i18n.N_(
            "If you think you should have access, contact the organiser. If you were filling in a form, "
            "your session may have expired: go back, reload the page and try again."
        ),
        404: i18n.N_("The address may be mistyped, or the page has been moved or removed."),
        413: i18n.N_("Go back and send a smaller file or a shorter text."),
        429: i18n.N_("You have tried many times in a short while. Please wait a minute and try again."),
    }
    default = i18n.N_("Please try again in a moment. If it keeps happening, contact the municipality.")
    return i18n.gettext(explanations.get(status, default))


# Litestar's CSRF middleware (and ``samrad.core.security.api_write_guard``) refuse a form without the token of
# the page it came from with this detail: said as what it most often is, an old page or a form from elsewhere.
CSRF_FAILED = "CSRF token verification failed"
_CSRF_TITLE = i18n.N_("The form could not be sent")
_CSRF_EXPLANATION = i18n.N_(
    "For your safety, a form only works from this site and for a while after its page was opened. Go back, "
    "reload the page and send the form again."
)


# What a 503 says when the database is away (``samrad.core.outage``): the title, then what to do.
_OUTAGE_TEXTS = {
    outage.Outage.unreachable: (
        i18n.N_("The service is unavailable right now"),
        i18n.N_("We cannot reach our database at the moment. If you were sending a form, nothing has been saved. "
                "Please try again in a few minutes."),
    ),
    outage.Outage.cannot_save: (
        i18n.N_("We cannot save right now"),
        i18n.N_("Our storage cannot take changes at the moment, so nothing you sent has been saved. Please try "
                "again later. If it keeps happening, contact the municipality."),
    ),
}


def outage_response(request: Request, exc: Exception, kind: outage.Outage) -> Response:
    """503 with ``Retry-After``: a translated page, or the API's error shape with ``code`` telling the kind."""
    log.warning("database %s on %s %s: %s", kind.name, request.method, _route_of(request), outage.describe(exc))
    i18n.set_locale(choose_locale(request.scope, request.app.state.settings.default_locale))
    title, explanation = (i18n.gettext(text) for text in _OUTAGE_TEXTS[kind])
    headers = {"Retry-After": str(outage.RETRY_AFTER_SECONDS)}
    status = HTTPStatus.SERVICE_UNAVAILABLE
    if wants_json(request):
        body = {"status_code": status, "detail": title, "code": kind.value, "errors": []}
        return Response(content=body, status_code=status, headers=headers)
    return Template(
        template_name="errors/error.html",
        context={"status": status, "title": title, "explanation": explanation},
        status_code=status,
        headers=headers,
    )


def error_response(request: Request, exc: Exception) -> Response:
    kind = None if isinstance(exc, HTTPException) else outage.classify(exc)  # an answer chosen on purpose stays
    if kind is not None:
        return outage_response(request, exc, kind)
    status = exc.status_code if isinstance(exc, HTTPException) else HTTPStatus.INTERNAL_SERVER_ERROR
    headers = dict(getattr(exc, "headers", None) or {})
    if status >= 500:
        # The type and the stack, never the message or the path's tokens: both can carry personal data.
        log.error("unhandled %s on %s %s\n%s", type(exc).__name__, request.method, _route_of(request), stack_of(exc))
    if isinstance(exc, NotAuthorizedException) and not wants_json(request):
        return Redirect(path=f"/staff/login?next={request.url.path}", status_code=303)
    # An unknown path is answered before the middleware stack runs, so choose the language here as well.
    i18n.set_locale(choose_locale(request.scope, request.app.state.settings.default_locale))
    csrf_failed = isinstance(exc, PermissionDeniedException) and exc.detail == CSRF_FAILED
    title = i18n.gettext(_CSRF_TITLE) if csrf_failed else _error_title(status)
    if wants_json(request):
        body: dict[str, Any] = {"status_code": status, "detail": title}
        if isinstance(exc, ValidationException) and isinstance(exc.extra, list | dict):
            body["errors"] = _translated_field_errors(exc.extra)
        return Response(content=body, status_code=status, headers=headers)
    return Template(
        template_name="errors/error.html",
        context={"status": status, "title": title,
                 "explanation": i18n.gettext(_CSRF_EXPLANATION) if csrf_failed else _error_explanation(status)},
        status_code=status,
        headers=headers,
    )


def _translated_field_errors(extra: list | dict) -> list[dict[str, str]]:
    """Litestar's parse errors, as {field, message} with a message a person can act on."""
    if isinstance(extra, dict):
        return [{"field": str(key), "message": str(value)} for key, value in extra.items()]
    errors = []
    for item in extra:
        if isinstance(item, dict):
            errors.append({"field": str(item.get("key") or ""), "message": i18n.gettext(i18n.N_("Invalid value"))})
    return errors or [{"field": "", "message": i18n.gettext(i18n.N_("The request body is not valid."))}]


exception_handlers = {HTTPException: error_response, Exception: error_response}
