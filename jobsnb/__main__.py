import sys

from jobsnb.cli import main

sys.exit(main())
