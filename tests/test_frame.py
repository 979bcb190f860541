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
