"""Stand-in for ``sqlite3`` in the JupyterLite site (installed as ``sqlite3/__init__.py``).

Pyodide ships ``sqlite3`` as a separate compiled package, and no registry reachable here has it.
IPython imports ``sqlite3`` unconditionally (its history module names ``sqlite3.Connection``
and the error classes), although the Pyodide kernel switches IPython's history off.  This module
gives those names so IPython starts; opening a database fails with a plain message.
"""

PARSE_DECLTYPES = 1
PARSE_COLNAMES = 2
sqlite_version = "0.0.0"
sqlite_version_info = (0, 0, 0)
_MESSAGE = "sqlite3 is not available in this JupyterLite site (no Pyodide sqlite3 package)"


class Warning(Exception):  # the DB-API's name
    pass


class Error(Exception):
    pass


class InterfaceError(Error):
    pass


class DatabaseError(Error):
    pass


class DataError(DatabaseError):
    pass


class OperationalError(DatabaseError):
    pass


class IntegrityError(DatabaseError):
    pass


class InternalError(DatabaseError):
    pass


class ProgrammingError(DatabaseError):
    pass


class NotSupportedError(DatabaseError):
    pass


class Connection:
    def __init__(self, *args: object, **kwargs: object) -> None:
        raise OperationalError(_MESSAGE)


class Cursor:
    def __init__(self, *args: object, **kwargs: object) -> None:
        raise OperationalError(_MESSAGE)


class Row(tuple):
    pass


def connect(*args: object, **kwargs: object) -> Connection:
    raise OperationalError(_MESSAGE)


def register_adapter(*args: object) -> None:
    """Accepted and ignored: there is no database to adapt values for."""


def register_converter(*args: object) -> None:
    """Accepted and ignored: there is no database to convert values from."""
