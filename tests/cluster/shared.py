"""The one place this suite imports from other suites.

Today the helpers live in tests/containers; the `pytests` branch moves the
shared ones to tests/lib. After that lands, only this file changes.
"""

import sys
from pathlib import Path

_TESTS = Path(__file__).resolve().parents[1]
for _d in ("containers", "lib"):  # lib last: it wins once it exists
    if (_TESTS / _d).is_dir():
        sys.path.insert(0, str(_TESTS / _d))

from ensemble import tree_digest  # noqa: E402,F401
from podspec import hosts_file  # noqa: E402,F401
