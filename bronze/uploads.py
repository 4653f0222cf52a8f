"""Streaming multipart uploads: each file goes to a uniquely named temp file in chunks, hashed and size-limited.

The request body is parsed on a small dedicated thread pool so the event loop never blocks on disk writes.
"""

import asyncio
import hashlib
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParser, MultiPartParserError

from medallion.errors import ApiError, validation_error
from medallion.middleware import CsrfMiddleware

# Room for the multipart boundaries, part headers and the small text fields around the file.
MULTIPART_OVERHEAD_BYTES = 64 * 1024

_upload_executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="bronze-upload")


def too_large() -> ApiError:
    limit = settings.UPLOAD_MAX_BYTES
    return ApiError(413, "file_too_large", f"The file is larger than the upload limit of {limit / 2**20:g} MiB.")


class StreamedFile(UploadedFile):
    """An upload on disk under UPLOAD_TEMP_DIR; closing it deletes it."""

    def __init__(self, received_name: str, content_type: str | None, charset: str | None) -> None:
        directory = Path(settings.UPLOAD_TEMP_DIR)
        directory.mkdir(parents=True, exist_ok=True)
        handle = tempfile.NamedTemporaryFile(dir=directory, prefix="upload-", suffix=".part")
        super().__init__(handle, "upload", content_type, 0, charset)
        self.received_name = received_name
        self.sha256 = hashlib.sha256()

    def temporary_file_path(self) -> str:
        return self.file.name


class StreamingUploadHandler(FileUploadHandler):
    """Writes each chunk straight to disk while hashing; stops the upload as soon as the limit is passed."""

    def __init__(self, request: HttpRequest, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.exceeded = False
        self.current: StreamedFile | None = None

    def new_file(self, field_name: str, file_name: str, content_type: str, content_length: int | None,
                 charset: str | None = None, content_type_extra: dict[str, Any] | None = None) -> None:  # fmt: skip
        super().new_file(field_name, file_name, content_type, content_length, charset, content_type_extra)
        self.current = StreamedFile(file_name, content_type, charset)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        assert self.current is not None
        self.current.size += len(raw_data)
        if self.current.size > self.limit:
            self.exceeded = True
            self.current.close()
            raise StopUpload(connection_reset=True)
        self.current.write(raw_data)
        self.current.sha256.update(raw_data)

    def file_complete(self, file_size: int) -> StreamedFile | None:
        finished, self.current = self.current, None
        if finished is not None:
            finished.flush()
        return finished

    def upload_interrupted(self) -> None:
        if self.current is not None:
            self.current.close()


class BasenameMultiPartParser(MultiPartParser):
    """Keeps the client's file name apart from its directory part, unaltered, so it can be validated and refused
    (Django's own sanitizer silently drops control characters and skips names such as "..")."""

    def sanitize_file_name(self, file_name: str) -> str | None:
        return file_name.replace("\\", "/").rsplit("/", 1)[-1] or None


@dataclass
class ReceivedUpload:
    fields: dict[str, str]
    files: list[StreamedFile]
    rejection: HttpResponse | None
    every_file: list[Any]

    def close(self) -> None:
        for file in self.every_file:
            file.close()


async def receive(request: HttpRequest) -> ReceivedUpload:
    """Parse a multipart upload (after the CSRF check a session caller needs); callers must close() the result."""
    declared = _body_length(request)
    if declared > settings.UPLOAD_MAX_BYTES + MULTIPART_OVERHEAD_BYTES:
        raise too_large()
    if not request.content_type.startswith("multipart/form-data"):
        raise validation_error("file", "Send the file as multipart/form-data.")
    handler = StreamingUploadHandler(request, settings.UPLOAD_MAX_BYTES)
    loop = asyncio.get_running_loop()
    try:
        received = await loop.run_in_executor(_upload_executor, _parse, request, handler)
    except MultiPartParserError:
        raise ApiError(400, "malformed_request", "The multipart request could not be parsed.") from None
    except OSError:
        raise ApiError(
            503, "upstream_unavailable", "The upload storage is full or not writable; nothing was stored. Try later."
        ) from None
    if handler.exceeded:
        received.close()
        raise too_large()
    return received


def _body_length(request: HttpRequest) -> int:
    """The declared Content-Length; for a chunked body (none declared) the length of the body the ASGI server
    has already received, which the multipart parser needs (it reads nothing of a body of length 0)."""
    if request.META.get("CONTENT_LENGTH"):
        return int(request.META["CONTENT_LENGTH"])
    body = getattr(request, "_stream", None)
    if body is None or not body.seekable():
        raise ApiError(411, "length_required", "Send the upload with a Content-Length header.")
    length = body.seek(0, 2)
    body.seek(0)
    request.META["CONTENT_LENGTH"] = str(length)
    return length


def _parse(request: HttpRequest, handler: StreamingUploadHandler) -> ReceivedUpload:
    parser = BasenameMultiPartParser(request.META, request, [handler], request.encoding)
    try:
        request._post, request._files = parser.parse()
    except BaseException:
        handler.upload_interrupted()
        raise
    every_file = [file for _, files in request._files.lists() for file in files]
    files = [file for file in request._files.getlist("file") if isinstance(file, StreamedFile)]
    # The CSRF check runs here, after streaming, because it reads the form fields.
    rejection = CsrfMiddleware(lambda _request: HttpResponse()).process_view(request, receive, (), {})
    return ReceivedUpload({key: request._post.get(key) for key in request._post}, files, rejection, every_file)
