"""metric-learn 0.7's API on sklearn_metric's learners: change one import.

Code written for metric-learn runs with ``import metric_learn`` replaced by
``from sklearn_metric import metric_learn`` (or ``from sklearn_metric.metric_learn
import ITML, ...``): the same classes, constructor parameters and defaults,
``preprocessor``, ``fit`` signatures, pair/triplet/quadruplet prediction and
threshold calibration, ``Constraints``, and the exceptions users catch. Each
class routes onto the package's learner of the same method; no algorithm is
implemented twice. Where metric-learn's conventions differ from the package's
(covariance divided by ``n - 1``, SDML's ``balance_param`` scale, ITML's default
bounds), this module follows metric-learn; where metric-learn's result is not the
method's (its MMC stopping short of the optimum, its LFDA), the package's stays,
and the class docstring says so. Settings with no meaning for the package's
solvers are accepted and warned about once.
"""

from . import (
    base_metric,
    constraints,
    covariance,
    exceptions,
    itml,
    lfda,
    lmnn,
    lsml,
    mlkr,
    mmc,
    nca,
    rca,
    scml,
    sdml,
)
from .constraints import Constraints
from .covariance import Covariance
from .itml import ITML, ITML_Supervised
from .lfda import LFDA
from .lmnn import LMNN
from .lsml import LSML, LSML_Supervised
from .mlkr import MLKR
from .mmc import MMC, MMC_Supervised
from .nca import NCA
from .rca import RCA, RCA_Supervised
from .scml import SCML, SCML_Supervised
from .sdml import SDML, SDML_Supervised

__version__ = "0.7.0"

__all__ = [
    "Constraints",
    "Covariance",
    "ITML",
    "ITML_Supervised",
    "LFDA",
    "LMNN",
    "LSML",
    "LSML_Supervised",
    "MLKR",
    "MMC",
    "MMC_Supervised",
    "NCA",
    "RCA",
    "RCA_Supervised",
    "SCML",
    "SCML_Supervised",
    "SDML",
    "SDML_Supervised",
    "base_metric",
    "constraints",
    "covariance",
    "exceptions",
    "itml",
    "lfda",
    "lmnn",
    "lsml",
    "mlkr",
    "mmc",
    "nca",
    "rca",
    "scml",
    "sdml",
]
