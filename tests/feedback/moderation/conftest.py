"""The moderation tests share the capture tests' set-up (``input_support``)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "capture"))
