"""`python -m training PATH [...]`: the same as `ganreport train PATH [...]`."""

import sys

from training.cli import main

if __name__ == "__main__":
    sys.exit(main())
