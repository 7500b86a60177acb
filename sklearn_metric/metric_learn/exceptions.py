"""The exceptions metric-learn's users catch."""

import numpy as np

__all__ = ["NonPSDError", "PreprocessorError"]


class NonPSDError(np.linalg.LinAlgError):
    """A matrix that must be positive semidefinite (a prior, an initial metric) is not.

    A ``LinAlgError``, hence also a ``ValueError``.
    """

    def __init__(self, message="The matrix is not positive semidefinite."):
        super().__init__(message)


class PreprocessorError(Exception):
    """The ``preprocessor`` failed on the input: its error is chained as the cause."""

    def __init__(self, original_error):
        self.original_error = original_error
        super().__init__(
            f"An error occurred when trying to use the preprocessor: {original_error!r}"
        )
