"""Importing this puts the repository root on ``sys.path``, so a benchmark run as
``python bench/NAME.py`` finds ``testkit/``: the test and benchmark data generators live
beside the product, not in the installed package."""

import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)
