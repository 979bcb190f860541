"""Management: what organisers do with events: create, edit, cancel, settings, registrations, totals."""
