"""The network tests build their worlds with the classify tests' `World`."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "classify"))
