import sys

from specgym.cli import main

sys.exit(main())
