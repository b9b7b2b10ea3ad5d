"""The evaluation that measures every claim the model makes (issue 18).

- :mod:`~training.evaluation.fold_probe`: what each outer model is asked
  besides its calls (missing CpGs, OOD score, neighbours);
- :mod:`~training.evaluation.shift`: the extra fits (classes left out,
  array left out);
- :mod:`~training.evaluation.qc_rules`: the QC thresholds by their rules;
- :mod:`~training.evaluation.assess`: all of it into the ``assessment``
  section of ``metrics.json``;
- :mod:`~training.evaluation.report`: the readable report and its figures.
"""

from training.evaluation.assess import assess
from training.evaluation.fold_probe import probe_fold
from training.evaluation.report import assessment_figures, write_report
from training.evaluation.run import fold_probe, run_assessment

__all__ = [
    "assess",
    "assessment_figures",
    "fold_probe",
    "probe_fold",
    "run_assessment",
    "write_report",
]
