"""``python -m jaxgeo.cli``: the ``jaxgeo`` command."""

import sys

from . import main

sys.exit(main())
