"""``netprice import``: a Topology Zoo GraphML file as a netprice GeoJSON topology."""

from __future__ import annotations

from pathlib import Path

import click

from .common import guard

__all__ = ["import_"]


@click.command(name="import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="GeoJSON to write (default: FILE with the suffix .geojson).")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of the synthesised capacities, costs and demands.")
@click.option("--components", type=click.Choice(["largest", "all"]), default="largest",
              show_default=True, help="Keep the largest connected part, or all of them.")
@guard
def import_(file, output, seed, components):
    """Import a Topology Zoo GraphML FILE as a netprice GeoJSON topology.

    Parallel links are merged, nodes without coordinates placed or dropped
    (and reported), and a market is synthesised (seeded, documented in
    docs/graphml.md) where the file has none.

    \b
    Example:
      netprice import Abilene.graphml -o abilene.geojson --seed 0
    """
    from ..io.files import check_writable
    from ..io.graphml import graphml_to_geojson

    output = output or file.with_suffix(".geojson")
    check_writable(output)
    G = graphml_to_geojson(file, output, seed=seed, components=components)
    report = G.graph.get("import_report", {})
    click.echo(f"wrote {output}: {G.number_of_nodes()} nodes, "
               f"{G.number_of_edges() // 2} links, {len(G.graph['workloads'])} workloads")
    for key, value in report.items():
        if value:
            click.echo(f"  {key}: {value if not isinstance(value, (list, dict)) else len(value)}")
