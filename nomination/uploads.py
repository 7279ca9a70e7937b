"""Uploaded files: checked by their content, stored once per content, sent back as attachments.

Every attachment (deeds materials, workers'-congress minutes, stamped notices, photos, objection
evidence, sealed letters) goes through :func:`store` or :func:`store_upload` and comes back
through :func:`download_response`. A file is accepted for what its bytes are, never for its name
or the type the browser claims, and is stored under its SHA-256 outside any web root.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
import unicodedata
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol
from urllib.parse import quote
from xml.parsers import expat

from flask import Response, current_app, has_app_context, send_file
from PIL import Image
from werkzeug.datastructures import FileStorage

from nomination.i18n import pick

#: The kinds of file accepted, and the content type each is stored and sent with.
ALLOWED: dict[str, str] = {
    "pdf": "application/pdf",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}

#: Default for the ``UPLOAD_MAX_BYTES`` setting.
DEFAULT_MAX_BYTES = 20 * 1024 * 1024

#: A DOCX whose parts unpack to more than this is refused (zip bomb).
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
#: A DOCX part that unpacks to more than this many times its packed size is refused; real
#: documents' XML packs 5-20 times, images hardly at all.
MAX_COMPRESSION_RATIO = 100
#: Parts smaller than this are not held to the ratio (a run of empty table cells packs well).
RATIO_EXEMPT_BYTES = 1024 * 1024
#: More parts than this is no document anyone writes.
MAX_ZIP_MEMBERS = 5000
#: [Content_Types].xml and .rels parts are small; larger ones are refused before parsing.
MAX_XML_PART_BYTES = 1024 * 1024

#: Extensions a display name may end with for each kind; the first is added when none fits.
_EXTENSIONS: dict[str, tuple[str, ...]] = {
    "pdf": (".pdf",),
    "jpeg": (".jpg", ".jpeg", ".jpe"),
    "png": (".png",),
    "docx": (".docx",),
}
_KIND_BY_TYPE = {content_type: kind for kind, content_type in ALLOWED.items()}
_DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_JPEG_MAGIC = b"\xff\xd8\xff"
_ZIP_MAGIC = b"PK\x03\x04"
_PDF_HEADER = re.compile(rb"%PDF-[12]\.\d")
#: Readers look for the end-of-file marker within the last 1024 bytes (PDF 1.7, annex H).
_PDF_TAIL = 1024
_SHA256 = re.compile(r"[0-9a-f]{64}")
#: Unicode categories dropped from display names: controls, format characters (the bidi
#: overrides that make "exe.pdf" look like "fdp.exe"), surrogates, line and paragraph separators.
_INVISIBLE = {"Cc", "Cf", "Cs", "Zl", "Zp"}
_WINDOWS_RESERVED = re.compile(r'[<>:"|?*]')
_MAX_NAME = 255

#: code → (Chinese, English); ``{limit}`` is filled in where a limit applies.
_MESSAGES: dict[str, tuple[str, str]] = {
    "empty": ("文件是空的。", "The file is empty."),
    "too_large": ("文件超过了 {limit} 的上限。", "The file is larger than the limit of {limit}."),
    "too_many_pixels": (
        "图片像素过多（上限 {limit} 像素），请缩小后再上传。",
        "The image has too many pixels (the limit is {limit}); reduce it and upload it again.",
    ),
    "too_large_unpacked": (
        "Word 文件解压后超过了 {limit} 的上限。",
        "The Word file unpacks to more than the limit of {limit}.",
    ),
    "unsupported_type": (
        "只接受 PDF、JPEG 或 PNG 图片和 Word（.docx）文件。",
        "Only PDF files, JPEG or PNG images and Word (.docx) documents are accepted.",
    ),
    "damaged": (
        "文件已损坏或不完整，无法打开。",
        "The file is damaged or incomplete and cannot be opened.",
    ),
    "macros": (
        "Word 文件含有宏或控件，请另存为普通的 .docx 文档后再上传。",
        "The Word file contains macros or controls; save it as a plain .docx document and "
        "upload it again.",
    ),
}


class UploadRejected(Exception):
    """A refused upload: ``code`` for programs, ``message_zh`` and ``message_en`` for people."""

    def __init__(self, code: str, message_zh: str, message_en: str) -> None:
        super().__init__(f"{code}: {message_en}")
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en

    @property
    def message(self) -> str:
        """Return the message in the current request's language."""
        return pick({"zh": self.message_zh, "en": self.message_en})


class StoredFileCorrupt(Exception):
    """A stored file's content no longer hashes to its name."""


