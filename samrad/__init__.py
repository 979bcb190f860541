"""Samråd: conference and engagement events for municipalities.

This package holds what every area shares (settings, database, i18n, web frame, security, mail outbox,
command line). It imports none of the area apps except where it composes them: the app factory
(``samrad.app``) and the command line (``samrad.cli``).
"""
