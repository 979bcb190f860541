"""The one app factory: the kernel's frame with every area's routes and what the areas provide."""

from __future__ import annotations

from collections.abc import Callable

from litestar import Litestar
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.stores.base import Store
from litestar.stores.memory import MemoryStore
from litestar.stores.redis import RedisStore
from litestar.stores.registry import StoreRegistry
from litestar.template import TemplateConfig

from samrad.areas import AREAS, permission_scopes, provided
from samrad.core import api_docs, audit_log, db, doors, heap, pages, people, staff
from samrad.core.inputs import InputGuardMiddleware
from samrad.core.openapi import RuleRequiredFields
from samrad.core.pagecache import PageCache, PageCacheMiddleware
from samrad.core.security import CSRF_COOKIE, CSRFMiddleware, RateLimiter, install_scope_checks
from samrad.core.sessions import LazySessionConfig
from samrad.core.settings import ROOT, Settings, get_settings
from samrad.core.web import (
    LocaleMiddleware,
    build_template_environment,
    exception_handlers,
    frame_headers_hook,
)


def build_store_registry(settings: Settings) -> StoreRegistry:
    """Sessions and rate limits: in this process's memory (one server process, the default), or in Redis
    when ``SAMRAD_REDIS_URL`` is set, so several processes share them. Nothing on a request touches a file."""

    def factory(name: str) -> Store:
        if settings.redis_url:
            return RedisStore.with_client(url=settings.redis_url, namespace=f"samrad:{name}")
        return MemoryStore()

    return StoreRegistry(default_factory=factory)


def area_dependencies() -> dict[str, Provide]:
    """What the areas offer each other, as Litestar dependencies (see ``samrad.core.area.Area.provides``)."""
    return {name: Provide(_constant(value), sync_to_thread=False) for name, value in provided().items()}


def _constant(value: object) -> Callable[[], object]:
    def provide() -> object:
        return value

    return provide


# The largest request body (413 beyond): a form is a few kilobytes, an upload at most 2 MB (paper notes).
MAX_REQUEST_BYTES = 4 * 1024 * 1024


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    install_scope_checks(permission_scopes())
    stores = build_store_registry(settings)
    templates = build_template_environment(settings)
    # One per app (so per process): public pages that opt in with ``opt={"page_cache": True}``.
    page_cache = PageCache()
    csrf = CSRFConfig(
        secret=settings.secret_key,
        cookie_name=CSRF_COOKIE,
        cookie_secure=settings.cookie_secure,
        cookie_httponly=True,
        exclude=["^/api/"],
    )
    return Litestar(
        route_handlers=[
            pages.router,
            create_static_files_router(path="/static", directories=[ROOT / "static"], name="static"),
            staff.router,
            people.router,
            doors.router,
            audit_log.router,
            *(handler for area in AREAS for handler in area.route_handlers),
        ],
        dependencies=area_dependencies(),
        plugins=[RuleRequiredFields(), *(make(settings) for area in AREAS for make in area.plugins)],
        template_config=TemplateConfig(engine=JinjaTemplateEngine.from_environment(templates)),
        middleware=[
            DefineMiddleware(LocaleMiddleware, default_locale=settings.default_locale),
            # NUL characters and bytes that are not UTF-8 end here, with a 400, before any handler reads them.
            InputGuardMiddleware,
            LazySessionConfig(
                key="samrad_session", secure=settings.cookie_secure, samesite="lax", max_age=12 * 3600
            ).middleware,
            # After the locale (part of its key); inside the session, which still refreshes a staff cookie on a hit.
            DefineMiddleware(PageCacheMiddleware, cache=page_cache),
            # Innermost, where Litestar puts its own for ``csrf_config`` (``samrad.core.security.CSRFMiddleware``).
            DefineMiddleware(CSRFMiddleware, config=csrf),
        ],
        stores=stores,
        state=State(
            {"settings": settings, "rate_limiter": RateLimiter(stores.get("ratelimit")), "page_cache": page_cache,
             "csrf_config": csrf}
        ),
        on_startup=[db.start],
        on_shutdown=[db.stop],
        exception_handlers=exception_handlers,
        request_max_body_size=MAX_REQUEST_BYTES,
        before_send=[frame_headers_hook(secure_cookies=settings.cookie_secure)],
        openapi_config=OpenAPIConfig(
            title="Samråd API", version="1.0.0", path="/schema", description="Public events and registrations.",
            render_plugins=api_docs.render_plugins(),
        ),
    )


def create_served_app() -> Litestar:
    """The app as ``samrad serve`` runs it (each worker process calls this): ``create_app``, whose heap is
    frozen once it has started (``samrad.core.heap``)."""
    app = create_app()
    app.on_startup.append(heap.freeze)
    return app
