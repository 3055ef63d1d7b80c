"""python -m qa: the command line."""

from qa.cli import main

raise SystemExit(main())
