"""``python -m reglab``: the command line."""

from reglab.cli import main

raise SystemExit(main())
