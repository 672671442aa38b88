"""The ``netprice`` command line.

Exit codes (documented in README.md):

== ==============================================================
0  success
1  unexpected internal error (a bug: please report it)
2  invalid input or usage (the message names file, feature, field)
3  infeasible market (the message says where and why)
4  the solver did not prove optimality, or a KKT check failed
== ==============================================================

Every error is printed as one line on stderr; nothing is written when a
command fails: outputs are computed first and written at the end, each
file atomically.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .errors import InfeasibleMarket, SolverError, ValidationError, VerificationError

__all__ = ["main", "cli"]

EXIT_OK, EXIT_BUG, EXIT_INPUT, EXIT_INFEASIBLE, EXIT_SOLVER = 0, 1, 2, 3, 4


class _Fail(click.ClickException):
    def __init__(self, message, code):
        super().__init__(message)
        self.exit_code = code

    def show(self, file=None):
        click.echo(f"netprice: error: {self.format_message()}", err=True)


def _guard(fn):
    """Turn netprice's exceptions into one-line messages with exit codes."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ValidationError as err:
            raise _Fail(str(err), EXIT_INPUT) from None
        except FileNotFoundError as err:
            raise _Fail(f"{err.filename or err}: no such file", EXIT_INPUT) from None
        except InfeasibleMarket as err:
            raise _Fail(str(err), EXIT_INFEASIBLE) from None
        except (SolverError, VerificationError) as err:
            raise _Fail(str(err), EXIT_SOLVER) from None
        except click.ClickException:
            raise
        except Exception as err:  # one line even for a bug, with the type to report
            raise _Fail(f"internal error {type(err).__name__}: {err} "
                        "(please report this with the input file)", EXIT_BUG) from None
    return wrapper


def _console():
    from rich.console import Console

    return Console(width=max(100, Console().width))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="netprice")
def cli():
    """Clear AI token-flow markets over compute sites and backbone links.

    \b
    Examples:
      netprice clear datasets/us5.geojson --mode both --map maps/us5.html
      netprice clear net.geojson --out results/ --json
    """


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--mode", type=click.Choice(["baseline", "transfer", "both"]), default="transfer",
              show_default=True, help="Token-equivalent baseline, transfer-aware, or both.")
@click.option("--map", "map_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write a self-contained HTML price map here.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Write CSV tables, PNG charts and an annotated GeoJSON into this folder.")
@click.option("--parquet", is_flag=True, help="Also write the tables as Parquet.")
@click.option("--solver", type=click.Choice(["glop", "highs", "highs-ipm"]), default="glop",
              show_default=True, help="LP solver (prices are verified with any).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary instead of tables.")
@_guard
def clear(file, mode, map_path, out, parquet, solver, as_json):
    """Clear the market of FILE (GeoJSON) and print prices and congestion.

    \b
    Examples:
      netprice clear datasets/us5.geojson
      netprice clear datasets/us5.geojson --mode both --map maps/us5.html --out out/
    """
    from . import annotate, clear_market, read_geojson

    G = read_geojson(file)
    modes = ["baseline", "transfer"] if mode == "both" else [mode]
    from rich.console import Console

    # A spinner on stderr while large networks clear; stdout stays clean for --json.
    with Console(stderr=True).status(f"clearing {file.name}") as status:
        results = {}
        for m in modes:
            status.update(f"clearing {file.name} ({m} mode, {G.number_of_nodes()} nodes)")
            results[m] = clear_market(G, mode=m, solver=solver)
    annotated = {m: annotate(G, res) for m, res in results.items()}
    outputs = {}
    if out is not None:
        outputs.update(_tables(results, annotated, out, parquet))
    if map_path is not None:
        outputs[map_path] = _map_html(annotated, modes)
    _write_all(outputs)
    _print_clear(results, file, as_json, [str(p) for p in outputs])


def _tables(results, annotated, out, parquet):
    from .io.files import parquet_bytes
    from .io.geojson import to_feature_collection

    files = {}
    for mode, res in results.items():
        suffix = f"_{mode}" if len(results) > 1 else ""
        for name in ("prices", "nodes", "links", "routes"):
            frame = getattr(res, name)
            files[out / f"{name}{suffix}.csv"] = frame.to_csv()
            if parquet:
                files[out / f"{name}{suffix}.parquet"] = parquet_bytes(frame)
        files[out / f"annotated{suffix}.geojson"] = json.dumps(
            to_feature_collection(annotated[mode]), indent=1)
    files[out / "summary.json"] = json.dumps(
        {m: {**r.summary(), "settlement": r.settlement, "checks": r.checks}
         for m, r in results.items()}, indent=2, default=float)
    files.update(_plots(results, out))
    return files


