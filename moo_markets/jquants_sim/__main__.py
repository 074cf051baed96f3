"""``python -m moo_markets.jquants_sim``: the ``moo-markets jquants-sim`` subcommand on its own."""

from __future__ import annotations

import argparse
import logging
import sys

from moo_markets.jquants_sim.cli import add_arguments, run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m moo_markets.jquants_sim", description=__doc__)
    add_arguments(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
