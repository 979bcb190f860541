"""Behind a reverse proxy, rate limits count per client: the address in X-Forwarded-For is believed only from
the proxies in ``SAMRAD_TRUSTED_PROXIES``, so nobody else can pick their own address by sending the header."""

from __future__ import annotations

import httpx
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from samrad import cli
from samrad.core.settings import Settings

CLIENT = "203.0.113.7"


async def test_samrad_serve_hands_the_trusted_proxies_to_uvicorn(settings, monkeypatch):
    assert settings.trusted_proxies == "127.0.0.1,::1"
    monkeypatch.setenv("SAMRAD_TRUSTED_PROXIES", "10.0.0.5, 192.168.0.0/16")
    assert Settings.from_env().trusted_proxies == "10.0.0.5, 192.168.0.0/16"
    served = {}
    monkeypatch.setattr(cli, "run_server", lambda app, **options: served.update(options, app=app))
    assert cli.COMMANDS["serve"](cli.parser().parse_args(["serve"])) == 0
    assert served["trusted_proxies"] == settings.trusted_proxies
    config = cli.server_config("samrad.app:create_app", host="127.0.0.1", port=8000, trusted_proxies="10.0.0.5")
    assert (config.proxy_headers, config.forwarded_allow_ips, config.access_log) == (True, "10.0.0.5", False)


async def test_the_client_address_comes_from_trusted_proxies_only(app):
    config = cli.server_config("samrad.app:create_app", host="127.0.0.1", port=8000,
                               trusted_proxies="127.0.0.1,::1,10.0.0.0/8")
    # What uvicorn puts in front of the app with this configuration (``uvicorn.Config.load``).
    proxied = ProxyHeadersMiddleware(app, trusted_hosts=config.forwarded_allow_ips)
    counted: list[str] = []

    async def hit(bucket: str, client: str, limit: tuple[int, int]) -> None:
        counted.append(client)

    app.state.rate_limiter.hit = hit
    cases = [
        ("127.0.0.1", CLIENT, CLIENT),  # the proxy on this machine
        ("::1", CLIENT, CLIENT),
        ("10.1.2.3", f"{CLIENT}, 10.0.0.2", CLIENT),  # two trusted proxies in a row
        ("127.0.0.1", f"198.51.100.1, {CLIENT}", CLIENT),  # what the client sent itself is ignored
        ("198.51.100.9", CLIENT, "198.51.100.9"),  # not a trusted proxy: its header counts for nothing
        ("198.51.100.9", None, "198.51.100.9"),
        ("127.0.0.1", None, "127.0.0.1"),
    ]
    for peer, forwarded, expected in cases:
        transport = httpx.ASGITransport(app=proxied, client=(peer, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver.local") as http:
            response = await http.get("/api/v1/events", headers={"X-Forwarded-For": forwarded} if forwarded else {})
        assert response.status_code == 200
        assert counted[-1] == expected, (peer, forwarded)
