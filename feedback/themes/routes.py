"""The back office of policies and theme trees (organisers, ``Action.manage_themes``): policies, their themes
(add, edit, order, move, archive, delete), taxonomy files in and out, and the built-in taxonomies.

Every action is a plain form POST answered with a redirect (works without JavaScript, one keyboard stop per
button); the rules live in ``feedback.themes.services``.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Response, Template

from events.labels import LANGUAGE_LABELS
from events.management.routes import actor
from feedback.tables import PolicyKind
from feedback.themes import forms, services, taxonomy
from feedback.themes.services import ThemeError
from feedback.themes.taxonomy import TaxonomyError
from samrad.core.i18n import N_, _
from samrad.core.inputs import whole_number
from samrad.core.security import Action, requires
from samrad.core.settings import LOCALES
from samrad.core.staff import flash, staff_page

GUARD = [requires(Action.manage_themes)]
BASE = "/staff/themes"
KIND_LABELS = {
    PolicyKind.municipal.value: N_("A municipality's own policy"),
    PolicyKind.charter.value: N_("A charter (such as the CEMR charter)"),
    PolicyKind.areas.value: N_("A flat list of areas"),
}
BUILTIN_LABELS = {
    "randers": N_("Randers Municipality's gender equality policy (three themes)"),
    "cemr": N_("The CEMR European Charter for Equality of Women and Men in Local Life (principles and areas, 2022)"),
    "lerum": N_("Lerum's equality areas (a flat list)"),
}
THEMES_TITLE = N_("Themes")


def _labels() -> dict[str, Any]:
    return {
        "locales": LOCALES,
        "language_label": lambda code: _(LANGUAGE_LABELS[code]),
        "kinds": list(KIND_LABELS),
        "kind_label": lambda kind: _(KIND_LABELS.get(kind, kind)),
        "themes_title": _(THEMES_TITLE),
    }


async def _policy_or_404(policy_id: int) -> dict[str, Any]:
    policy = await services.policy_or_none(policy_id)
    if policy is None:
        raise NotFoundException()
    return policy


async def _theme_or_404(theme_id: int) -> dict[str, Any]:
    theme = await services.theme_or_none(theme_id)
    if theme is None:
        raise NotFoundException()
    return theme


async def _upload(form: Any, name: str = "file") -> bytes | None:
    upload = form.get(name)
    if not isinstance(upload, UploadFile):
        return None
    return await upload.read(taxonomy.MAX_FILE_BYTES + 1)


# --- policies ---------------------------------------------------------------------------------------------

@get(BASE, name="themes_policies", guards=GUARD)
async def policies_page(request: Request) -> Template:
    return await _policies_page(request)


async def _policies_page(request: Request, *, values: dict[str, str] | None = None,
                         errors: dict[str, str] | None = None, problems: list[str] | None = None,
                         status_code: int = 200) -> Template:
    loaded = {row["code"] for row in await services.policies()}
    builtins = [(name, _(BUILTIN_LABELS[name]), taxonomy.builtin_document(name)["code"] in loaded)
                for name in taxonomy.BUILTIN]
    return await staff_page(
        request, "feedback/themes/policies.html", status_code=status_code, policies=await services.policies(),
        builtins=builtins, values=values or {"kind": PolicyKind.municipal.value}, errors=errors or {},
        problems=problems or [], **_labels(),
    )


@post(f"{BASE}/policies", name="themes_policy_create", status_code=303, guards=GUARD)
async def policy_create(request: Request) -> Template | Redirect:
    values = forms.fields_of(await request.form(), forms.POLICY_FIELDS)
    parsed = forms.parse_policy(values)
    if "__errors__" in parsed:
        return await _policies_page(request, values=values, errors=parsed["__errors__"], status_code=422)
    try:
        policy_id = await services.create_policy(parsed, await actor(request))
    except ThemeError as error:
        return await _policies_page(request, values=values, errors=error.errors, status_code=422)
    flash(request, _("The policy has been created. Now add its themes."))
    return Redirect(path=f"{BASE}/policies/{policy_id}", status_code=303)


@post(f"{BASE}/import", name="themes_import", status_code=303, guards=GUARD)
async def taxonomy_import(request: Request) -> Template | Redirect:
    """A whole taxonomy (policy and themes) from a JSON file."""
    data = await _upload(await request.form())
    if not data:
        return await _policies_page(request, problems=[_("Choose a JSON file to import.")], status_code=422)
    try:
        policy_id = await services.import_taxonomy(taxonomy.read_json(data), await actor(request))
    except TaxonomyError as error:
        return await _policies_page(request, problems=error.problems, status_code=422)
    flash(request, _("The taxonomy has been imported."))
    return Redirect(path=f"{BASE}/policies/{policy_id}", status_code=303)


@post(f"{BASE}/builtin", name="themes_builtin", status_code=303, guards=GUARD)
async def builtin_load(request: Request) -> Template | Redirect:
    name = (await request.form()).get("name", "")
    try:
        policy_id = await services.load_builtin(name if isinstance(name, str) else "", await actor(request))
    except TaxonomyError as error:
        return await _policies_page(request, problems=error.problems, status_code=422)
    flash(request, _("The taxonomy has been loaded."))
    return Redirect(path=f"{BASE}/policies/{policy_id}", status_code=303)


@get(f"{BASE}/policies/{{policy_id:int}}", name="themes_policy", guards=GUARD)
async def policy_page(request: Request, policy_id: FromPath[int]) -> Template:
    policy = await _policy_or_404(policy_id)
    return await _policy_page(request, policy)


async def _policy_page(request: Request, policy: dict[str, Any], *, policy_values: dict[str, str] | None = None,
                       policy_errors: dict[str, str] | None = None, theme_values: dict[str, str] | None = None,
                       theme_errors: dict[str, str] | None = None, problems: list[str] | None = None,
                       status_code: int = 200) -> Template:
    themes = await services.tree(policy["id"])
    return await staff_page(
        request, "feedback/themes/policy.html", status_code=status_code, policy=policy, themes=themes,
        parents=[theme for theme in themes if theme["level"] < taxonomy.MAX_DEPTH and not theme["archived_at"]],
        policy_values=policy_values or forms.policy_values(policy), policy_errors=policy_errors or {},
        theme_values=theme_values or {"colour": taxonomy.DEFAULT_COLOUR}, theme_errors=theme_errors or {},
        problems=problems or [], **_labels(),
    )


@post(f"{BASE}/policies/{{policy_id:int}}", name="themes_policy_save", status_code=303, guards=GUARD)
async def policy_save(request: Request, policy_id: FromPath[int]) -> Template | Redirect:
    policy = await _policy_or_404(policy_id)
    values = forms.fields_of(await request.form(), forms.POLICY_FIELDS)
    parsed = forms.parse_policy(values)
    errors = parsed.get("__errors__")
    if errors is None:
        try:
            await services.update_policy(policy_id, parsed, await actor(request))
        except ThemeError as error:
            errors = error.errors
    if errors:
        return await _policy_page(request, policy, policy_values=values, policy_errors=errors, status_code=422)
    flash(request, _("The policy has been saved."))
    return Redirect(path=f"{BASE}/policies/{policy_id}", status_code=303)


@post(f"{BASE}/policies/{{policy_id:int}}/themes", name="themes_theme_create", status_code=303, guards=GUARD)
async def theme_create(request: Request, policy_id: FromPath[int]) -> Template | Redirect:
    policy = await _policy_or_404(policy_id)
    form = await request.form()
    values = forms.fields_of(form, (*forms.THEME_FIELDS, "parent"))
    parsed = forms.parse_theme(values)
    errors = parsed.get("__errors__")
    if errors is None:
        parent = values["parent"]
        try:
            await services.create_theme(policy_id, _parent_id(parent), parsed, await actor(request))
        except ThemeError as error:
            errors = error.errors
    if errors:
        return await _policy_page(request, policy, theme_values=values, theme_errors=errors, status_code=422)
    flash(request, _("The theme has been added."))
    return Redirect(path=f"{BASE}/policies/{policy_id}#themes", status_code=303)


@post(f"{BASE}/policies/{{policy_id:int}}/import-csv", name="themes_import_csv", status_code=303, guards=GUARD)
async def themes_import_csv(request: Request, policy_id: FromPath[int]) -> Template | Redirect:
    policy = await _policy_or_404(policy_id)
    data = await _upload(await request.form())
    if not data:
        return await _policy_page(request, policy, problems=[_("Choose a CSV file to import.")], status_code=422)
    try:
        count = await services.import_themes(policy_id, taxonomy.read_csv(data), await actor(request))
    except TaxonomyError as error:
        return await _policy_page(request, policy, problems=error.problems, status_code=422)
    flash(request, _("%(count)s themes have been imported.", count=count))
    return Redirect(path=f"{BASE}/policies/{policy_id}", status_code=303)


@get(f"{BASE}/policies/{{policy_id:int}}/export.json", name="themes_export_json", guards=GUARD)
async def export_json(policy_id: FromPath[int]) -> Response:
    policy = await _policy_or_404(policy_id)
    document = await services.export_document(policy_id)
    return Response(taxonomy.to_json(document), media_type="application/json", headers={
        "Content-Disposition": f'attachment; filename="{policy["code"]}.json"', "Cache-Control": "no-store"})


@get(f"{BASE}/policies/{{policy_id:int}}/export.csv", name="themes_export_csv", guards=GUARD)
async def export_csv(policy_id: FromPath[int]) -> Response:
    policy = await _policy_or_404(policy_id)
    document = await services.export_document(policy_id)
    return Response(taxonomy.to_csv(document["themes"]), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{policy["code"]}.csv"', "Cache-Control": "no-store"})


# --- one theme --------------------------------------------------------------------------------------------

@get(f"{BASE}/{{theme_id:int}}", name="themes_theme", guards=GUARD)
async def theme_page(request: Request, theme_id: FromPath[int]) -> Template:
    theme = await _theme_or_404(theme_id)
    return await _theme_page(request, theme)


async def _theme_page(request: Request, theme: dict[str, Any], *, values: dict[str, str] | None = None,
                      errors: dict[str, str] | None = None, status_code: int = 200) -> Template:
    policy = await _policy_or_404(theme["policy"])
    themes = await services.tree(policy["id"])
    moving = services.subtree_ids(themes, theme["id"])
    row = next(t for t in themes if t["id"] == theme["id"])
    return await staff_page(
        request, "feedback/themes/theme.html", status_code=status_code, policy=policy, theme=row,
        parents=[t for t in themes if t["id"] not in moving and t["level"] < taxonomy.MAX_DEPTH],
        values=values or forms.theme_values(theme), errors=errors or {}, **_labels(),
    )


@post(f"{BASE}/{{theme_id:int}}", name="themes_theme_save", status_code=303, guards=GUARD)
async def theme_save(request: Request, theme_id: FromPath[int]) -> Template | Redirect:
    theme = await _theme_or_404(theme_id)
    values = forms.fields_of(await request.form(), forms.THEME_FIELDS)
    parsed = forms.parse_theme(values)
    errors = parsed.get("__errors__")
    if errors is None:
        try:
            await services.update_theme(theme_id, parsed, await actor(request))
        except ThemeError as error:
            errors = error.errors
    if errors:
        return await _theme_page(request, theme, values=values, errors=errors, status_code=422)
    flash(request, _("The theme has been saved."))
    return Redirect(path=f"{BASE}/policies/{theme['policy']}#theme-{theme_id}", status_code=303)


@post(f"{BASE}/{{theme_id:int}}/order", name="themes_theme_order", status_code=303, guards=GUARD)
async def theme_order(request: Request, theme_id: FromPath[int]) -> Redirect:
    theme = await _theme_or_404(theme_id)
    direction = (await request.form()).get("direction")
    if direction in {"up", "down"}:
        await services.move_theme(theme_id, direction, await actor(request))
    return Redirect(path=f"{BASE}/policies/{theme['policy']}#theme-{theme_id}", status_code=303)


def _parent_id(raw: object) -> int | None:
    """The parent theme chosen: None for the top level; a choice that is no number is one no theme has (0)."""
    if not isinstance(raw, str) or not raw.strip():
        return None
    return whole_number(raw) or 0


@post(f"{BASE}/{{theme_id:int}}/parent", name="themes_theme_parent", status_code=303, guards=GUARD)
async def theme_parent(request: Request, theme_id: FromPath[int]) -> Template | Redirect:
    theme = await _theme_or_404(theme_id)
    parent = (await request.form()).get("parent", "")
    try:
        await services.reparent_theme(theme_id, _parent_id(parent), await actor(request))
    except ThemeError as error:
        return await _theme_page(request, theme, errors=error.errors, status_code=422)
    flash(request, _("The theme has been moved, with its sub-themes and all their input."))
    return Redirect(path=f"{BASE}/policies/{theme['policy']}#theme-{theme_id}", status_code=303)


@post(f"{BASE}/{{theme_id:int}}/archive", name="themes_theme_archive", status_code=303, guards=GUARD)
async def theme_archive(request: Request, theme_id: FromPath[int]) -> Redirect:
    theme = await _theme_or_404(theme_id)
    restore = (await request.form()).get("restore") == "1"
    await services.archive_theme(theme_id, await actor(request), archive=not restore)
    flash(request, _("The theme has been restored.") if restore else
          _("The theme has been archived. Its input stays; capture no longer offers it."))
    return Redirect(path=f"{BASE}/policies/{theme['policy']}#theme-{theme_id}", status_code=303)


@post(f"{BASE}/{{theme_id:int}}/delete", name="themes_theme_delete", status_code=303, guards=GUARD)
async def theme_delete(request: Request, theme_id: FromPath[int]) -> Template | Redirect:
    theme = await _theme_or_404(theme_id)
    try:
        await services.delete_theme(theme_id, await actor(request))
    except ThemeError as error:
        policy = await _policy_or_404(theme["policy"])
        return await _policy_page(request, policy, problems=list(error.errors.values()), status_code=409)
    flash(request, _("The theme has been deleted."))
    return Redirect(path=f"{BASE}/policies/{theme['policy']}", status_code=303)


router = Router(
    path="/",
    route_handlers=[
        policies_page, policy_create, taxonomy_import, builtin_load, policy_page, policy_save, theme_create,
        themes_import_csv, export_json, export_csv, theme_page, theme_save, theme_order, theme_parent,
        theme_archive, theme_delete,
    ],
    include_in_schema=False,
)
route_handlers = [router]
