"""The shared layers every learner and meta-estimator stands on.

From the bottom: ``compat`` (the only importer of scikit-learn's private API) and
``warn`` (warnings at the user's line); ``linalg``, ``kernels`` (compiled loops and
threads), ``span`` (wide data); ``optim`` (the L-BFGS driver) and ``sdp`` (every cvxpy
problem); ``tuples``, ``sampling``, ``constraints`` and ``init`` (a learner's input,
its tuples, neighbours and impostors, its starting point); ``base``
(``MetricLearnerMixin`` and input validation). ARCHITECTURE.md lists what each may
import.
"""
