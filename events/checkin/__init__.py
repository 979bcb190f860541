"""Check-in: tickets and names at the door, and visitor headcounts for drop-in dates."""