@dataclass(frozen=True)
class StoredFile:
    """A file as stored: its content's SHA-256, size and kind, and the user's name for it."""

    sha256: str
    size: int
    kind: str
    content_type: str
    filename: str


class StoredRecord(Protocol):
    """Anything that names a stored file: a :class:`StoredFile` or a row holding its fields."""

    sha256: str
    filename: str
    content_type: str


def _rejected(reason: str, limit: str = "", code: str | None = None) -> UploadRejected:
    """Return the refusal for ``reason`` (a key of _MESSAGES), under ``code`` if it differs."""
    zh, en = _MESSAGES[reason]
    return UploadRejected(code or reason, zh.format(limit=limit), en.format(limit=limit))


def _size_text(size: int) -> str:
    """Return ``size`` in bytes as people read it: "20 MiB", "512 KiB", "100 B"."""
    for unit, scale in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if size >= scale:
            return f"{size / scale:.3g} {unit}"
    return f"{size} B"


# --- what a file is ------------------------------------------------------------------------------


def sniff(data: bytes) -> str:
    """Return the kind of file ``data`` is, judged by its content alone; raise UploadRejected."""
    if _PDF_HEADER.match(data):
        if b"%%EOF" not in data[-_PDF_TAIL:]:
            raise _rejected("damaged")
        return "pdf"
    if data.startswith(_PNG_MAGIC):
        _check_image(data, "PNG")
        return "png"
    if data.startswith(_JPEG_MAGIC):
        _check_image(data, "JPEG")
        return "jpeg"
    if data.startswith(_ZIP_MAGIC):
        _check_docx(data)
        return "docx"
    raise _rejected("unsupported_type")


def _check_image(data: bytes, image_format: str) -> None:
    """Refuse an image Pillow cannot read as ``image_format``, or one with too many pixels."""
    limit = Image.MAX_IMAGE_PIXELS or 89_478_485  # Pillow's default, should it be switched off
    too_many = _rejected("too_many_pixels", f"{limit:,}", code="too_large")
    try:
        # Pillow only warns between its limit and twice it: make that an error as well. The
        # explicit check below holds even when another thread resets the warning filters.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[image_format]) as image:
                if image.width * image.height > limit:
                    raise too_many
                image.verify()  # PNG: every chunk's CRC, through IEND
            # A JPEG's verify() reads nothing past the headers, and decoding cannot tell a
            # cut-off file either: WeasyPrint sets Pillow's LOAD_TRUNCATED_IMAGES on import.
            if image_format == "JPEG" and not _jpeg_complete(data):
                raise _rejected("damaged")
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise too_many from None
    except UploadRejected:
        raise
    except Exception:
        # Pillow reports a broken file with whatever its parser met (OSError, SyntaxError,
        # ValueError, struct.error, ...): all of them mean the same thing here.
        raise _rejected("damaged") from None


def _jpeg_complete(data: bytes) -> bool:
    """Return whether a JPEG's segments and scans run from its start to its end marker."""
    at, end = 2, len(data)  # past SOI
    while at + 1 < end:
        if data[at] != 0xFF:
            return False
        marker = data[at + 1]
        if marker == 0xD9:  # EOI
            return True
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # RSTn and TEM stand alone
            at += 2
            continue
        if at + 4 > end:
            return False
        at += 2 + int.from_bytes(data[at + 2 : at + 4], "big")
        if marker == 0xDA:  # SOS: entropy-coded data, in which 0xFF is followed by 0 or RSTn
            while True:
                at = data.find(b"\xff", at)
                if at < 0 or at + 1 >= end:
                    return False
                if data[at + 1] != 0x00 and not 0xD0 <= data[at + 1] <= 0xD7:
                    break
                at += 2
    return False


def _check_docx(data: bytes) -> None:
    """Refuse a ZIP that is not a plain Word document, is damaged or unpacks to too much."""

    def refuse(reason: str) -> UploadRejected:
        if reason == "too_large_unpacked":
            return _rejected(reason, _size_text(MAX_UNPACKED_BYTES), "too_large")
        return _rejected(reason)

    with open_package(
        data, "word/document.xml", _DOCX_MAIN, max_unpacked=MAX_UNPACKED_BYTES, refuse=refuse
    ) as archive:
        try:
            if archive.testzip() is not None:
                raise _rejected("damaged")
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError, EOFError):
            raise _rejected("damaged") from None


