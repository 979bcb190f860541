"""The feedback area as the rest of the app sees it. Input items never name a person, so it declares no
personal data."""

from __future__ import annotations

from feedback import demo
from samrad.core.area import Area

AREA = Area(name="feedback", demo=(demo.load,))
