"""The wall page: the current published input rendered on the server, coloured by theme with readable text,
the join code and its QR code, a reload every few seconds without JavaScript, and the theme stylesheet."""

from __future__ import annotations

import re

from wall_support import capture, make_theme, make_wall

from feedback.wall.services import NEUTRAL_COLOUR, theme_colours
from samrad.core.contrast import contrast_ratio


async def test_text_colour_is_black_or_white_whichever_reaches_aa():
    assert theme_colours("#ffffff") == ("#ffffff", "#000000")
    assert theme_colours("#000000") == ("#000000", "#ffffff")
    assert theme_colours("#FFCC00") == ("#ffcc00", "#000000")  # yellow: black text
    assert theme_colours("#1f5f8b") == ("#1f5f8b", "#ffffff")  # the default theme blue: white text
    assert theme_colours("#757575") == ("#757575", "#ffffff")  # mid grey: white 4.61:1, black 4.56:1
    assert theme_colours("#767676") == ("#767676", "#000000")  # a shade lighter: white 4.54:1, black 4.62:1
    for colour in ("#ff0000", "#00ff00", "#0000ff", "#808080", "#1f5f8b", "#ffcc00", "#6b2c91", "#ffffff"):
        background, text = theme_colours(colour)
        assert contrast_ratio(background, text) >= 4.5, colour


async def test_a_colour_that_is_not_hex_falls_back_to_the_neutral_colour():
    for colour in ("", None, "red", "#12345", "#1234567", "url(x)", "#12345g"):
        assert theme_colours(colour) == (NEUTRAL_COLOUR, "#ffffff")


async def test_the_page_shows_published_input_newest_first_with_the_join_code_and_qr(client):
    theme = await make_theme("mobility", "#ffcc00", name="Mobility")
    wall = await make_wall(themes=(theme,))
    await capture(wall["workshop_id"], "Older idea")
    await capture(wall["workshop_id"], "Newer idea", theme_ids=(theme,))
    response = await client.get(f"/workshops/{wall['workshop_id']}/wall")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    page = response.text
    assert page.index("Newer idea") < page.index("Older idea")
    assert "Safe streets" in page  # the workshop's title
    code = re.search(r'class="wall-code">([A-Z0-9]+)<', page).group(1)
    assert f"http://127.0.0.1:8000/j/{code}" in page
    assert '<svg aria-hidden="true"' in page and "viewBox" in page
    assert f'class="wall-card theme-{theme}"' in page
    assert f'class="wall-chip theme-{theme}" data-theme="{theme}">Mobility<' in page
    assert '<noscript><meta http-equiv="refresh" content="10"></noscript>' in page
    assert f'data-stream="/workshops/{wall["workshop_id"]}/wall/stream"' in page


async def test_the_event_wall_lists_the_join_codes_of_its_workshops(client):
    wall = await make_wall()
    await capture(wall["workshop_id"], "Everyone's input")
    page = (await client.get(f"/events/{wall['slug']}/wall")).text
    assert "Everyone&#39;s input" in page or "Everyone's input" in page
    assert re.search(r'class="wall-code">W\d+<', page)
    assert "Go to http://127.0.0.1:8000/j and enter" in page  # the page that asks for a code, and its QR code
    assert '<svg aria-hidden="true"' in page
    assert f'data-stream="/events/{wall["slug"]}/wall/stream"' in page


async def test_input_text_is_escaped(client):
    wall = await make_wall()
    await capture(wall["workshop_id"], '<script>alert("x")</script>')
    page = (await client.get(f"/workshops/{wall['workshop_id']}/wall")).text
    assert '<script>alert("x")</script>' not in page
    assert "&lt;script&gt;" in page


async def test_the_page_speaks_the_viewers_language(client):
    wall = await make_wall()
    page = (await client.get(f"/workshops/{wall['workshop_id']}/wall?lang=da")).text
    assert '<html lang="da">' in page
    assert "Værksted" in page  # the workshop's Danish title


async def test_a_draft_events_wall_is_for_signed_in_staff(client):
    from staff_support import login_as

    draft = await make_wall(published=False)
    assert (await client.get(f"/workshops/{draft['workshop_id']}/wall")).status_code == 404
    await login_as(client, "facilitator")
    assert (await client.get(f"/workshops/{draft['workshop_id']}/wall")).status_code == 200
    assert (await client.get(f"/events/{draft['slug']}/wall")).status_code == 200


async def test_the_theme_stylesheet_gives_every_theme_its_colours(client):
    yellow = await make_theme("yellow", "#ffcc00")
    blue = await make_theme("blue", "#1f5f8b")
    response = await client.get("/walls/themes.css")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
    assert f".theme-{yellow}{{--theme-bg:#ffcc00;--theme-fg:#000000}}" in response.text
    assert f".theme-{blue}{{--theme-bg:#1f5f8b;--theme-fg:#ffffff}}" in response.text