def open_package(
    data: bytes,
    main_part: str,
    main_type: str,
    *,
    max_unpacked: int,
    refuse: Callable[[str], Exception],
) -> zipfile.ZipFile:
    """Open an Office Open XML package (a .docx, an .xlsx) once its make-up has been checked.

    Checked from the ZIP's directory before anything is unpacked, then from the content types:
    ``refuse(reason)`` gives the exception for a file that is "damaged" (no ZIP, too many
    parts, a part twice, a part that unpacks to far more than it packs),
    "unsupported_type" (no ``main_part``, or one not of ``main_type``: a template, say),
    "too_large_unpacked" (more than ``max_unpacked`` bytes in all) or has "macros". The
    caller checks the parts themselves and closes the package.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        raise refuse("damaged") from None
    try:
        members = archive.infolist()
        names = [member.filename for member in members]
        if len(members) > MAX_ZIP_MEMBERS or len(set(names)) != len(names):
            raise refuse("damaged")
        if "[Content_Types].xml" not in names or main_part not in names:
            raise refuse("unsupported_type")
        # Declared sizes, checked before anything is unpacked; unpacking stops at the declared
        # size, and a part that declared less than it holds fails its CRC when it is read.
        if sum(member.file_size for member in members) > max_unpacked:
            raise refuse("too_large_unpacked")
        for member in members:
            if (
                member.file_size > RATIO_EXEMPT_BYTES
                and member.file_size > MAX_COMPRESSION_RATIO * max(member.compress_size, 1)
            ):
                raise refuse("damaged")
        content_types, main = _content_types(archive, main_part)
        if has_macros(archive, names, content_types):
            raise refuse("macros")
        if main != main_type:  # a template (.dotx, .xltx) or something else wearing the name
            raise refuse("unsupported_type")
    except BaseException:
        archive.close()
        raise
    return archive


def _content_types(archive: zipfile.ZipFile, main_part: str) -> tuple[list[str], str | None]:
    """Return every content type the package declares, and that of ``main_part``."""
    defaults: dict[str, str] = {}
    overrides: dict[str, str] = {}
    content_types: list[str] = []
    for tag, attrs in xml_elements(read_zip_part(archive, "[Content_Types].xml")):
        content_types.append(attrs.get("ContentType", ""))
        if tag == "Default":
            defaults[attrs.get("Extension", "").lower()] = attrs.get("ContentType", "")
        elif tag == "Override":
            overrides[attrs.get("PartName", "").lower()] = attrs.get("ContentType", "")
    # Part names are case-insensitive; a part without an override takes its extension's type.
    main = overrides.get("/" + main_part.lower(), defaults.get("xml"))
    return content_types, main


def has_macros(archive: zipfile.ZipFile, names: list[str], content_types: list[str]) -> bool:
    """Return whether the document carries VBA or ActiveX controls (a .docm renamed, say)."""
    for name in names:
        lower = name.lower()
        if lower.rsplit("/", 1)[-1] in {"vbaproject.bin", "vbadata.xml"} or "/activex/" in lower:
            return True
    for content_type in content_types:
        if any(mark in content_type.lower() for mark in ("macroenabled", "vba", "activex")):
            return True
    for name in names:
        if name.endswith(".rels"):
            for tag, attrs in xml_elements(read_zip_part(archive, name)):
                if tag == "Relationship" and attrs.get("Type", "").endswith("/vbaProject"):
                    return True
    return False


def read_zip_part(archive: zipfile.ZipFile, name: str) -> bytes:
    """Return a small XML part of the package, unpacked."""
    if archive.getinfo(name).file_size > MAX_XML_PART_BYTES:
        raise _rejected("damaged")
    try:
        return archive.read(name)
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError, EOFError):
        raise _rejected("damaged") from None


def xml_elements(xml: bytes) -> list[tuple[str, dict[str, str]]]:
    """Return each element's local name and attributes; refuse a DTD (OOXML has none)."""
    found: list[tuple[str, dict[str, str]]] = []

    def refuse_dtd(*_: object) -> None:
        raise _rejected("damaged")

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartDoctypeDeclHandler = refuse_dtd
    parser.StartElementHandler = lambda name, attrs: found.append((name.rpartition(" ")[2], attrs))
    try:
        parser.Parse(xml, True)
    except expat.ExpatError:
        raise _rejected("damaged") from None
    return found


# --- names ---------------------------------------------------------------------------------------


