class WarehouseError(Exception):
    """Base class; the message is safe to show to a user."""


class WarehouseUnavailable(WarehouseError):
    pass


class WarehouseBusy(WarehouseUnavailable):
    pass


class WarehouseTimeout(WarehouseError):
    pass


class WarehouseConflict(WarehouseError):
    """A write-write conflict that a retry may resolve."""


class QueryError(WarehouseError):
    """The warehouse refused a statement; `detail` keeps the driver text for logs, never for clients."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail
