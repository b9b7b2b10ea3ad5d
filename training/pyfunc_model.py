"""The model as an MLflow pyfunc, for data scientists who load it from the registry.

Input is a 2-D float32 tensor whose columns follow the bundle's ordered CpG
list (``bundle/cpgs.txt`` among the run's artifacts), NaN where a CpG was
not measured. A tensor signature keeps the model card readable: it does not
enumerate 10,000 columns. Output is one row per profile with the call.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from mlflow.pyfunc import PythonModel

from classifier.bundle import load_bundle

__all__ = ["SarcomaClassifierPyfunc"]


class SarcomaClassifierPyfunc(PythonModel):
    """Wraps a model bundle directory logged as the artifact ``bundle``."""

    def load_context(self, context) -> None:
        self.bundle = load_bundle(context.artifacts["bundle"])

    def predict(self, context, model_input, params=None) -> pd.DataFrame:
        values = np.asarray(model_input, dtype=np.float32)
        if values.ndim == 1:
            values = values[None, :]
        calls = self.bundle.classify_aligned(values)
        return pd.DataFrame(
            {
                "top_class": [c.top_class for c in calls],
                "score": [c.score for c in calls],
                "family": [c.family for c in calls],
                "family_score": [c.family_score for c in calls],
                "decision": [str(c.decision) for c in calls],
                "coverage": [c.coverage for c in calls],
                "out_of_distribution": [c.ood for c in calls],
            }
        )
