"""``netprice sweep`` and ``netprice contingency``: scenario work, serially or on Dask.

Both run serially by default, on a local Dask cluster with ``--workers N``
or on a running Dask scheduler with ``--scheduler tcp://HOST:PORT``; the
tables are the same in all three.  With ``--out DIR`` every finished
scenario is kept in ``DIR/parts/`` as it arrives, so an interrupted run
resumes where it stopped when rerun with the same arguments.  Exit codes
are those of :mod:`netprice.cli.common`.
"""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import OutputError
from .common import (
    EXIT_INPUT,
    EXIT_INTERRUPTED,
    CommandError,
    console,
    guard,
    rows_option,
    seed_option,
    where_the_rest_is,
)

__all__ = ["sweep_command", "contingency_command"]


def _executor_options(fn):
    """Options shared by both commands: executor, output, resume, reuse, progress."""
    options = [
        click.option("--workers", type=click.IntRange(min=1), default=None,
                     help="Run on a local Dask cluster of N single-threaded worker processes."),
        click.option("--scheduler", metavar="tcp://HOST:PORT", default=None,
                     help="Run on an existing Dask scheduler (start one with `dask scheduler` "
                          "and workers with `dask worker tcp://HOST:PORT`)."),
        click.option("--out", type=click.Path(file_okay=False, path_type=Path),
                     help="Write the tables (CSV and Parquet) here; finished scenarios are kept "
                          "in OUT/parts/ as they arrive."),
        click.option("--resume/--no-resume", default=True, show_default=True,
                     help="Skip scenarios a previous run into --out finished."),
        click.option("--reuse/--no-reuse", default=True, show_default=True,
                     help="Build the base LP once and re-solve each scenario from it "
                          "(warm-started GLOP); --no-reuse clears each from scratch."),
        click.option("--progress/--no-progress", default=True, show_default=True,
                     help="Show a progress bar while scenarios run."),
        click.option("--solver", type=click.Choice(["glop", "highs", "highs-ipm"]),
                     default="glop", show_default=True, help="LP solver."),
        click.option("--mode", type=click.Choice(["baseline", "transfer"]), default="transfer",
                     show_default=True, help="Token-equivalent baseline or transfer-aware."),
        seed_option,
        click.option("--json", "as_json", is_flag=True,
                     help="Print the per-scenario table as JSON (for scripts) instead."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _check_executor(workers, scheduler):
    if workers is not None and scheduler is not None:
        raise click.UsageError("give --workers or --scheduler, not both")


def _parse_values(text):
    """``15,25,50`` or ``none`` or ``START:STOP:COUNT`` (evenly spaced, ends included)."""
    import numpy as np

    values = []
    for position, part in enumerate(p.strip() for p in text.split(",")):
        if not part:
            # "100,,15" is a slip, not a wish for two scenarios
            raise click.BadParameter(f"value {position + 1} of {text!r} is empty; give a "
                                     "number, 'none' or START:STOP:COUNT between every two "
                                     "commas", param_hint="--values")
        if part.lower() in ("none", "null"):
            values.append(None)
        elif part.count(":") == 2:
            start, stop, count = part.split(":")
            try:
                values.extend(float(v) for v in np.linspace(float(start), float(stop), int(count)))
            except ValueError:
                raise click.BadParameter(f"{part!r} is not START:STOP:COUNT (two numbers and a "
                                         "whole count)", param_hint="--values") from None
        else:
            try:
                number = float(part)
            except ValueError:
                raise click.BadParameter(f"{part!r} is not a number, 'none' or "
                                         "START:STOP:COUNT", param_hint="--values") from None
            values.append(int(number) if number.is_integer() and "." not in part
                          and "e" not in part.lower() else number)
    if not values:
        raise click.BadParameter("give at least one value", param_hint="--values")
    return values


def _run(fn, *, out, dask):
    """Run a scenario study, turning executor and store problems into input errors.

    ``dask``: whether the run uses Dask (``--workers`` or ``--scheduler``),
    the only case where a connection error can mean a scheduler that is
    not there.  Ctrl-C ends the run with exit 130, saying what is kept.
    """
    from ..store import StoreMismatch

    try:
        return fn()
    except (StoreMismatch, ImportError) as err:
        raise CommandError(str(err), EXIT_INPUT) from None
    except KeyboardInterrupt:
        raise CommandError(_interrupted(out), EXIT_INTERRUPTED) from None
    except (OSError, TimeoutError) as err:
        # A file that cannot be written is the user's path (the guard says
        # which); only a connection that fails is Dask's.
        if not dask or getattr(err, "filename", None) is not None \
                or isinstance(err, OutputError):
            raise
        raise CommandError(f"cannot run on Dask: {type(err).__name__}: {err} (is the scheduler "
                           "running and reachable? see docs/scenarios.md)", EXIT_INPUT) from None


def _interrupted(out) -> str:
    if out is None:
        return ("interrupted; nothing was written (with --out DIR, finished scenarios are kept "
                "and the same command resumes)")
    results = Path(out) / "parts" / "results.jsonl"
    try:
        with open(results, "rb") as handle:
            kept = sum(1 for line in handle if line.endswith(b"\n"))
    except OSError:
        kept = 0
    if kept == 0:
        return "interrupted before any scenario finished; nothing was written"
    return (f"interrupted; the {kept} finished scenario(s) are kept in {results.parent}, and "
            "the same command resumes from there")


def _fmt(value, spec):
    try:
        value = float(value)
    except (TypeError, ValueError):
        return "-"
    if value != value:
        return "-"
    if spec.endswith("f"):  # no "-0.00" for a change that rounds to nothing
        value = round(value, int(spec.rsplit(".", 1)[1][:-1])) + 0.0
    return format(value, spec)


def _counts(counts):
    return ", ".join(f"{v} {k.lower()}" for k, v in counts.items())


def _print_table(frame, title, note, *, first="scenario", note_failures=True, rows=None,
                 rest=None):
    """Scenario rows as a compact rich table; reasons of failed scenarios below it."""
    import pandas as pd

    from ..report import print_table

    def where(row):
        node = row["max_change_node"]
        return "-" if node is None or node != node else f"{node}/{row['max_change_workload']}"

    shown = pd.DataFrame({
        first: frame[first].astype(str),
        "status": frame["status"],
        "Δcost $/h": [_fmt(v, "+,.2f") for v in frame["cost_change"]],
        "Δcost %": [_fmt(v, "+.2f") for v in frame["cost_change_pct"]],
        "max Δprice": [_fmt(v, "+.4g") for v in frame["max_price_change"]],
        "at": [where(row) for _, row in frame.iterrows()],
        "new sat.": [_fmt(v, ".0f") for v in frame["newly_saturated"]],
    })
    if "rank" in frame:
        shown.insert(0, "#", frame["rank"].astype(str))
    out = console()
    print_table(out, shown, title, index=False, max_rows=rows, rest=rest)
    out.print(note, soft_wrap=True)
    if note_failures:
        failed = frame[frame["status"] != "OPTIMAL"]
        for row in failed.head(5).itertuples():
            out.print(f"[red]{row.status.lower()}[/red] {getattr(row, first)}: {row.reason}",
                          soft_wrap=True)
        if len(failed) > 5:
            out.print(f"... and {len(failed) - 5} more not optimal (see the tables)")


def _print_json(file, frame, written):
    import json

    records = json.loads(frame.to_json(orient="records", default_handler=str))
    click.echo(json.dumps({"file": str(file), "scenarios": records, "written": written},
                          indent=2))


@click.command("sweep")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--param", "parameter", required=True, metavar="PARAMETER",
              help="What to vary, e.g. latency_ms:chat, demand_scale, capacity_scale, "
                   "bandwidth:LINK, outage:LINK (see netprice.scenarios).")
@click.option("--values", required=True, metavar="V1,V2,...",
              help="Values to try: numbers, 'none' (no limit), or START:STOP:COUNT.")
@_executor_options
@rows_option
@guard
def sweep_command(file, parameter, values, workers, scheduler, out, resume, reuse, progress,
                  solver, mode, seed, as_json, rows):
    """Clear FILE once per value of a parameter; tabulate prices and costs.

    FILE is a netprice GeoJSON (or a Topology Zoo GraphML, synthesised with
    --seed).  Each value is one scenario; an infeasible one is recorded
    with its diagnosis.  With --out: sweep.csv/.parquet (prices per
    scenario, node and workload) and sweep_summary.csv/.parquet (one row per
    scenario: status, cost and its change, the largest price change and
    where, newly saturated links).

    \b
    Examples:
      netprice sweep datasets/us5.geojson --param latency_ms:chat --values 100,50,25,15
      netprice sweep datasets/us20.geojson --param demand_scale --values 0.5:2:7 \\
          --workers 2 --out out/demand
      netprice sweep net.geojson --param capacity_scale --values 0.8,1.2 \\
          --scheduler tcp://10.0.0.5:8786 --out out/capacity
    """
    from ..io.files import check_writable, table_files, write_all
    from ..io.read import read_network
    from ..scenarios import apply_parameter
    from ..sweep import run_scenarios, scenarios_for

    _check_executor(workers, scheduler)
    points = _parse_values(values)
    check_writable(folders=[out])
    G = read_network(file, seed=seed)
    try:
        apply_parameter(G, parameter, points[0])  # a misspelt parameter fails here, once
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="--param") from None
    tables = _run(lambda: run_scenarios(
        G, scenarios_for(parameter, points), mode=mode, workers=workers, scheduler=scheduler,
        out=out, resume=resume, progress=progress, reuse=reuse, prices="all",
        description=f"sweeping {parameter}", kind="sweep", solver=solver),
        out=out, dask=workers is not None or scheduler is not None)
    written = []
    if out is not None:
        files = table_files({"sweep": tables.prices, "sweep_summary": tables.summary}, out)
        written = [str(p) for p in write_all(files)]
    if as_json:
        _print_json(file, tables.summary, written)
        return
    counts = tables.summary["status"].value_counts().to_dict()
    _print_table(tables.summary, f"netprice sweep: {file.name} ({parameter})",
                 f"{len(tables.summary)} scenarios ({_counts(counts)}); changes against "
                 f"{file.name} as it is; prices in $/Mtok", rows=rows,
                 rest=where_the_rest_is(out))
    for path in written:
        click.echo(f"wrote {path}")


