"""Uploaded files: judged by content, stored once by hash, sent back only as attachments."""

from __future__ import annotations

import functools
import hashlib
import io
import os
import stat
import struct
import warnings
import zipfile
import zlib
from pathlib import Path

import pytest
import weasyprint
from PIL import Image, ImageFile
from werkzeug.datastructures import FileStorage

from nomination import uploads
from nomination.uploads import (
    ALLOWED,
    StoredFile,
    StoredFileCorrupt,
    UploadRejected,
    download_response,
    open_stored,
    safe_filename,
    sniff,
    store,
    store_upload,
)

DOCX = ALLOWED["docx"]
DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
DOCM_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"
DOTX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml"
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


# --- real files, made here -----------------------------------------------------------------------


@functools.cache
def pdf_bytes() -> bytes:
    return weasyprint.HTML(string="<p>证明材料</p>").write_pdf()


def image_bytes(
    image_format: str, size: tuple[int, int] = (64, 48), noisy: bool = False, **options
) -> bytes:
    if noisy:  # noise does not compress: the scan data is most of the file
        image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    else:
        image = Image.new("RGB", size, (200, 30, 30))
    out = io.BytesIO()
    image.save(out, image_format, **options)
    return out.getvalue()


def docx_bytes(
    main_type: str = DOCX_MAIN,
    extra_parts: dict[str, bytes] | None = None,
    extra_types: str = "",
    document_rels: str = "",
    compression: int = zipfile.ZIP_DEFLATED,
) -> bytes:
    """Return a minimal Word document, as Word would open it, with optional extra parts."""
    content_types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/word/document.xml" ContentType="{main_type}"/>'
        f"{extra_types}</Types>"
    )
    package_rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{R}/officeDocument" Target="word/document.xml"/>'
        "</Relationships>"
    )
    document = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<w:document xmlns:w="{W}"><w:body><w:p><w:r><w:t>证明材料</w:t></w:r></w:p>'
        "</w:body></w:document>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("_rels/.rels", package_rels)
        archive.writestr("word/document.xml", document)
        if document_rels:
            archive.writestr(
                "word/_rels/document.xml.rels",
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                f'relationships">{document_rels}</Relationships>',
            )
        for name, data in (extra_parts or {}).items():
            archive.writestr(name, data)
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """Return a tiny PNG whose header claims ``width`` × ``height`` pixels (a pixel bomb)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + chunk(b"IEND", b"")
    )


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def rejected(code: str, data: bytes, tmp_path: Path, name: str = "x", **kw) -> UploadRejected:
    with pytest.raises(UploadRejected) as caught:
        store(data, name, root=tmp_path, **kw)
    assert caught.value.code == code
    assert stored_files(tmp_path) == []  # nothing refused is ever written
    return caught.value


# --- accepted ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "name", "kind"),
    [
        (pdf_bytes, "证明材料.pdf", "pdf"),
        (lambda: image_bytes("JPEG"), "照片.jpg", "jpeg"),
        (lambda: image_bytes("JPEG", (640, 480), noisy=True), "照片.jpeg", "jpeg"),
        (lambda: image_bytes("JPEG", (320, 240), True, progressive=True), "照片.JPG", "jpeg"),
        (lambda: image_bytes("JPEG", (320, 240), True, restart_marker_rows=1), "a.jpe", "jpeg"),
        (lambda: image_bytes("JPEG") + b"camera trailer", "照片.jpg", "jpeg"),
        (lambda: image_bytes("PNG"), "盖章通知.png", "png"),
        (docx_bytes, "职代会决议.docx", "docx"),
    ],
)
def test_real_files_are_stored_under_their_hash(make, name, kind, tmp_path):
    data = make()
    stored = store(data, name, root=tmp_path)
    sha = hashlib.sha256(data).hexdigest()
    assert stored == StoredFile(sha, len(data), kind, ALLOWED[kind], name)
    assert stored_files(tmp_path) == [tmp_path / sha[:2] / sha]
    assert (tmp_path / sha[:2] / sha).read_bytes() == data


def test_content_decides_not_the_name(tmp_path):
    stored = store(image_bytes("PNG"), "扫描件.pdf", root=tmp_path)
    assert (stored.kind, stored.content_type) == ("png", "image/png")
    # Saved under its name it opens as what it is.
    assert stored.filename == "扫描件.pdf.png"


def test_same_content_is_written_once(tmp_path):
    data = pdf_bytes()
    first = store(data, "a.pdf", root=tmp_path)
    path = tmp_path / first.sha256[:2] / first.sha256
    written = path.stat()
    second = store(data, "另一个名字.pdf", root=tmp_path)
    assert second.sha256 == first.sha256
    assert second.filename == "另一个名字.pdf"
    assert stored_files(tmp_path) == [path]  # no second copy, no temporary file left
    assert (path.stat().st_ino, path.stat().st_mtime_ns) == (written.st_ino, written.st_mtime_ns)


def test_a_damaged_copy_is_replaced_when_the_content_comes_again(tmp_path):
    data = image_bytes("PNG")
    stored = store(data, "a.png", root=tmp_path)
    path = tmp_path / stored.sha256[:2] / stored.sha256
    path.write_bytes(b"bit rot")
    store(data, "a.png", root=tmp_path)
    assert path.read_bytes() == data


def test_files_and_folders_are_not_world_readable(tmp_path):
    old = os.umask(0o022)
    try:
        stored = store(pdf_bytes(), "a.pdf", root=tmp_path / "uploads")
    finally:
        os.umask(old)
    path = tmp_path / "uploads" / stored.sha256[:2] / stored.sha256
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o750
    assert stat.S_IMODE(path.parent.parent.stat().st_mode) == 0o750


# --- refused -------------------------------------------------------------------------------------


def test_empty_file(tmp_path):
    error = rejected("empty", b"", tmp_path)
    assert error.message_zh == "文件是空的。"
    assert error.message_en == "The file is empty."


def test_oversized_file_names_the_limit(tmp_path):
    data = image_bytes("PNG", (256, 256), noisy=True)
    error = rejected("too_large", data, tmp_path, max_bytes=100 * 1024)
    assert "100 KiB" in error.message_zh
    assert "100 KiB" in error.message_en


def test_limit_is_inclusive(tmp_path):
    data = image_bytes("PNG")
    assert store(data, "a.png", root=tmp_path, max_bytes=len(data)).size == len(data)
    rejected("too_large", data, tmp_path / "other", max_bytes=len(data) - 1)


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>", "x.pdf"),
        (
            b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg">'
            b"<script>alert(1)</script></svg>",
            "logo.svg",
        ),
        (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "photo.png"),
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64, "材料.docx"),
        (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "photo.jpg"),
        (b"  %PDF-1.7\n%%EOF\n", "leading-space.pdf"),
        ("证明材料".encode(), "证明.pdf"),
    ],
    ids=["html-named-pdf", "svg", "svg-named-png", "exe", "gif", "pdf-not-at-start", "text"],
)
def test_other_files_are_unsupported(data, name, tmp_path):
    error = rejected("unsupported_type", data, tmp_path, name)
    assert "PDF" in error.message_zh
    assert ".docx" in error.message_en


def test_zip_that_is_not_a_word_document(tmp_path):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "hello")
    rejected("unsupported_type", out.getvalue(), tmp_path, "材料.docx")


def test_spreadsheet_is_not_a_word_document(tmp_path):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
    rejected("unsupported_type", out.getvalue(), tmp_path, "材料.docx")


def test_word_template_renamed_docx(tmp_path):
    rejected("unsupported_type", docx_bytes(main_type=DOTX_MAIN), tmp_path, "a.docx")


@pytest.mark.parametrize(
    "data",
    [
        docx_bytes(extra_parts={"word/vbaProject.bin": b"\xd0\xcf\x11\xe0" + b"\x00" * 512}),
        docx_bytes(extra_parts={"word/VBAPROJECT.BIN": b"\xd0\xcf\x11\xe0"}),
        docx_bytes(main_type=DOCM_MAIN),
        docx_bytes(
            extra_parts={"word/macros.bin": b"\xd0\xcf\x11\xe0"},
            extra_types='<Override PartName="/word/macros.bin" '
            'ContentType="application/vnd.ms-office.vbaProject"/>',
        ),
        docx_bytes(
            extra_parts={"word/m.dat": b"\xd0\xcf\x11\xe0"},
            document_rels='<Relationship Id="rId9" Target="m.dat" '
            'Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject"/>',
        ),
        docx_bytes(extra_parts={"word/activeX/activeX1.xml": b"<ax/>"}),
    ],
    ids=[
        "vbaProject.bin",
        "upper-case",
        "docm-renamed",
        "vba-content-type",
        "vba-relation",
        "activeX",
    ],
)
def test_macros_are_refused(data, tmp_path):
    error = rejected("macros", data, tmp_path, "决议.docx")
    assert "宏" in error.message_zh
    assert "macros" in error.message_en


def test_zip_bomb_by_ratio(tmp_path):
    data = docx_bytes(extra_parts={"word/media/image1.png": b"\x00" * (16 * 1024 * 1024)})
    assert len(data) < 100 * 1024  # 16 MiB packed into a few dozen KiB
    rejected("damaged", data, tmp_path, "a.docx")


def test_zip_bomb_by_total_size(tmp_path, monkeypatch):
    monkeypatch.setattr(uploads, "MAX_UNPACKED_BYTES", 1024 * 1024)
    # Random bytes do not compress: the ratio is fine, the total is not.
    data = docx_bytes(extra_parts={"word/media/image1.jpeg": os.urandom(2 * 1024 * 1024)})
    error = rejected("too_large", data, tmp_path, "a.docx")
    assert "1 MiB" in error.message_en


def test_zip_part_lying_about_its_size(tmp_path):
    data = bytearray(docx_bytes(compression=zipfile.ZIP_STORED))
    # Say in the central directory that word/document.xml is one byte shorter than it is.
    entry = data.rindex(b"PK\x01\x02", 0, data.rindex(b"word/document.xml"))
    size = struct.unpack_from("<I", data, entry + 24)[0]
    struct.pack_into("<I", data, entry + 24, size - 1)
    rejected("damaged", bytes(data), tmp_path, "a.docx")


def test_docx_with_a_dtd(tmp_path):
    data = docx_bytes()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            body = src.read(item)
            if item.filename == "[Content_Types].xml":
                body = body.replace(
                    b"<Types", b'<!DOCTYPE Types [<!ENTITY a "aaaaaaaaaa">]><Types', 1
                )
            dst.writestr(item, body)
    rejected("damaged", out.getvalue(), tmp_path, "a.docx")


def test_damaged_docx(tmp_path):
    data = bytearray(docx_bytes(compression=zipfile.ZIP_STORED))
    at = data.index("证明材料".encode())
    data[at] ^= 0xFF  # the CRC no longer matches
    rejected("damaged", bytes(data), tmp_path, "a.docx")


def test_docx_with_two_parts_of_one_name(tmp_path):
    data = docx_bytes()
    out = io.BytesIO(data)
    with warnings.catch_warnings(), zipfile.ZipFile(out, "a") as archive:
        warnings.simplefilter("ignore", UserWarning)  # "Duplicate name": that is the point
        archive.writestr("word/document.xml", "<w:document/>")
    rejected("damaged", out.getvalue(), tmp_path, "a.docx")


@pytest.mark.parametrize("part", ["word/document.xml", "[Content_Types].xml"])
def test_encrypted_docx(part, tmp_path):
    data = bytearray(docx_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        local = archive.getinfo(part).header_offset
    central = data.rindex(b"PK\x01\x02", 0, data.rindex(part.encode()))
    # Mark the part encrypted, in its local header and in the central directory.
    data[local + 6] |= 0x01
    data[central + 8] |= 0x01
    rejected("damaged", bytes(data), tmp_path, "a.docx")


def test_truncated_docx(tmp_path):
    data = docx_bytes()
    rejected("damaged", data[: len(data) - 30], tmp_path, "a.docx")


def test_truncated_png(tmp_path):
    data = image_bytes("PNG", (128, 128), noisy=True)
    rejected("damaged", data[: len(data) * 2 // 3], tmp_path, "a.png")


def test_png_with_a_bad_checksum(tmp_path):
    data = bytearray(image_bytes("PNG", (128, 128), noisy=True))
    data[len(data) // 2] ^= 0xFF
    rejected("damaged", bytes(data), tmp_path, "a.png")


def test_truncated_jpeg(tmp_path, monkeypatch):
    # WeasyPrint sets this on import, so the application always runs with it.
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    data = image_bytes("JPEG", (640, 480), noisy=True)
    # Cut inside the scan, well past the headers: opening it still works, decoding does not.
    rejected("damaged", data[: len(data) * 2 // 3], tmp_path, "a.jpg")


def test_pdf_without_its_end(tmp_path):
    data = pdf_bytes()
    rejected("damaged", data[: len(data) // 2], tmp_path, "a.pdf")


@pytest.mark.parametrize("limit", [2_000, 1_000], ids=["warned-by-pillow", "refused-by-pillow"])
def test_too_many_pixels(limit, tmp_path, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", limit)
    with warnings.catch_warnings():
        # Outside the test suite a warning is only a line in the log: it must not be what stops
        # the image (64 × 48 pixels is between the limit and twice it in the first case).
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        error = rejected("too_large", image_bytes("PNG", (64, 48)), tmp_path, "a.png")
    assert f"{limit:,}" in error.message_en


def test_pixel_bomb_with_the_default_limit(tmp_path):
    rejected("too_large", png_claiming(30_000, 30_000), tmp_path, "a.png")


def test_sniff_alone():
    assert sniff(pdf_bytes()) == "pdf"
    assert sniff(docx_bytes()) == "docx"
    with pytest.raises(UploadRejected):
        sniff(b"\x89PNG\r\n\x1a\n")


# --- names ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind", "safe"),
    [
        ("C:\\Users\\张三\\Desktop\\证明\x00材料\r\n.pdf", "pdf", "证明材料.pdf"),
        ("../../etc/passwd", "png", "passwd.png"),
        ("照片\u202egpj.exe", "jpeg", "照片gpj.exe.jpg"),
        ("先进事迹 (2026).DOCX", "docx", "先进事迹 (2026).DOCX"),
        ('a<b>:"c"|?*.pdf', "pdf", "a_b___c____.pdf"),
        ("..", "pdf", "file.pdf"),
        ("", "docx", "file.docx"),
        (None, "png", "file.png"),
        ("  .hidden.pdf. ", "pdf", "hidden.pdf"),
        ("职代会/决议\t.pdf", None, "决议.pdf"),
    ],
)
def test_safe_filename(name, kind, safe):
    assert safe_filename(name, kind) == safe


def test_long_names_keep_their_extension():
    safe = safe_filename("劳" * 300 + ".docx", "docx")
    assert len(safe) == 255
    assert safe == "劳" * 250 + ".docx"


def test_store_keeps_the_safe_name(tmp_path):
    stored = store(pdf_bytes(), "/tmp/附件\x1b[31m一.pdf", root=tmp_path)
    assert stored.filename == "附件[31m一.pdf"


# --- reading uploads -----------------------------------------------------------------------------


class CountingStream(io.BytesIO):
    """A stream that remembers how much was read from it."""

    taken = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.taken += len(chunk)
        return chunk


def test_store_upload(tmp_path):
    data = docx_bytes()
    upload = FileStorage(io.BytesIO(data), filename="职代会决议.docx", content_type="text/html")
    stored = store_upload(upload, root=tmp_path)
    assert (stored.kind, stored.content_type, stored.filename) == ("docx", DOCX, "职代会决议.docx")
    assert stored.size == len(data)


def test_store_upload_reads_no_more_than_the_limit(tmp_path):
    stream = CountingStream(b"%PDF-1.7\n" + b"0" * (10 * 1024 * 1024))
    with pytest.raises(UploadRejected) as caught:
        store_upload(FileStorage(stream, filename="big.pdf"), root=tmp_path, max_bytes=1024)
    assert caught.value.code == "too_large"
    assert stream.taken == 1025


# --- reading back --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "../" * 3 + "etc/passwd",
        "../" + "a" * 61,
        "A" * 64,
        "a" * 63,
        "g" * 64,
        "a" * 64 + "\n",
        "a" * 64 + "/../x",
        "",
    ],
)
def test_open_stored_refuses_what_is_not_a_hash(name, tmp_path):
    with pytest.raises(ValueError):
        open_stored(name, root=tmp_path)


def test_open_stored(tmp_path):
    stored = store(pdf_bytes(), "a.pdf", root=tmp_path)
    assert open_stored(stored.sha256, root=tmp_path).read_bytes() == pdf_bytes()
    with pytest.raises(FileNotFoundError):
        open_stored("0" * 64, root=tmp_path)


def test_open_stored_detects_tampering(tmp_path):
    stored = store(pdf_bytes(), "a.pdf", root=tmp_path)
    path = tmp_path / stored.sha256[:2] / stored.sha256
    path.write_bytes(pdf_bytes().replace(b"%%EOF", b"%%EOX"))
    with pytest.raises(StoredFileCorrupt):
        open_stored(stored.sha256, root=tmp_path)


def body(response) -> bytes:
    response.direct_passthrough = False
    try:
        return response.get_data()
    finally:
        response.close()


def test_download_response(app, tmp_path):
    stored = store(pdf_bytes(), "D:\\材料\\2026年 事迹材料.pdf", root=tmp_path)
    with app.test_request_context("/"):
        response = download_response(stored, root=tmp_path)
        assert body(response) == pdf_bytes()
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=\"2026.pdf\"; filename*=UTF-8''"
        "2026%E5%B9%B4%20%E4%BA%8B%E8%BF%B9%E6%9D%90%E6%96%99.pdf"
    )
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "sandbox" in response.headers["Content-Security-Policy"]


def test_download_falls_back_to_a_plain_name(app, tmp_path):
    stored = store(image_bytes("PNG"), "照片", root=tmp_path)
    with app.test_request_context("/"):
        response = download_response(stored, root=tmp_path)
        body(response)
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="attachment.png"; ')
    assert disposition.endswith("filename*=UTF-8''%E7%85%A7%E7%89%87.png")


def test_download_uses_the_recorded_type_not_the_name(app, tmp_path):
    stored = store(image_bytes("PNG"), "相片.png", root=tmp_path)
    # A record as a table might hold it: the name says PDF, the content is a PNG.
    record = StoredFile(stored.sha256, stored.size, "png", "image/png", "相片.pdf")
    with app.test_request_context("/"):
        response = download_response(record, root=tmp_path)
        body(response)
    assert response.mimetype == "image/png"
    assert "filename*=UTF-8''%E7%9B%B8%E7%89%87.pdf.png" in response.headers["Content-Disposition"]


def test_download_never_sends_an_unknown_type_as_itself(app, tmp_path):
    stored = store(pdf_bytes(), "a.pdf", root=tmp_path)
    record = StoredFile(stored.sha256, stored.size, "pdf", "text/html", "a.html")
    with app.test_request_context("/"):
        response = download_response(record, root=tmp_path)
        body(response)
    assert response.mimetype == "application/octet-stream"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="a.html"')


def test_download_refuses_a_tampered_file(app, tmp_path):
    stored = store(pdf_bytes(), "a.pdf", root=tmp_path)
    (tmp_path / stored.sha256[:2] / stored.sha256).write_bytes(b"%PDF-1.7 forged\n%%EOF")
    with app.test_request_context("/"), pytest.raises(StoredFileCorrupt):
        download_response(stored, root=tmp_path)


# --- inside the application ----------------------------------------------------------------------


def test_configuration_defaults(app):
    assert app.config["UPLOAD_MAX_BYTES"] == 20 * 1024 * 1024
    assert Path(app.config["UPLOAD_DIR"]) == Path(app.instance_path) / "uploads"


def test_store_uses_the_configuration(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path / "configured"))
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", 1024)
    with app.app_context():
        stored = store(image_bytes("PNG"), "a.png")
        assert stored_files(tmp_path / "configured") == [
            tmp_path / "configured" / stored.sha256[:2] / stored.sha256
        ]
        with pytest.raises(UploadRejected) as caught:
            store(image_bytes("PNG", (256, 256), noisy=True), "big.png")
    assert caught.value.code == "too_large"


def test_store_needs_a_root_outside_the_application():
    with pytest.raises(RuntimeError):
        store(image_bytes("PNG"), "a.png")


@pytest.mark.parametrize(
    ("language", "expected"), [("zh", "文件是空的。"), ("en", "The file is empty.")]
)
def test_message_in_the_visitors_language(app, language, expected):
    with pytest.raises(UploadRejected) as caught:
        store(b"", "a.pdf", root=Path("/nonexistent"))
    with app.test_request_context(f"/?lang={language}"):
        assert caught.value.message == expected
