"""Developer tools run with ``python -m tests.tools.<name>`` (see the Makefile)."""