def _plots(results, out):
    """PNG charts of the results: rents and merit order per mode, modes side by side."""
    from . import plots
    from .io.files import png_bytes as png

    files = {}
    for mode, res in results.items():
        suffix = f"_{mode}" if len(results) > 1 else ""
        files[out / f"rents{suffix}.png"] = png(plots.rent_plot(res))
        files[out / f"merit_order{suffix}.png"] = png(plots.merit_order_plot(res))
    if {"baseline", "transfer"} <= set(results):
        files[out / "modes.png"] = png(plots.mode_comparison_plot(results["baseline"],
                                                                  results["transfer"]))
    return files


def _map_html(annotated, modes):
    from .maps import price_map

    main = annotated["transfer" if "transfer" in annotated else modes[0]]
    other = annotated["baseline"] if len(modes) > 1 else None
    return price_map(main, compare=other).get_root().render()


def _write_all(outputs):
    from .io.files import write_all

    write_all(outputs)


def _print_clear(results, file, as_json, written):
    from .report import price_frame, rich_table, saturated_frame, summary_frame

    if as_json:
        click.echo(json.dumps({
            "file": str(file),
            "results": {m: {**r.summary(), "settlement": r.settlement,
                            "prices": {f"{n}/{w}": p for (n, w), p in r.prices["price"].items()}}
                        for m, r in results.items()},
            "written": written,
        }, indent=2, default=lambda v: None if v != v else float(v)))
        return
    console = _console()
    console.print(rich_table(summary_frame(results), f"netprice: {file}"))
    console.print(rich_table(price_frame(results), "Locational prices ($/Mtok)"))
    sat = saturated_frame(results)
    if len(sat):
        console.print(rich_table(sat.set_index(["mode", "link"]),
                                 "Saturated links (rent in $/h per Gbit/s)"))
    else:
        console.print("No saturated links.")
    for mode, res in results.items():
        if res.truncated_routes:
            console.print(f"[yellow]{mode}: route enumeration truncated for "
                          f"{len(res.truncated_routes)} (origin, site) pairs; raise "
                          f"max_routes_per_pair for an exact answer[/yellow]")
    for path in written:
        console.print(f"wrote {path}")


@cli.command(name="compare")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--map", "map_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write a map with both modes as layers.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Write the tables of both modes into this folder.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary instead of tables.")
@click.pass_context
def compare(ctx, file, map_path, out, as_json):
    """Compare baseline and transfer-aware clearing of FILE (same as clear --mode both).

    \b
    Example:
      netprice compare datasets/us5.geojson --map maps/us5-compare.html
    """
    ctx.invoke(clear, file=file, mode="both", map_path=map_path, out=out, parquet=False,
               solver="glop", as_json=as_json)


@cli.command(name="import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="GeoJSON to write (default: FILE with the suffix .geojson).")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of the synthesised capacities, costs and demands.")
@click.option("--components", type=click.Choice(["largest", "all"]), default="largest",
              show_default=True, help="Keep the largest connected part, or all of them.")
@_guard
def import_(file, output, seed, components):
    """Import a Topology Zoo GraphML FILE as a netprice GeoJSON topology.

    Parallel links are merged, nodes without coordinates placed or dropped
    (and reported), and a market is synthesised (seeded, documented in
    docs/graphml.md) where the file has none.

    \b
    Example:
      netprice import Abilene.graphml -o abilene.geojson --seed 0
    """
    from .io.graphml import graphml_to_geojson

    output = output or file.with_suffix(".geojson")
    G = graphml_to_geojson(file, output, seed=seed, components=components)
    report = G.graph.get("import_report", {})
    click.echo(f"wrote {output}: {G.number_of_nodes()} nodes, "
               f"{G.number_of_edges() // 2} links, {len(G.graph['workloads'])} workloads")
    for key, value in report.items():
        if value:
            click.echo(f"  {key}: {value if not isinstance(value, (list, dict)) else len(value)}")


@cli.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              default=Path("out/reproduce"), show_default=True,
              help="Folder for report.md, its plots and maps.")
@_guard
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

    from .reproduce import reproduce as run_reproduce

    console = Console(stderr=True)
    with console.status("reproducing") as status:
        report = run_reproduce(out, progress=lambda text: status.update(text))
    click.echo(f"wrote {report}")


def main(argv=None):
    """Entry point of the ``netprice`` console script."""
    try:
        cli.main(args=argv, prog_name="netprice", standalone_mode=True)
    except SystemExit as exit_:
        return exit_.code
    return EXIT_OK


def _register_scenario_commands():
    # sweep and contingency live in their own module (Dask, progress, resume).
    from .cli_scenarios import register

    register(cli)


_register_scenario_commands()

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
