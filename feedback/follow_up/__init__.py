"""Organisers follow input up: the input browser and its exports, follow-up actions and their public "you said,
we did" page, digests to people who asked for them, evaluations after an event, and reports.

Every page, export and report reads input through ``feedback.follow_up.visibility`` (published only, unless an
organiser asks for held or hidden input), and every breakdown by a group of people through
``feedback.follow_up.suppression`` (groups smaller than five are not shown).
"""
