"""Organisers and their participants: lists, one registration, phone-ins, group emails, exports, print."""
