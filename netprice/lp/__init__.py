"""The linear program: compiled arrays, scaling, building, solving.

Data flows ``compile_market`` (graph -> arrays) -> ``build_lp`` (arrays and
routes -> sparse LP in scaled units) -> ``solve_lp`` (OR-Tools GLOP, or
HiGHS through highspy) -> duals unscaled by :class:`Scaling`.
"""
