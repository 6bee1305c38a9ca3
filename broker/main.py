"""`broker` / `mqbroker`: the Broker daemon. Not built yet (issue #4); the entry point exists so the
console scripts install and say so plainly."""
from __future__ import annotations

import sys

IMPLEMENTED = False


def main(argv: list[str] | None = None) -> int:
    print("mqbroker: the broker is not implemented yet in this version (NameServer only)", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
