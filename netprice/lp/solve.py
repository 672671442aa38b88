"""Solve a built LP with OR-Tools GLOP (default) or HiGHS through highspy.

Only a proven optimum yields a :class:`LPSolution` with duals; every other
termination (time or iteration limit, numerical trouble, unbounded) raises
:class:`~netprice.errors.SolverError`, and infeasibility is returned as a
status for the caller to diagnose.  Solver traps measured on this machine
(SOLVERS.md): a stopped GLOP solve still returns full-length dual arrays of
meaningless numbers, so the status is checked before anything is read; the
HiGHS backend *inside* OR-Tools returns row activities as duals, so HiGHS is
reached through highspy instead.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ..errors import SolverError

__all__ = ["LPSolution", "solve_lp", "SOLVERS"]

SOLVERS = ("glop", "highs", "highs-ipm")

# GLOP's defaults are 1e-8; LP units are of order one (see scaling.py), so
# these are absolute and leave verify() a margin.
GLOP_PARAMETERS = "primal_feasibility_tolerance:1e-9 dual_feasibility_tolerance:1e-9"


@dataclass
class LPSolution:
    status: str           # "OPTIMAL" or "INFEASIBLE"
    x: np.ndarray | None
    y: np.ndarray | None
    objective: float | None
    solver: str
    solve_seconds: float


def solve_lp(lp, *, solver="glop", time_limit=None, iteration_limit=None) -> LPSolution:
    """Solve ``lp`` (a :class:`~netprice.lp.build.LPModel`) to a proven optimum.

    Parameters
    ----------
    solver : {"glop", "highs", "highs-ipm"}
        GLOP primal simplex (OR-Tools), HiGHS dual simplex, or HiGHS interior
        point with crossover (fastest on large instances; needs ``highspy``).
    time_limit : float, optional
        Seconds; a solve stopped by it raises SolverError, never gives prices.
    iteration_limit : int, optional
        Simplex iterations; a solve stopped by it raises SolverError too.

    Returns
    -------
    LPSolution
        With status ``"OPTIMAL"`` (x, y, objective set) or ``"INFEASIBLE"``.
    """
    if solver not in SOLVERS:
        raise ValueError(f"solver must be one of {SOLVERS}, got {solver!r}")
    if lp.matrix.shape[1] == 0:
        # Nothing to choose: feasible only if every row admits zero activity.
        feasible = np.all(lp.row_lower <= 0) and np.all(lp.row_upper >= 0)
        if not feasible:
            return LPSolution("INFEASIBLE", None, None, None, solver, 0.0)
        return LPSolution("OPTIMAL", np.zeros(0), np.zeros(lp.matrix.shape[0]), 0.0, solver, 0.0)
    if solver == "glop":
        return _solve_glop(lp, time_limit, iteration_limit)
    return _solve_highs(lp, time_limit, iteration_limit, ipm=solver == "highs-ipm")


def _solve_glop(lp, time_limit, iteration_limit):
    from ortools.linear_solver.python import model_builder_helper as mbh

    model = mbh.ModelBuilderHelper()
    n_cols = lp.matrix.shape[1]
    model.fill_model_from_sparse_data(
        np.zeros(n_cols), np.full(n_cols, np.inf), lp.cost,
        lp.row_lower, lp.row_upper, lp.matrix)
    engine = mbh.ModelSolverHelper("glop")
    parameters = GLOP_PARAMETERS
    if iteration_limit is not None:
        parameters += f" max_number_of_iterations:{int(iteration_limit)}"
    engine.set_solver_specific_parameters(parameters)
    if time_limit is not None:
        engine.set_time_limit_in_seconds(float(time_limit))
    start = time.perf_counter()
    engine.solve(model)
    seconds = time.perf_counter() - start
    status = engine.status().name
    if status == "OPTIMAL":
        return LPSolution("OPTIMAL", np.asarray(engine.variable_values()),
                          np.asarray(engine.dual_values()), engine.objective_value(),
                          "glop", seconds)
    if status == "INFEASIBLE":
        # GLOP with presolve reports unbounded LPs as infeasible too; this LP
        # has non-negative costs and variables, so it cannot be unbounded.
        return LPSolution("INFEASIBLE", None, None, None, "glop", seconds)
    raise SolverError(status, _explain(status, time_limit, iteration_limit))


def _explain(status, time_limit, iteration_limit):
    limits = []
    if time_limit is not None:
        limits.append(f"time_limit={time_limit} s")
    if iteration_limit is not None:
        limits.append(f"iteration_limit={iteration_limit}")
    if status in ("FEASIBLE", "NOT_SOLVED", "Time limit reached", "Iteration limit reached") \
            and limits:
        return f"stopped by a limit ({', '.join(limits)}); raise it"
    return "the solution is not proven optimal"


def _quiet_highs(highspy):
    """A Highs instance, without the banner its constructor prints on the C stdout.

    The banner would land in the middle of ``netprice clear --json`` output.
    """
    import os
    import sys

    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            h = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    h.setOptionValue("output_flag", False)
    return h


def _solve_highs(lp, time_limit, iteration_limit, *, ipm):
    try:
        import highspy
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("solver='highs' needs highspy: pip install 'netprice[highs]'") from None
    h = _quiet_highs(highspy)
    if ipm:
        h.setOptionValue("solver", "ipm")
        h.setOptionValue("run_crossover", "on")
    else:
        h.setOptionValue("solver", "simplex")
    if time_limit is not None:
        h.setOptionValue("time_limit", float(time_limit))
    if iteration_limit is not None:
        h.setOptionValue("simplex_iteration_limit", int(iteration_limit))
        h.setOptionValue("ipm_iteration_limit", int(iteration_limit))
    csc = lp.matrix.tocsc()
    model = highspy.HighsLp()
    model.num_col_ = csc.shape[1]
    model.num_row_ = csc.shape[0]
    model.col_cost_ = lp.cost
    model.col_lower_ = np.zeros(csc.shape[1])
    model.col_upper_ = np.full(csc.shape[1], highspy.kHighsInf)
    model.row_lower_ = np.where(np.isfinite(lp.row_lower), lp.row_lower, -highspy.kHighsInf)
    model.row_upper_ = np.where(np.isfinite(lp.row_upper), lp.row_upper, highspy.kHighsInf)
    model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    model.a_matrix_.start_ = csc.indptr
    model.a_matrix_.index_ = csc.indices
    model.a_matrix_.value_ = csc.data
    h.passModel(model)
    start = time.perf_counter()
    h.run()
    seconds = time.perf_counter() - start
    status = h.modelStatusToString(h.getModelStatus())
    name = "highs-ipm" if ipm else "highs"
    if status == "Optimal":
        solution = h.getSolution()
        return LPSolution("OPTIMAL", np.asarray(solution.col_value),
                          np.asarray(solution.row_dual),
                          h.getInfo().objective_function_value, name, seconds)
    if status == "Infeasible":
        return LPSolution("INFEASIBLE", None, None, None, name, seconds)
    raise SolverError(status, _explain(status, time_limit, iteration_limit))
