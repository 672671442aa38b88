"""``netprice reproduce``: the published case studies, rerun as a report."""

from __future__ import annotations

from pathlib import Path

import click

from .common import guard

__all__ = ["reproduce"]


@click.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              default=Path("out/reproduce"), show_default=True,
              help="Folder for report.md, its plots and maps.")
@guard
def reproduce(out):
    """Rerun the published case studies (us5 and us20) and write a report.

    The report puts the published figures (4 saturated links, +2.7 % cost,
    +117 % chat price) beside netprice's, with the mode comparison, the chat
    latency sweep, the us20 merit order and the demand-scaling sweep to
    infeasibility, as tables, PNG plots and HTML maps.

    \b
    Example:
      netprice reproduce --out out/reproduce
    """
    from rich.console import Console

    from ..io.files import check_writable
    from ..reproduce import reproduce as run_reproduce

    check_writable(folders=[out])
    with Console(stderr=True).status("reproducing") as status:
        report = run_reproduce(out, progress=lambda text: status.update(text))
    click.echo(f"wrote {report}")
