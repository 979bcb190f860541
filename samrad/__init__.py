"""Samråd: conference and engagement events for municipalities.

Two layers live here. ``samrad.core`` is the kernel every area builds on (settings, database, i18n, web frame,
security, accounts, mail outbox, audit, the worker loop, the area manifest); it imports no area. The modules
directly in ``samrad`` are the composition layer (``areas``, ``app``, ``worker``, ``cli``, ``demo``, ``bench``,
``checks``): the only code that imports every area, always through ``samrad.areas.AREAS``.
"""
