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

__all__ = ["LPSolution", "solve_lp", "GlopSession", "IncrementalSolver", "SOLVERS"]

SOLVERS = ("glop", "highs", "highs-ipm")

# GLOP's defaults are 1e-8; LP units are of order one (see scaling.py), so
# these are absolute and leave verify() a margin.
GLOP_TOLERANCE = 1e-9
GLOP_PARAMETERS = (f"primal_feasibility_tolerance:{GLOP_TOLERANCE:g} "
                   f"dual_feasibility_tolerance:{GLOP_TOLERANCE:g}")


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
        np.zeros(n_cols), lp.col_upper, lp.cost,
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
    if status in ("FEASIBLE", "NOT_SOLVED", "Time limit reached", "Iteration limit reached",
                  "NO_SOLUTION_FOUND", "FEASIBLE_LIMIT", "LIMIT") and limits:
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
    model.col_upper_ = np.where(np.isfinite(lp.col_upper), lp.col_upper, highspy.kHighsInf)
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


class GlopSession:
    """An LP held by GLOP in OR-Tools MathOpt, updated in place between solves.

    What :func:`solve_lp` cannot do: change bounds and costs and re-solve
    warm-started from a basis (scenarios), without rebuilding the model.
    One session belongs to one thread (the solver is not thread-safe).
    """

    def __init__(self, lp):
        from ortools.math_opt import model_pb2, parameters_pb2
        from ortools.math_opt.core.python import solver as core

        n_rows, n_cols = lp.matrix.shape
        model = model_pb2.ModelProto()
        model.variables.ids[:] = range(n_cols)
        model.variables.lower_bounds[:] = np.zeros(n_cols).tolist()
        model.variables.upper_bounds[:] = lp.col_upper.tolist()
        model.variables.integers[:] = [False] * n_cols
        nonzero = np.flatnonzero(lp.cost)
        model.objective.linear_coefficients.ids[:] = nonzero.tolist()
        model.objective.linear_coefficients.values[:] = lp.cost[nonzero].tolist()
        model.linear_constraints.ids[:] = range(n_rows)
        model.linear_constraints.lower_bounds[:] = lp.row_lower.tolist()
        model.linear_constraints.upper_bounds[:] = lp.row_upper.tolist()
        matrix = lp.matrix.tocsr()
        matrix.sort_indices()
        rows = np.repeat(np.arange(n_rows), np.diff(matrix.indptr))
        model.linear_constraint_matrix.row_ids[:] = rows.tolist()
        model.linear_constraint_matrix.column_ids[:] = matrix.indices.tolist()
        model.linear_constraint_matrix.coefficients[:] = matrix.data.tolist()
        self._solver = core.new(parameters_pb2.SOLVER_TYPE_GLOP, model,
                                parameters_pb2.SolverInitializerProto())
        self._lower = lp.row_lower.copy()
        self._upper = lp.row_upper.copy()
        self._cost = lp.cost.copy()
        self._var_upper = lp.col_upper.copy()
        # MathOpt never reuses a deleted variable's id: column j of the LP is
        # variable _var_ids[j].
        self._var_ids = np.arange(n_cols, dtype=np.int64)
        self._next_id = n_cols

    @property
    def n_columns(self) -> int:
        return len(self._var_ids)

    def _update(self, lower, upper, cost, var_upper):
        from ortools.math_opt import model_update_pb2

        update = model_update_pb2.ModelUpdateProto()
        changed = False
        for new, old, field in ((lower, self._lower, update.linear_constraint_updates.lower_bounds),
                                (upper, self._upper, update.linear_constraint_updates.upper_bounds),
                                (cost, self._cost, update.objective_updates.linear_coefficients),
                                (var_upper, self._var_upper, update.variable_updates.upper_bounds)):
            ids = np.flatnonzero(new != old)
            if len(ids):
                is_column = field is not update.linear_constraint_updates.lower_bounds and \
                    field is not update.linear_constraint_updates.upper_bounds
                field.ids[:] = (self._var_ids[ids] if is_column else ids).tolist()
                field.values[:] = new[ids].tolist()
                old[ids] = new[ids]
                changed = True
        if changed and not self._solver.update(update):  # pragma: no cover - GLOP takes these
            raise SolverError("UPDATE_REJECTED", "MathOpt could not update the GLOP model")

    def add_columns(self, lp, ids):
        """Add the columns ``ids`` of ``lp`` (appended after this session's) to the model."""
        from ortools.math_opt import model_update_pb2

        ids = np.asarray(ids, dtype=np.int64)
        if not len(ids):
            return
        var_ids = np.arange(self._next_id, self._next_id + len(ids), dtype=np.int64)
        update = model_update_pb2.ModelUpdateProto()
        update.new_variables.ids[:] = var_ids.tolist()
        update.new_variables.lower_bounds[:] = [0.0] * len(ids)
        update.new_variables.upper_bounds[:] = lp.col_upper[ids].tolist()
        update.new_variables.integers[:] = [False] * len(ids)
        nonzero = np.flatnonzero(lp.cost[ids] != 0)
        update.objective_updates.linear_coefficients.ids[:] = var_ids[nonzero].tolist()
        update.objective_updates.linear_coefficients.values[:] = lp.cost[ids[nonzero]].tolist()
        block = lp.matrix[:, ids].tocoo()
        # MathOpt wants matrix entries in row-major order.
        order = np.lexsort((block.col, block.row))
        entries = update.linear_constraint_matrix_updates
        entries.row_ids[:] = block.row[order].tolist()
        entries.column_ids[:] = var_ids[block.col][order].tolist()
        entries.coefficients[:] = block.data[order].tolist()
        if not self._solver.update(update):  # pragma: no cover - GLOP takes these
            raise SolverError("UPDATE_REJECTED", "MathOpt could not add columns to the GLOP model")
        self._cost = np.concatenate([self._cost, lp.cost[ids]])
        self._var_upper = np.concatenate([self._var_upper, lp.col_upper[ids]])
        self._var_ids = np.concatenate([self._var_ids, var_ids])
        self._next_id += len(ids)

    def _columns(self, sparse):
        """A MathOpt sparse vector keyed by variable id, in column order."""
        by_id = np.zeros(self._next_id)
        if len(sparse.ids):
            by_id[np.asarray(sparse.ids, dtype=np.int64)] = np.asarray(sparse.values, dtype=float)
        return by_id[self._var_ids]

    def truncate(self, n_columns):
        """Delete every column after the first ``n_columns`` (a scenario's generated ones)."""
        from ortools.math_opt import model_update_pb2

        if n_columns >= self.n_columns:
            return
        update = model_update_pb2.ModelUpdateProto()
        update.deleted_variable_ids[:] = self._var_ids[n_columns:].tolist()
        if not self._solver.update(update):  # pragma: no cover - GLOP takes these
            raise SolverError("UPDATE_REJECTED", "MathOpt could not delete GLOP columns")
        self._cost = self._cost[:n_columns]
        self._var_upper = self._var_upper[:n_columns]
        self._var_ids = self._var_ids[:n_columns]

    def extend_basis(self, basis, n_new):
        """``basis`` with this session's last ``n_new`` columns non-basic at their lower bound."""
        from ortools.math_opt import solution_pb2

        proto = solution_pb2.BasisProto.FromString(basis)
        status = proto.variable_status
        status.ids.extend(self._var_ids[-n_new:].tolist() if n_new else [])
        status.values.extend([solution_pb2.BASIS_STATUS_AT_LOWER_BOUND] * n_new)
        return proto.SerializeToString()

    def solve(self, lower=None, upper=None, cost=None, var_upper=None, *, basis=None,
              time_limit=None, iteration_limit=None, algorithm="dual"):
        """Solve with these bounds and costs (None: as they are); ``basis`` warm-starts it.

        ``basis`` is a serialized BasisProto.  From a basis, ``algorithm``
        "dual" suits changed right-hand sides (the basis stays dual
        feasible), "primal" suits added columns (it stays primal feasible).

        Returns ``(LPSolution, basis bytes or None, simplex iterations)``.
        """
        lower = self._lower if lower is None else lower
        upper = self._upper if upper is None else upper
        cost = self._cost if cost is None else cost
        var_upper = self._var_upper if var_upper is None else var_upper
        from ortools.math_opt import (
            callback_pb2,
            model_parameters_pb2,
            parameters_pb2,
            result_pb2,
            solution_pb2,
        )

        self._update(lower, upper, cost, var_upper)
        params = parameters_pb2.SolveParametersProto()
        params.glop.primal_feasibility_tolerance = GLOP_TOLERANCE
        params.glop.dual_feasibility_tolerance = GLOP_TOLERANCE
        if time_limit is not None:
            params.time_limit.FromNanoseconds(int(float(time_limit) * 1e9))
        if iteration_limit is not None:
            params.iteration_limit = int(iteration_limit)
        model_params = model_parameters_pb2.ModelSolveParametersProto()
        if basis is not None:
            # A changed right-hand side leaves the base basis dual feasible:
            # dual simplex from it needs a few pivots, not a fresh solve.
            # Added columns leave it primal feasible: primal simplex.
            params.lp_algorithm = (parameters_pb2.LP_ALGORITHM_DUAL_SIMPLEX if algorithm == "dual"
                                   else parameters_pb2.LP_ALGORITHM_PRIMAL_SIMPLEX)
            model_params.initial_basis.CopyFrom(solution_pb2.BasisProto.FromString(basis))
        start = time.perf_counter()
        result = self._solver.solve(params, model_params, None,
                                    callback_pb2.CallbackRegistrationProto(), None, None)
        seconds = time.perf_counter() - start
        reason = result.termination.reason
        iterations = int(result.solve_stats.simplex_iterations)
        if reason == result_pb2.TERMINATION_REASON_OPTIMAL:
            solution = result.solutions[0]
            x = self._columns(solution.primal_solution.variable_values)
            y = _dense(solution.dual_solution.dual_values, len(self._lower))
            new_basis = solution.basis.SerializeToString() if solution.HasField("basis") else None
            return (LPSolution("OPTIMAL", x, y, float(self._cost @ x), "glop", seconds),
                    new_basis, iterations)
        if reason == result_pb2.TERMINATION_REASON_INFEASIBLE:
            return LPSolution("INFEASIBLE", None, None, None, "glop", seconds), None, iterations
        name = result_pb2.TerminationReasonProto.Name(reason).replace("TERMINATION_REASON_", "")
        raise SolverError(name, _explain(name, time_limit, iteration_limit))