def safe_filename(name: str | None, kind: str | None = None) -> str:
    """Return the user's file name fit to show and to send: no folders, no controls, ≤255."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch) not in _INVISIBLE)
    name = _WINDOWS_RESERVED.sub("_", name)
    name = name.strip().strip(".").strip()
    extensions = _EXTENSIONS.get(kind or "", ())
    if extensions and name.lower().endswith(extensions):
        dot = name.rfind(".")
        stem, extension = name[:dot], name[dot:]
    else:
        # Content wins: a PNG named "scan.pdf" is sent as "scan.pdf.png", and opens as one.
        stem, extension = name, extensions[0] if extensions else ""
    stem = stem[: _MAX_NAME - len(extension)].rstrip(" .") or "file"
    return stem + extension


def _ascii_filename(name: str) -> str:
    """Return a plain-ASCII stand-in for ``name``, for clients that ignore ``filename*``."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    plain = re.sub(r"[^A-Za-z0-9._() -]", "_", plain)
    stem, dot, extension = plain.rpartition(".")
    if not dot:
        stem, extension = plain, ""
    if not re.search(r"[A-Za-z0-9]", stem):
        stem = "attachment"
    return stem.strip(" .") + (f".{extension}" if extension else "")


# --- where files live ----------------------------------------------------------------------------


def _root(root: Path | None) -> Path:
    """Return ``root``, or the application's ``UPLOAD_DIR``."""
    if root is not None:
        return Path(root)
    if not has_app_context():
        raise RuntimeError("uploads: pass root= outside an application context")
    configured = current_app.config.get("UPLOAD_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "uploads"


def _max_bytes(max_bytes: int | None) -> int:
    """Return ``max_bytes``, or the application's ``UPLOAD_MAX_BYTES``, or the default."""
    if max_bytes is not None:
        return max_bytes
    if has_app_context():
        return int(current_app.config.get("UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES))
    return DEFAULT_MAX_BYTES


def _hash_file(path: Path) -> str:
    """Return the SHA-256 of a file's content, read in blocks."""
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def write_once(path: Path, data: bytes, sha256: str) -> None:
    """Write ``data`` to ``path`` atomically unless an intact copy is already there."""
    try:
        if path.stat().st_size == len(data) and _hash_file(path) == sha256:
            return
    except FileNotFoundError:
        pass
    path.parent.parent.mkdir(mode=0o750, parents=True, exist_ok=True)
    path.parent.mkdir(mode=0o750, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fchmod(fh.fileno(), 0o640)
            os.fsync(fh.fileno())
        # Same content, same name: two workers storing it at once both replace it with itself.
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename survives a crash once the request commits
    finally:
        os.close(directory)


def store(
    data: bytes, filename: str, *, root: Path | None = None, max_bytes: int | None = None
) -> StoredFile:
    """Check ``data`` and store it once per content; return what was stored."""
    limit = _max_bytes(max_bytes)
    if not data:
        raise _rejected("empty")
    if len(data) > limit:
        raise _rejected("too_large", _size_text(limit))
    kind = sniff(data)
    sha256 = hashlib.sha256(data).hexdigest()
    write_once(_root(root) / sha256[:2] / sha256, data, sha256)
    return StoredFile(sha256, len(data), kind, ALLOWED[kind], safe_filename(filename, kind))


def _read_at_most(stream: IO[bytes], size: int) -> bytes:
    """Return the first ``size`` bytes of ``stream`` (fewer if it ends first)."""
    chunks: list[bytes] = []
    while size > 0:
        chunk = stream.read(min(size, 1024 * 1024))
        if not chunk:
            break
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def store_upload(
    file: FileStorage, *, root: Path | None = None, max_bytes: int | None = None
) -> StoredFile:
    """Store an uploaded file, reading no more of it than the limit allows."""
    limit = _max_bytes(max_bytes)
    data = _read_at_most(file.stream, limit + 1)
    return store(data, file.filename or "", root=root, max_bytes=limit)


def open_stored(sha256: str, *, root: Path | None = None) -> Path:
    """Return the path of a stored file after checking that its content still matches its name."""
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
        raise ValueError(f"not a stored file's name (64 lower-case hex digits): {sha256!r}")
    path = _root(root) / sha256[:2] / sha256
    if _hash_file(path) != sha256:  # FileNotFoundError when it is missing
        raise StoredFileCorrupt(f"stored file {sha256} no longer matches its content")
    return path


def download_response(stored: StoredRecord, *, root: Path | None = None) -> Response:
    """Send a stored file as an attachment under its user's name, never shown inline."""
    path = open_stored(stored.sha256, root=root)
    kind = _KIND_BY_TYPE.get(stored.content_type)
    content_type = stored.content_type if kind else "application/octet-stream"
    name = safe_filename(stored.filename, kind)
    response = send_file(
        path, mimetype=content_type, conditional=True, etag=stored.sha256, max_age=None
    )
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{_ascii_filename(name)}"; '
        f"filename*=UTF-8''{quote(name, safe='!#$&+^`|~')}"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    # Should a browser render it after all, it runs nothing and loads nothing.
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
