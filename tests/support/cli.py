"""Run a ``jaxgeo`` command in-process, letting anticipated errors raise (for pytest.raises)."""

from jaxgeo import cli


def run_subcommand(argv: list[str]) -> int:
    """Parse ``argv`` with the full ``jaxgeo`` parser and run the command, errors raising."""
    args = cli.build_parser().parse_args(cli._rewrite(list(argv)))
    return args.func(args)
