"""The ``jaxgeo`` command line: a thin layer over the Python API.

Each pillar registers its subcommands through a ``register(subparsers)`` function in its
own ``_cli`` module, listed in ``_SUBCOMMAND_MODULES``.
"""

from __future__ import annotations

import argparse
import importlib
import sys

_SUBCOMMAND_MODULES = [
    "jaxgeo.sphere._cli",
    "jaxgeo.grace._cli",
    "jaxgeo.troposphere._cli",
    "jaxgeo.distributed._cli",
    "jaxgeo.downscale._cli",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jaxgeo", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version="jaxgeo " + _version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in _SUBCOMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def _version() -> str:
    from . import __version__

    return __version__


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ValueError, FileNotFoundError, FileExistsError) as exc:
        print(f"jaxgeo {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
