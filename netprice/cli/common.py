"""What every ``netprice`` command shares: exit codes, the error guard, the console.

Exit codes (documented in README.md):

== ==============================================================
0  success
1  unexpected internal error (a bug: please report it)
2  invalid input or usage (the message names file, feature, field)
3  infeasible market (the message says where and why)
4  the solver did not prove optimality, or a KKT check failed
== ==============================================================
"""

from __future__ import annotations

import contextlib
import functools
import os
import stat
import sys
import warnings

import click

from ..errors import (
    InfeasibleMarket,
    OutputError,
    SolverError,
    ValidationError,
    VerificationError,
)

__all__ = ["EXIT_OK", "EXIT_BUG", "EXIT_INPUT", "EXIT_INFEASIBLE", "EXIT_SOLVER",
           "EXIT_INTERRUPTED", "CommandError", "guard", "run", "console", "seed_option",
           "rows_option", "where_the_rest_is", "json_summary"]

EXIT_OK, EXIT_BUG, EXIT_INPUT, EXIT_INFEASIBLE, EXIT_SOLVER = 0, 1, 2, 3, 4
#: Ctrl-C: 128 + SIGINT, as shells report a command the signal stopped.
EXIT_INTERRUPTED = 130


class CommandError(click.ClickException):
    """A failed command: one line on stderr and the exit code given."""

    def __init__(self, message, code):
        super().__init__(message)
        self.exit_code = code

    def show(self, file=None):
        click.echo(f"netprice: error: {self.format_message()}", err=True)


def guard(fn):
    """Turn netprice's exceptions into one-line messages with exit codes.

    Input the user can fix (a bad file, a path that cannot be written) is
    exit 2; a closed stdout (``netprice clear ... | head``) is not an
    error; Ctrl-C is exit 130; anything else is a bug (exit 1).
    """

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ValidationError as err:
            raise CommandError(str(err), EXIT_INPUT) from None
        except FileNotFoundError as err:
            raise CommandError(f"{err.filename or err}: no such file", EXIT_INPUT) from None
        except InfeasibleMarket as err:
            raise CommandError(str(err), EXIT_INFEASIBLE) from None
        except (SolverError, VerificationError) as err:
            raise CommandError(str(err), EXIT_SOLVER) from None
        except (click.ClickException, click.exceptions.Exit):
            raise
        except OutputError as err:
            raise CommandError(str(err), EXIT_INPUT) from None
        except BrokenPipeError:
            if not _stdout_is_closed_pipe():
                raise CommandError("internal error BrokenPipeError (please report this with "
                                   "the input file)", EXIT_BUG) from None
            _quiet_stdout()
            raise click.exceptions.Exit(EXIT_OK) from None
        except OSError as err:
            if err.filename is None:
                raise CommandError(f"internal error {type(err).__name__}: {err} (please report "
                                   "this with the input file)", EXIT_BUG) from None
            raise CommandError(f"{err.filename}: {err.strerror or err}", EXIT_INPUT) from None
        except KeyboardInterrupt:
            raise CommandError("interrupted; nothing was written", EXIT_INTERRUPTED) from None
        except Exception as err:  # one line even for a bug, with the type to report
            raise CommandError(f"internal error {type(err).__name__}: {err} "
                               "(please report this with the input file)", EXIT_BUG) from None
    return wrapper


def _stdout_is_closed_pipe() -> bool:
    try:
        return stat.S_ISFIFO(os.fstat(sys.stdout.fileno()).st_mode)
    except (OSError, ValueError, AttributeError):
        return False


def _quiet_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's last flush does not fail again."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


class _WarningLines:
    """Shows each warning once, as one line without a source path.

    The user can act on the message, not on the line of netprice that
    noticed it; the same message from two places (two charts with the same
    missing glyph) is one line.
    """

    def __init__(self):
        self.shown = set()

    def __call__(self, message, category, filename, lineno, file=None, line=None):
        text = " ".join(str(message).split())
        if text not in self.shown:
            self.shown.add(text)
            click.echo(f"netprice: warning: {text}", err=True)


def _usage_line(err: click.UsageError) -> str:
    """A usage error in one line, with where to read the usage."""
    ctx = err.ctx
    where = f"{ctx.command_path}: " if ctx is not None else ""
    helps = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
    return f"{where}{' '.join(err.format_message().split())}{helps}"


# click 8.2 raises this for a group called with nothing to do (older ones print the help)
_NO_ARGS_IS_HELP = getattr(click.exceptions, "NoArgsIsHelpError", ())


def run(group, argv=None) -> int:
    """Run a click group as ``netprice`` does; return the exit code.

    Errors are one line (usage errors too, not click's four), warnings one
    line each, and Ctrl-C outside a command exits 130.
    """
    with warnings.catch_warnings():
        warnings.showwarning = _WarningLines()
        try:
            # without standalone mode click returns the code of an Exit (--help, --version,
            # a closed pipe) and a command's own return value, None
            code = group.main(args=argv, prog_name="netprice", standalone_mode=False)
        except _NO_ARGS_IS_HELP as err:  # `netprice` alone: the help, as asked
            err.show()
            return err.exit_code
        except click.UsageError as err:
            click.echo(f"netprice: error: {_usage_line(err)}", err=True)
            return EXIT_INPUT
        except click.ClickException as err:
            err.show()
            return err.exit_code
        except click.Abort:  # Ctrl-C before a command started, while click parsed
            click.echo("netprice: error: interrupted", err=True)
            return EXIT_INTERRUPTED
        except BrokenPipeError:
            _quiet_stdout()
            return EXIT_OK
    return code if isinstance(code, int) else EXIT_OK

def console():
    """A rich console on stdout, at least 100 columns wide so tables do not wrap.

    A closed pipe raises BrokenPipeError, for :func:`guard` to end the
    command quietly; rich would exit with 1 on its own.
    """
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self):
            raise BrokenPipeError(32, "Broken pipe")

    return _Console(width=max(100, Console().width))


#: ``--seed``: every command that reads FILE with :func:`netprice.io.read.read_network`.
seed_option = click.option("--seed", type=int, default=0, show_default=True,
                           help="Seed of the synthesised market when FILE is GraphML.")

#: ``--rows``: how much of a long table the terminal shows (the files hold all of it).
rows_option = click.option("--rows", type=click.IntRange(min=0), default=25, show_default=True,
                           help="Rows of each table printed (0: all); files written with "
                                "--out hold every row.")


def where_the_rest_is(out) -> str:
    """What a terminal table cut to ``--rows`` says about the rows it leaves out."""
    if out is not None:
        return f"the tables in {out} hold every row"
    return "--out DIR writes every row; --rows 0 prints them all"


def json_summary(document) -> str:
    """``--json`` output: NaN as null (JSON has no NaN), numpy numbers as floats."""
    import json

    return json.dumps(document, indent=2, default=lambda v: None if v != v else float(v))
