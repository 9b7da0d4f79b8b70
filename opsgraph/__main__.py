import sys

from opsgraph.cli import main

sys.exit(main())
