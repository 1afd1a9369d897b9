"""The ``jaxgeo`` command line: a thin layer over the Python API.

Every command is ``jaxgeo <group> <action>`` (``jaxgeo regrid`` alone is a single command);
each group lives in a module of this package with a ``register(subparsers)`` function.
Parsing imports nothing heavier than argparse: a command's handler imports jax, xarray and
its pillar when it runs, so ``--help`` answers at once. ``jaxgeo demo`` alone runs
``jaxgeo demo downscale``, the main job. Retired spellings (``jaxgeo cap``, ``cap-stream``,
``cap-demo``, ``downscale --coarse ...``) still work for one release with a warning.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import warnings

_GROUPS = ["sphere", "grace", "zwd", "downscale", "regrid", "demo"]

# retired command spellings -> their replacement (one release)
_RETIRED_COMMANDS = {
    "cap": ["sphere", "average"],
    "cap-stream": ["sphere", "stream"],
    "cap-demo": ["demo", "cap"],
}
_DEMOS = ("downscale", "cap")


def build_parser() -> argparse.ArgumentParser:
    """The full ``jaxgeo`` parser (cheap: no pillar is imported)."""
    from ._args import Parser

    # one-line usage errors; the groups' subparsers inherit the class
    parser = Parser(prog="jaxgeo", description=__doc__.splitlines()[0].replace("``", "'"))
    parser.add_argument("--version", action="version", version="jaxgeo " + _version())
    parser.add_argument("--debug", action="store_true",
                        help="show the Python traceback of an error instead of one line")
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


def _os_message(exc: OSError) -> str:
    """One line for an operating-system error, naming the path."""
    import errno

    where = exc.filename or ""
    if exc.errno == errno.ENOSPC:
        return f"no space left on {where or 'the output device'}"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"permission denied: {where}".rstrip(": ")
    if exc.errno == errno.EROFS:
        return f"read-only file system: {where}".rstrip(": ")
    if exc.errno == errno.ENOENT:
        return f"no such file or directory: {where}".rstrip(": ")
    text = exc.strerror or " ".join(str(exc).split()) or type(exc).__name__
    return f"{text}: {where}" if where else text


def _message(exc: BaseException) -> str:
    if isinstance(exc, OSError) and (exc.errno is not None or not isinstance(
            exc, FileNotFoundError | FileExistsError)) and not isinstance(exc, ValueError):
        # a raw operating-system error ("[Errno 2] ..."); jaxgeo's own are worded already
        return _os_message(exc)
    if isinstance(exc, MemoryError):
        return ("out of memory; use a coarser grid, fewer months or smaller batches "
                "(--batch-months)")
    if isinstance(exc, FloatingPointError):
        return f"non-finite values in the computation ({' '.join(str(exc).split())})"
    return " ".join(str(exc).split()) or type(exc).__name__


def _one_line_warning(command: str):
    """A ``warnings.showwarning`` printing ``jaxgeo <cmd>: warning: ...`` on one line (the
    library's warnings name the file, month or variable; the source line would not help)."""

    shown: set[str] = set()  # e.g. fit and predict read the same inputs: say it once

    def show(message, category, filename, lineno, file=None, line=None):
        text = " ".join(str(message).split())
        if text not in shown:
            shown.add(text)
            print(f"jaxgeo {command}: warning: {text}", file=sys.stderr if file is None else file)

    return show


# what a user can cause and mend: one line and exit 2; anything else is a bug (traceback)
_ANTICIPATED = (ValueError, OSError, MemoryError, FloatingPointError)


def main(argv: list[str] | None = None) -> int:
    """Run ``jaxgeo``; anticipated failures print one line and return 2 (``--debug``:
    the traceback)."""
    argv = _rewrite(list(sys.argv[1:] if argv is None else argv))
    args = build_parser().parse_args(argv)
    try:
        with warnings.catch_warnings():
            if not args.debug:
                warnings.showwarning = _one_line_warning(args.command)
            return int(args.func(args) or 0)
    except _ANTICIPATED as exc:
        if args.debug:
            raise
        print(f"jaxgeo {args.command}: error: {_message(exc)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
