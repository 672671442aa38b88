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

import functools

import click

from ..errors import InfeasibleMarket, SolverError, ValidationError, VerificationError

__all__ = ["EXIT_OK", "EXIT_BUG", "EXIT_INPUT", "EXIT_INFEASIBLE", "EXIT_SOLVER",
           "CommandError", "guard", "console", "seed_option"]

EXIT_OK, EXIT_BUG, EXIT_INPUT, EXIT_INFEASIBLE, EXIT_SOLVER = 0, 1, 2, 3, 4


class CommandError(click.ClickException):
    """A failed command: one line on stderr and the exit code given."""

    def __init__(self, message, code):
        super().__init__(message)
        self.exit_code = code

    def show(self, file=None):
        click.echo(f"netprice: error: {self.format_message()}", err=True)


def guard(fn):
    """Turn netprice's exceptions into one-line messages with exit codes."""

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
        except click.ClickException:
            raise
        except Exception as err:  # one line even for a bug, with the type to report
            raise CommandError(f"internal error {type(err).__name__}: {err} "
                               "(please report this with the input file)", EXIT_BUG) from None
    return wrapper


def console():
    """A rich console on stdout, at least 100 columns wide so tables do not wrap."""
    from rich.console import Console

    return Console(width=max(100, Console().width))


#: ``--seed``: every command that reads FILE with :func:`netprice.io.read.read_network`.
seed_option = click.option("--seed", type=int, default=0, show_default=True,
                           help="Seed of the synthesised market when FILE is GraphML.")
