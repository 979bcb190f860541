"""The page frame: health, languages, footer pages, error pages, security headers."""

import pytest


async def test_healthz_answers_without_database(client):
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_checks_the_database(client):
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


@pytest.mark.parametrize("path", ["/accessibility", "/privacy"])
async def test_footer_pages_render_with_municipality_contact(client, settings, path):
    response = await client.get(path)
    assert response.status_code == 200
    assert settings.municipality_email in response.text or settings.accessibility_contact in response.text
    assert 'href="#main"' in response.text


async def test_unknown_page_is_a_friendly_404(client):
    response = await client.get("/no/such/page")
    assert response.status_code == 404
    assert "<h1>" in response.text


async def test_security_headers_on_every_page(client):
    response = await client.get("/privacy")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"


async def test_unexpected_error_is_a_friendly_500_without_details(app, client, caplog):
    from litestar import get

    @get("/boom-for-test", sync_to_thread=False)
    def boom() -> str:
        raise RuntimeError("secret@example.org must not reach the page or the log")

    app.register(boom)
    response = await client.get("/boom-for-test")
    assert response.status_code == 500
    assert "secret@example.org" not in response.text
    assert "<h1>" in response.text
    assert "secret@example.org" not in caplog.text


async def test_api_errors_are_json(client):
    response = await client.get("/api/v1/no-such-endpoint")
    assert response.status_code == 404
    assert response.json()["status_code"] == 404


async def test_language_switch_sets_cookie_and_only_redirects_locally(client):
    response = await client.get("/lang/sv?next=/privacy")
    assert response.status_code == 303
    assert response.headers["location"] == "/privacy"
    assert "samrad_lang=sv" in response.headers["set-cookie"]
    response = await client.get("/lang/sv?next=//evil.example/")
    assert response.headers["location"] == "/"


async def test_page_language_follows_cookie_then_accept_language(client):
    response = await client.get("/privacy", headers={"accept-language": "sv-SE,sv;q=0.9,en;q=0.5"})
    assert '<html lang="sv">' in response.text
    client.cookies.set("samrad_lang", "da")
    response = await client.get("/privacy", headers={"accept-language": "sv"})
    assert '<html lang="da">' in response.text
    response = await client.get("/privacy?lang=en")
    assert '<html lang="en">' in response.text


async def test_security_headers_also_on_paths_no_route_matches(client):
    response = await client.get("/no/such/page")
    assert response.status_code == 404
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"


async def test_a_language_chosen_by_link_is_remembered(client):
    response = await client.get("/privacy?lang=sv")
    assert "samrad_lang=sv" in response.headers["set-cookie"]
    response = await client.get("/privacy")
    assert '<html lang="sv">' in response.text
