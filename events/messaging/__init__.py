"""Messaging: the emails to registrants, calendar files, QR tickets and reminders."""
