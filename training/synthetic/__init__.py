"""The synthetic reference cohort: its generative model and the command that writes it.

:mod:`training.synthetic.world` is the generative model (classes, effects,
purity, material); :mod:`training.synthetic.cohort_builder` draws the
default cohort or one full-array profile from it, also as the command
``python -m training.synthetic``.
"""

from training.synthetic.cohort_builder import (
    build_cohort,
    generate_profile,
    load_reference_sheet,
    make_world,
)

__all__ = ["build_cohort", "generate_profile", "load_reference_sheet", "make_world"]
