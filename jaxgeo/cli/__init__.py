"""The ``jaxgeo`` command line: a thin layer over the Python API.

Every command is ``jaxgeo <group> <action>``; each group lives in a module of this package
with a ``register(subparsers)`` function. Parsing imports nothing heavier than argparse:
a command's handler imports jax, xarray and its pillar when it runs, so ``--help`` answers
at once. ``jaxgeo demo`` alone runs ``jaxgeo demo downscale``, the main job. Retired
spellings (``jaxgeo cap``, ``cap-stream``, ``cap-demo``, ``downscale --coarse ...``) still
work for one release with a warning.
"""

from __future__ import annotations

import argparse
import importlib
import sys

_GROUPS = ["sphere", "grace", "zwd", "downscale", "demo"]

# retired command spellings -> their replacement (one release)
_RETIRED_COMMANDS = {
    "cap": ["sphere", "average"],
    "cap-stream": ["sphere", "stream"],
    "cap-demo": ["demo", "cap"],
}
_DEMOS = ("downscale", "cap")


def build_parser() -> argparse.ArgumentParser:
    """The full ``jaxgeo`` parser (cheap: no pillar is imported)."""
    parser = argparse.ArgumentParser(prog="jaxgeo",
                                     description=__doc__.splitlines()[0].replace("``", "'"))
    parser.add_argument("--version", action="version", version="jaxgeo " + _version())
    sub = parser.add_subparsers(dest="group", metavar="COMMAND")
    sub.required = True
    for name in _GROUPS:
        importlib.import_module(f"{__name__}.{name}").register(sub)
    return parser


def _version() -> str:
    from .. import __version__

    return __version__


def _rewrite(argv: list[str]) -> list[str]:
    """Map retired command spellings and the bare ``demo`` onto the current shape."""
    if not argv:
        return argv
    head, rest = argv[0], argv[1:]
    if head in _RETIRED_COMMANDS:
        new = _RETIRED_COMMANDS[head]
        print(f"jaxgeo: warning: 'jaxgeo {head}' is deprecated and will be removed in the next "
              f"release; use 'jaxgeo {' '.join(new)}'", file=sys.stderr)
        return [*new, *rest]
    if head == "downscale" and rest and rest[0].startswith("-") and rest[0] not in (
            "-h", "--help"):
        print("jaxgeo: warning: 'jaxgeo downscale --coarse ...' is deprecated and will be "
              "removed in the next release; use 'jaxgeo downscale fit --coarse ...'",
              file=sys.stderr)
        return ["downscale", "fit", *rest]
    if head == "demo" and (not rest or (rest[0] not in _DEMOS and rest[0] not in (
            "-h", "--help"))):
        return ["demo", "downscale", *rest]
    return argv


def main(argv: list[str] | None = None) -> int:
    """Run ``jaxgeo``; anticipated failures print one line and return 2."""
    argv = _rewrite(list(sys.argv[1:] if argv is None else argv))
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ValueError, FileNotFoundError, FileExistsError) as exc:
        message = " ".join(str(exc).split()) or type(exc).__name__
        print(f"jaxgeo {args.command}: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
