"""``python -m training.synthetic``: write the synthetic cohort or one profile."""

import sys

from training.synthetic.cohort_builder import main

sys.exit(main())
