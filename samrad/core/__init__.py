"""The kernel: what every area builds on. It imports no area and nothing of the composition layer
(``tests/test_layering.py`` enforces it)."""
