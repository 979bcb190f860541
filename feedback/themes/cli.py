"""``samrad taxonomy load NAME``: a built-in taxonomy as a new policy, from the command line."""

from __future__ import annotations

import sys

from feedback.themes import services, taxonomy
from feedback.themes.taxonomy import TaxonomyError


async def load_taxonomy(name: str) -> int:
    try:
        policy_id = await services.load_builtin(name, "system")
    except TaxonomyError as error:
        print(f"error: {'; '.join(error.problems)} (built-in: {', '.join(taxonomy.BUILTIN)})", file=sys.stderr)
        return 2
    print(f"loaded {name} as policy {policy_id}")
    return 0
