"""The ``jobsnb`` command line (the console script ``jobsnb = "jobsnb.cli:main"``)."""

from __future__ import annotations

from jobsnb.cli.main import main

__all__ = ["main"]