@click.command("contingency")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--elements", type=click.Choice(["all", "links", "sites"]), default="all",
              show_default=True, help="Take out links, compute sites, or both, one at a time.")
@click.option("--top", type=click.IntRange(min=1), default=20, show_default=True,
              help="Outages shown in the printed table and the ranking plot.")
@click.option("--plot/--no-plot", default=True, show_default=True,
              help="With --out: write contingency_ranking.png.")
@click.option("--map/--no-map", "draw_map", default=True, show_default=True,
              help="With --out: write worst_outage.html, the worst outage's price map.")
@_executor_options
@guard
def contingency_command(file, elements, top, plot, draw_map, workers, scheduler, out, resume,
                        reuse, progress, solver, mode, seed, as_json):
    """N-1 contingency of FILE: each link and each compute site out in turn.

    A link outage removes the link (both directions); a site outage sets
    its compute capacity to 0 (its demand stays).  Outages are ranked by
    the largest price change they cause; those that leave demand unservable
    are recorded with their diagnosis and ranked first.  With --out:
    contingency.csv/.parquet (one row per outage, ranked),
    contingency_prices.csv/.parquet (every price that moved),
    contingency_ranking.png and worst_outage.html.

    \b
    Examples:
      netprice contingency datasets/us20.geojson --workers 2 --out out/us20-n1
      netprice contingency net.geojson --elements links --scheduler tcp://10.0.0.5:8786
      netprice contingency Cogentco.graphml --seed 0 --workers 2 --out out/cogent
    """
    from ..contingency import contingency_outputs, run_contingency
    from ..io.files import check_writable, write_all
    from ..io.read import read_network

    _check_executor(workers, scheduler)
    check_writable(folders=[out])
    G = read_network(file, seed=seed)
    # Tables, plot and map are written here at the end, together (write=False).
    result = _run(lambda: run_contingency(
        G, mode=mode, elements=elements, workers=workers, scheduler=scheduler, out=out,
        resume=resume, progress=progress, reuse=reuse, write=False, solver=solver),
        out=out, dask=workers is not None or scheduler is not None)
    ranking = result.ranking
    written = []
    if out is not None:
        files = contingency_outputs(G, result, out, top=top, plot=plot, map=draw_map,
                                    mode=mode, solver=solver)
        written = [str(p) for p in write_all(files)]
    if as_json:
        _print_json(file, ranking, written)
        return
    counts = ranking["status"].value_counts().to_dict()
    _print_table(ranking.head(top), f"netprice contingency: {file.name}",
                 f"{len(ranking)} outages ({_counts(counts)}), worst first; changes against the "
                 "intact network; prices in $/Mtok", first="scenario")
    for path in written:
        click.echo(f"wrote {path}")
