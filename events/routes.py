"""HTTP for events (filled in by the public pages work)."""

route_handlers: list = []
