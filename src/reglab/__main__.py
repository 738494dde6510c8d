"""``python -m reglab``: the command line."""

from reglab.cli import console_main

console_main()
