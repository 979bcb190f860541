"""The workshops area as the rest of the app sees it: workshop seats offered to the registration flow."""

from __future__ import annotations

from samrad.core.area import Area
from workshops import demo
from workshops.services import WorkshopSeatPlan, workshops_for_event

AREA = Area(
    name="workshops",
    # A person's workshop seats reach their data download, their erasure and their emails through the seat
    # plan (``events.contracts.SeatPlan``); ``WorkshopSeat`` rows go with the registration they belong to.
    provides={"seat_plan": WorkshopSeatPlan(), "workshop_catalogue": workshops_for_event},
    demo=(demo.load,),
)
