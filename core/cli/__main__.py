"""``python -m core.cli``: the ``stitchboard`` command."""

import sys

from . import main

sys.exit(main())
