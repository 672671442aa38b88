"""Exceptions raised by netprice.

They subclass the standard and networkx exceptions so that existing
handlers keep working: bad input is a ``ValueError``, an infeasible market
is a ``networkx.NetworkXUnfeasible``.
"""

from __future__ import annotations

import networkx as nx

__all__ = [
    "NetpriceError",
    "ValidationError",
    "InfeasibleMarket",
    "SolverError",
    "VerificationError",
    "OutputError",
    "InputWarning",
]


class NetpriceError(Exception):
    """Base class of every error netprice raises on purpose."""


class ValidationError(NetpriceError, ValueError):
    """Input that does not satisfy the netprice graph contract or file schema.

    Attributes
    ----------
    file : str or None
        The file being read, or None for a graph built in code.
    feature : str or None
        The node id, link id or feature index the problem is in.
    field : str or None
        The property or graph attribute at fault.
    problem : str
        What is wrong.
    fix : str or None
        What would fix it.
    """

    def __init__(self, problem, *, file=None, feature=None, field=None, fix=None):
        self.file = None if file is None else str(file)
        self.feature = feature
        self.field = field
        self.problem = problem
        self.fix = fix
        super().__init__(self._format())

    def _format(self) -> str:
        where = []
        if self.file is not None:
            where.append(self.file)
        if self.feature is not None:
            where.append(f"feature {self.feature}")
        if self.field is not None:
            where.append(f"field '{self.field}'")
        text = ": ".join([", ".join(where), self.problem]) if where else self.problem
        if self.fix:
            text += f" ({self.fix})"
        return text

    def in_file(self, file) -> "ValidationError":
        """Return the same error attributed to ``file`` (used by readers)."""
        return ValidationError(
            self.problem, file=file, feature=self.feature, field=self.field, fix=self.fix
        )


class InfeasibleMarket(NetpriceError, nx.NetworkXUnfeasible):
    """No dispatch meets every demand within the latency and capacity limits.

    Attributes
    ----------
    diagnosis : netprice.diagnose.Diagnosis
        Where and why: pairs without an admissible route, or unmet demand by
        place and the binding capacities from an elastic re-solve.
    """

    def __init__(self, diagnosis):
        self.diagnosis = diagnosis
        super().__init__(diagnosis.summary())


class SolverError(NetpriceError, RuntimeError):
    """The LP solver stopped without a proven optimum; no prices are given.

    Attributes
    ----------
    status : str
        The solver's termination status (e.g. ``"FEASIBLE"`` after a time limit).
    """

    def __init__(self, status, message=""):
        self.status = status
        super().__init__(
            f"solver stopped with status {status}: no prices are reported"
            + (f" ({message})" if message else "")
        )


class VerificationError(NetpriceError, ArithmeticError):
    """A solution failed a Karush-Kuhn-Tucker check; its prices are not to be trusted.

    Attributes
    ----------
    checks : dict
        Name of each check -> (worst violation, tolerance).
    """

    def __init__(self, checks, failed):
        self.checks = checks
        self.failed = failed
        detail = "; ".join(
            f"{name}: violation {checks[name][0]:.3g} > tolerance {checks[name][1]:.1g}"
            for name in failed
        )
        super().__init__(f"KKT verification failed: {detail}")


class OutputError(NetpriceError, OSError):
    """An output file or folder cannot be written: the user's path and the system's reason.

    Attributes
    ----------
    path : str
        The path the user asked for (never a temporary file).
    reason : str
        Why not, in the operating system's words ("Permission denied" ...).
    """

    def __init__(self, path, reason, errno=None):
        self.path = str(path)
        self.reason = reason
        super().__init__(errno, f"{self.path}: cannot write: {reason}")
        self.filename = self.path

    def __str__(self):
        return f"{self.path}: cannot write: {self.reason}"


class InputWarning(UserWarning):
    """Input that is legitimate but may not mean what it says (a site with no cost ...).

    The command line prints each as one line, ``netprice: warning: ...``.
    """
