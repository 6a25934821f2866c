"""Write the current schema of each top-level record as its next released version.

Run it when a schema change is released: ``python -m schemas.release``. It does
nothing for a record whose current schema equals its latest released version.
"""

from __future__ import annotations

import json
import sys

from schemas.registry import TOP_LEVEL, VERSION_DIR, canonical_form, expanded, released


def main() -> int:
    VERSION_DIR.mkdir(exist_ok=True)
    for name in TOP_LEVEL:
        versions = released(name)
        schema = expanded(name)
        if versions and canonical_form(versions[max(versions)]) == canonical_form(schema):
            print(f"{name}: unchanged since v{max(versions)}")
            continue
        number = max(versions, default=0) + 1
        path = VERSION_DIR / f"{name}.v{number}.avsc"
        path.write_text(json.dumps(schema, indent=2) + "\n")
        print(f"{name}: released as {path.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
