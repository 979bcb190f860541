"""Workshops: the discussion sessions inside an event, their seats and their capture of input."""
