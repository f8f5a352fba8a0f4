"""``python -m refimpl`` / the ``refimpl`` console script.

Subcommands: ``check`` (run the registered ops' property checks on a
namespace; see ``refimpl check --help`` and docs/testing.md).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status (0 ok, 1 failures, 2 usage error)."""
    from refimpl.testing.cli import main as cli_main

    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())
