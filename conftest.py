"""Test-session set-up shared by tests/ and the doctests of sklearn_metric/."""

import os

# scikit-learn's array-API checks need this set before scipy is imported;
# .ci/run and the README's test command set it too.
os.environ.setdefault("SCIPY_ARRAY_API", "1")
