"""The themes tests share the capture tests' set-up (``input_support``: an event, a workshop, its themes)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "capture"))

from staff_support import client, other_client  # noqa: F401  (each test's client from its own address)