def _dense(sparse, size):
    """A MathOpt sparse vector keyed by row id as a dense array."""
    out = np.zeros(size)
    if len(sparse.ids):
        out[np.asarray(sparse.ids, dtype=np.int64)] = np.asarray(sparse.values, dtype=float)
    return out


class IncrementalSolver:
    """An LP held by its solver between solves: columns added, warm re-solves.

    The LP object is the truth: each solve writes its bounds and costs into
    the solver.  With GLOP the model lives in a :class:`GlopSession` (shared
    with other solvers of the same market when given) and each solve starts
    from the last basis: dual simplex after changed bounds, primal simplex
    after added columns (they enter non-basic at zero, so the point stays
    feasible).  HiGHS re-solves from scratch each time through
    :func:`solve_lp`: correct, only slower.
    """

    def __init__(self, lp, solver="glop", *, session=None, basis=None, time_limit=None,
                 iteration_limit=None):
        if solver not in SOLVERS:
            raise ValueError(f"solver must be one of {SOLVERS}, got {solver!r}")
        self.lp = lp
        self.solver = solver
        self.time_limit = time_limit
        self.iteration_limit = iteration_limit
        self.session = session if session is not None or solver != "glop" else GlopSession(lp)
        self.basis = basis
        self.iterations = 0
        self.seconds = 0.0

    def add_columns(self, lp, ids):
        self.lp = lp
        if self.session is not None:
            self.session.add_columns(lp, ids)
            if self.basis is not None:
                self.basis = self.session.extend_basis(self.basis, len(ids))

    def solve(self, added=None) -> LPSolution:
        """Solve the LP as it now is (``added``: columns added since the last solve)."""
        lp = self.lp
        if self.session is None:
            solution = solve_lp(lp, solver=self.solver, time_limit=self.time_limit,
                                iteration_limit=self.iteration_limit)
        else:
            solution, basis, iterations = self.session.solve(
                lp.row_lower, lp.row_upper, lp.cost, lp.col_upper, basis=self.basis,
                algorithm="primal" if added is not None else "dual",
                time_limit=self.time_limit, iteration_limit=self.iteration_limit)
            self.iterations += iterations
            if basis is not None:
                self.basis = basis
        self.seconds += solution.solve_seconds
        return solution
