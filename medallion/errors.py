class ApiError(Exception):
    """A failure with the contract's status, code and readable detail; services raise it, views render it."""

    def __init__(self, status: int, code: str, detail: str, errors: list[dict[str, str]] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.errors = errors


def validation_error(field: str, message: str, code: str = "validation_error") -> ApiError:
    return ApiError(422, code, f"{field}: {message}", [{"field": field, "message": message}])


def not_found(code: str, detail: str) -> ApiError:
    return ApiError(404, code, detail)


def conflict(code: str, detail: str) -> ApiError:
    return ApiError(409, code, detail)
