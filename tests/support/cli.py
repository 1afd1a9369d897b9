"""Run one pillar's CLI module on its own root parser (independent of the other pillars)."""

import argparse


def run_subcommand(cli_module, argv: list[str]) -> int:
    """Parse ``argv`` with only ``cli_module.register``'s commands and run the chosen one."""
    parser = argparse.ArgumentParser(prog="jaxgeo")
    cli_module.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.func(args)
