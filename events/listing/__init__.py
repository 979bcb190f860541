"""Listing: the public event listing, the event page, calendar files and feeds, and the events API."""
