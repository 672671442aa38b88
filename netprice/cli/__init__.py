"""The ``netprice`` command line: one module per command group.

==================  ==========================================================
``common``          exit codes, the error guard, the console (every command)
``clearing``        ``clear``, ``compare``: one market
``market``          ``market``: offers and bids, surplus, market-power screens
``day``             ``day``, and ``clear`` of a market over periods
``importing``       ``import``: Topology Zoo GraphML to netprice GeoJSON
``reproducing``     ``reproduce``: the published case studies as a report
``scenarios``       ``sweep``, ``contingency``: many markets, serially or on Dask
==================  ==========================================================

Every error is printed as one line on stderr with an exit code
(:mod:`netprice.cli.common`); nothing is written when a command fails.
The library never imports this package.
"""

from __future__ import annotations

import click

from .clearing import clear, compare
from .common import run
from .day import day
from .importing import import_
from .market import market
from .reproducing import reproduce
from .scenarios import contingency_command, sweep_command

__all__ = ["main", "cli"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="netprice")
def cli():
    """Clear AI token-flow markets over compute sites and backbone links.

    \b
    Examples:
      netprice clear datasets/us5.geojson --mode both --map maps/us5.html
      netprice clear net.geojson --out results/ --json
      netprice market datasets/us5-market.geojson --out out/us5-market
    """


for _command in (clear, compare, day, market, import_, reproduce, sweep_command,
                 contingency_command):
    cli.add_command(_command)


def main(argv=None):
    """Entry point of the ``netprice`` console script: returns the exit code."""
    return run(cli, argv)
