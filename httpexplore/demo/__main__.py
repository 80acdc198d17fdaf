"""``python -m httpexplore.demo``: the demo server in the foreground (see ``cli.main``)."""

from .cli import main

raise SystemExit(main())
