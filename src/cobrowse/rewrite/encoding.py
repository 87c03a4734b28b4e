"""Which character encoding a browser decodes a page or a stylesheet with.

The WHATWG Encoding Standard's order, pure functions over the response's bytes and its
Content-Type: for HTML a byte order mark, then the header's `charset`, then the `<meta>`
prescan of the first 1024 bytes (HTML Standard 13.2.3.2); for CSS a byte order mark,
then the header, then `@charset`, then the referring document's encoding (CSS Syntax
3.2). Labels map through the standard's own table (`LABELS`): `ascii` and `latin1` are
windows-1252, `utf-16` in a `<meta>` is UTF-8, `iso-2022-kr` is the replacement encoding.

The `webencodings` package (html5lib's) was not used: its table predates labels the
standard has now (`unicode11utf8`, `ucs-2`, `unicodefffe`), and it maps the replacement
encoding's labels to decoders the standard forbids (`iso-2022-kr`, `hz-gb-2312`).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator

__all__ = [
    "LABELS",
    "bom",
    "css_encoding",
    "decode",
    "encode",
    "encoded_document",
    "get_encoding",
    "html_encoding",
    "meta_declaration",
    "prescan",
    "query_encoded",
    "served_encoding",
    "utf8_charset_rule",
    "utf8_declared",
]

# The Encoding Standard's encodings and their labels (https://encoding.spec.whatwg.org/).
_TABLE: dict[str, tuple[str, ...]] = {
    "utf-8": (
        "unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8", "utf-8", "utf8",
        "x-unicode20utf8",
    ),
    "ibm866": ("866", "cp866", "csibm866", "ibm866"),
    "iso-8859-2": (
        "csisolatin2", "iso-8859-2", "iso-ir-101", "iso8859-2", "iso88592", "iso_8859-2",
        "iso_8859-2:1987", "l2", "latin2",
    ),
    "iso-8859-3": (
        "csisolatin3", "iso-8859-3", "iso-ir-109", "iso8859-3", "iso88593", "iso_8859-3",
        "iso_8859-3:1988", "l3", "latin3",
    ),
    "iso-8859-4": (
        "csisolatin4", "iso-8859-4", "iso-ir-110", "iso8859-4", "iso88594", "iso_8859-4",
        "iso_8859-4:1988", "l4", "latin4",
    ),
    "iso-8859-5": (
        "csisolatincyrillic", "cyrillic", "iso-8859-5", "iso-ir-144", "iso8859-5",
        "iso88595", "iso_8859-5", "iso_8859-5:1988",
    ),
    "iso-8859-6": (
        "arabic", "asmo-708", "csiso88596e", "csiso88596i", "csisolatinarabic", "ecma-114",
        "iso-8859-6", "iso-8859-6-e", "iso-8859-6-i", "iso-ir-127", "iso8859-6", "iso88596",
        "iso_8859-6", "iso_8859-6:1987",
    ),
    "iso-8859-7": (
        "csisolatingreek", "ecma-118", "elot_928", "greek", "greek8", "iso-8859-7",
        "iso-ir-126", "iso8859-7", "iso88597", "iso_8859-7", "iso_8859-7:1987",
        "sun_eu_greek",
    ),
    "iso-8859-8": (
        "csiso88598e", "csisolatinhebrew", "hebrew", "iso-8859-8", "iso-8859-8-e",
        "iso-ir-138", "iso8859-8", "iso88598", "iso_8859-8", "iso_8859-8:1988", "visual",
    ),
    "iso-8859-8-i": ("csiso88598i", "iso-8859-8-i", "logical"),
    "iso-8859-10": (
        "csisolatin6", "iso-8859-10", "iso-ir-157", "iso8859-10", "iso885910", "l6",
        "latin6",
    ),
    "iso-8859-13": ("iso-8859-13", "iso8859-13", "iso885913"),
    "iso-8859-14": ("iso-8859-14", "iso8859-14", "iso885914"),
    "iso-8859-15": (
        "csisolatin9", "iso-8859-15", "iso8859-15", "iso885915", "iso_8859-15", "l9",
    ),
    "iso-8859-16": ("iso-8859-16",),
    "koi8-r": ("cskoi8r", "koi", "koi8", "koi8-r", "koi8_r"),
    "koi8-u": ("koi8-ru", "koi8-u"),
    "macintosh": ("csmacintosh", "mac", "macintosh", "x-mac-roman"),
    "windows-874": (
        "dos-874", "iso-8859-11", "iso8859-11", "iso885911", "tis-620", "windows-874",
    ),
    "windows-1250": ("cp1250", "windows-1250", "x-cp1250"),
    "windows-1251": ("cp1251", "windows-1251", "x-cp1251"),
    "windows-1252": (
        "ansi_x3.4-1968", "ascii", "cp1252", "cp819", "csisolatin1", "ibm819", "iso-8859-1",
        "iso-ir-100", "iso8859-1", "iso88591", "iso_8859-1", "iso_8859-1:1987", "l1",
        "latin1", "us-ascii", "windows-1252", "x-cp1252",
    ),
    "windows-1253": ("cp1253", "windows-1253", "x-cp1253"),
    "windows-1254": (
        "cp1254", "csisolatin5", "iso-8859-9", "iso-ir-148", "iso8859-9", "iso88599",
        "iso_8859-9", "iso_8859-9:1989", "l5", "latin5", "windows-1254", "x-cp1254",
    ),
    "windows-1255": ("cp1255", "windows-1255", "x-cp1255"),
    "windows-1256": ("cp1256", "windows-1256", "x-cp1256"),
    "windows-1257": ("cp1257", "windows-1257", "x-cp1257"),
    "windows-1258": ("cp1258", "windows-1258", "x-cp1258"),
    "x-mac-cyrillic": ("x-mac-cyrillic", "x-mac-ukrainian"),
    "gbk": (
        "chinese", "csgb2312", "csiso58gb231280", "gb2312", "gb_2312", "gb_2312-80", "gbk",
        "iso-ir-58", "x-gbk",
    ),
    "gb18030": ("gb18030",),
    "big5": ("big5", "big5-hkscs", "cn-big5", "csbig5", "x-x-big5"),
    "euc-jp": ("cseucpkdfmtjapanese", "euc-jp", "x-euc-jp"),
    "iso-2022-jp": ("csiso2022jp", "iso-2022-jp"),
    "shift_jis": (
        "csshiftjis", "ms932", "ms_kanji", "shift-jis", "shift_jis", "sjis", "windows-31j",
        "x-sjis",
    ),
    "euc-kr": (
        "cseuckr", "csksc56011987", "euc-kr", "iso-ir-149", "korean", "ks_c_5601-1987",
        "ks_c_5601-1989", "ksc5601", "ksc_5601", "windows-949",
    ),
    "replacement": (
        "csiso2022kr", "hz-gb-2312", "iso-2022-cn", "iso-2022-cn-ext", "iso-2022-kr",
        "replacement",
    ),
    "utf-16be": ("unicodefffe", "utf-16be"),
    "utf-16le": (
        "csunicode", "iso-10646-ucs-2", "ucs-2", "unicode", "unicodefeff", "utf-16",
        "utf-16le",
    ),
    "x-user-defined": ("x-user-defined",),
}  # fmt: skip

LABELS: dict[str, str] = {label: name for name, labels in _TABLE.items() for label in labels}

# Python's codec for each encoding (the standard's GBK decoder is its gb18030 decoder,
# its Shift_JIS and EUC-KR are Microsoft's). windows-1252, x-user-defined and
# replacement are decoded below.
_CODECS: dict[str, str] = {
    "utf-8": "utf-8",
    "ibm866": "cp866",
    **{f"iso-8859-{n}": f"iso8859_{n}" for n in (2, 3, 4, 5, 6, 7, 8, 10, 13, 14, 15, 16)},
    "iso-8859-8-i": "iso8859_8",
    "koi8-r": "koi8_r",
    "koi8-u": "koi8_u",
    "macintosh": "mac_roman",
    "windows-874": "cp874",
    **{f"windows-{n}": f"cp{n}" for n in range(1250, 1259)},
    "x-mac-cyrillic": "mac_cyrillic",
    "gbk": "gb18030",
    "gb18030": "gb18030",
    "big5": "big5hkscs",
    "euc-jp": "euc_jp",
    "iso-2022-jp": "iso2022_jp",
    "shift_jis": "cp932",
    "euc-kr": "cp949",
    "utf-16be": "utf-16-be",
    "utf-16le": "utf-16-le",
}

# windows-1252 as the standard has it: the five bytes Python's cp1252 leaves undefined
# are the C1 controls of the same number.
_WINDOWS_1252 = {b: bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in range(256)}
_X_USER_DEFINED = {b: chr(0xF780 + b - 0x80) for b in range(0x80, 0x100)}

_WHITESPACE = b"\t\n\x0c\r "
_UTF16 = ("utf-16be", "utf-16le")


def get_encoding(label: str | bytes) -> str | None:
    """The encoding `label` names (the standard's "get an encoding"), or None."""
    if isinstance(label, bytes):
        label = label.decode("latin-1")
    return LABELS.get(label.strip("\t\n\x0c\r ").lower())


def bom(data: bytes) -> tuple[str, int] | None:
    """The encoding a byte order mark at the start of `data` names, and its length."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8", 3
    if data.startswith(b"\xfe\xff"):
        return "utf-16be", 2
    if data.startswith(b"\xff\xfe"):
        return "utf-16le", 2
    return None


def _header_charset(content_type: str) -> str | None:
    """The encoding the Content-Type's `charset` parameter names, or None."""
    for part in content_type.split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip("\t\n\r ").lower() == "charset":
            value = value.strip("\t\n\r ")
            if value.startswith('"'):
                value = value[1:].partition('"')[0]
            return get_encoding(value)
    return None


def html_encoding(data: bytes, content_type: str = "", default: str | None = None) -> str:
    """The encoding a browser decodes the HTML document `data` with: BOM, header, meta
    prescan; then `default`, or where none is given UTF-8 when the bytes are valid UTF-8
    and windows-1252 when not (what browsers' detectors settle on for unlabeled pages)."""
    found = bom(data)
    if found:
        return found[0]
    declared = _header_charset(content_type) or prescan(data)
    if declared:
        return declared
    if default:
        return default
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "windows-1252"
    return "utf-8"


def css_encoding(data: bytes, content_type: str = "", referrer: str | None = None) -> str:
    """The encoding a browser decodes the stylesheet `data` with: BOM, header,
    `@charset "…";`, the referring document's encoding, UTF-8."""
    found = bom(data)
    if found:
        return found[0]
    declared = _header_charset(content_type)
    if declared:
        return declared
    if data.startswith(b'@charset "'):
        label, quote, _ = data[10:1024].partition(b'";')
        declared = get_encoding(label) if quote else None
        if declared:
            return "utf-8" if declared in _UTF16 else declared
    return referrer or "utf-8"


def script_encoding(data: bytes, content_type: str = "") -> str:
    """The encoding the proxy reads a script with: BOM, header, else UTF-8 (the
    referring element's `charset` and document encoding are not tracked per request)."""
    found = bom(data)
    if found:
        return found[0]
    return _header_charset(content_type) or "utf-8"


def decode(data: bytes, encoding: str) -> str:
    """`data` as text (the standard's "decode"): a byte order mark wins over `encoding`
    and is dropped; bytes the encoding cannot map become U+FFFD."""
    found = bom(data)
    if found:
        encoding, size = found
        data = data[size:]
    if encoding == "windows-1252":
        return data.decode("latin-1").translate(_WINDOWS_1252)
    if encoding == "x-user-defined":
        return data.decode("latin-1").translate(_X_USER_DEFINED)
    if encoding == "replacement":
        return "\ufffd" if data else ""
    return codecs.decode(data, _CODECS.get(encoding, "utf-8"), errors="replace")


def served_encoding(encoding: str) -> str:
    """The encoding a document decoded with `encoding` is served in: its own, except the
    replacement encoding, whose output encoding is UTF-8 (the standard's "get an output
    encoding"; a UTF-16 document keeps its encoding: it is served, not submitted)."""
    return "utf-8" if encoding == "replacement" else encoding


# What the standard's windows-1252 and x-user-defined encoders give that Python's codecs
# do not: the five C1 controls cp1252 leaves out, and the private-use range.
_WINDOWS_1252_EXTRA = {chr(b): bytes([b]) for b in (0x81, 0x8D, 0x8F, 0x90, 0x9D)}
_X_USER_DEFINED_BYTES = {chr(0xF780 + b - 0x80): bytes([b]) for b in range(0x80, 0x100)}


def encode(text: str, encoding: str) -> bytes:
    """`text` in `encoding`, as an HTML document's bytes (the standard's "encode" with
    the HTML error mode): a character the encoding cannot hold becomes a numeric
    character reference (`&#20013;`), which the parser reads back as that character in
    text and attribute values. `decode` then `encode` gives the document's own bytes
    back (a byte order mark aside); a lone surrogate in UTF-8 or UTF-16 becomes a
    reference too (U+FFFD to the parser). Never raises."""
    encoding = served_encoding(encoding)
    if encoding == "x-user-defined":
        return _NON_ASCII.sub(_x_user_defined, text).encode("latin-1")
    codec = _CODECS.get(encoding, "utf-8")
    if encoding == "windows-1252" and not text.isascii():
        return b"".join(
            _WINDOWS_1252_EXTRA.get(part) or part.encode(codec, "xmlcharrefreplace")
            for part in _WINDOWS_1252_C1.split(text)
        )
    return text.encode(codec, "xmlcharrefreplace")  # linear, in C, stateful codecs too


_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_WINDOWS_1252_C1 = re.compile("([\x81\x8d\x8f\x90\x9d])")


def _x_user_defined(match: re.Match[str]) -> str:
    """A non-ASCII character as x-user-defined has it (U+F780 to U+F7FF are the bytes
    0x80 to 0xFF; latin-1 then writes them), else a character reference."""
    c = ord(match.group())
    return chr(c - 0xF700) if 0xF780 <= c <= 0xF7FF else f"&#{c};"


def encoded_document(text: str, encoding: str, original: bytes) -> tuple[bytes, str]:
    """The rewritten HTML document `text`, decoded with `encoding` from the response body
    `original`, as the bytes to serve and the encoding to label them with: the page's own
    (so `document.characterSet`, and the encoding the browser percent-encodes the page's
    URL queries and form submissions in, are the site's), its byte order mark kept; the
    replacement encoding as UTF-8, its `<meta>` then naming UTF-8."""
    served = served_encoding(encoding)
    body = encode(text, served)
    if served != encoding:
        return utf8_declared(body), served
    found = bom(original)
    if found is not None and found[0] == served:
        body = original[: found[1]] + body
    return body, served


# The bytes the URL standard percent-encodes in the query of an http(s) URL.
_QUERY_ESCAPED = frozenset([*range(0x21), *b"\"#<>'", *range(0x7F, 0x100)])


def query_encoded(url: str, encoding: str) -> str:
    """`url` (absolute, or its path-query-fragment, as written) with the non-ASCII
    characters of its query percent-encoded as Chromium sends them from a document in
    `encoding` (the URL standard's query state): from the document's encoding (UTF-8 for
    UTF-16 and replacement documents), a character it cannot hold as `%26%23N%3B`
    (`&#N;`, escaped). Everything else stays as written: the browser encodes the path
    and fragment from UTF-8 whatever the page's encoding. Never raises."""
    output = "utf-8" if encoding in _UTF16 else served_encoding(encoding)
    start = url.find("?")
    end = url.find("#")
    if output == "utf-8" or start < 0 or 0 <= end < start or url.isascii():
        return url
    end = len(url) if end < 0 else end
    query = url[start + 1 : end]
    if query.isascii():
        return url
    # The standard's GBK encoder is GB18030's without its four-byte sequences.
    codec = "gbk" if output == "gbk" else _CODECS.get(output, "utf-8")
    extra = _WINDOWS_1252_EXTRA if output == "windows-1252" else {}
    if output == "x-user-defined":
        codec, extra = "ascii", _X_USER_DEFINED_BYTES
    out = []
    seen: dict[str, str] = {}  # a character's escape, for codecs without state
    for run in _NON_ASCII_RUN.split(query):
        if run.isascii():
            out.append(run)
        elif output == "iso-2022-jp":  # a run is one escape sequence, as Chromium has it
            out.extend(_query_char(part, codec, extra) for part in _segments(run, codec))
        else:
            for c in run:
                escaped = seen.get(c)
                if escaped is None:
                    escaped = seen[c] = _query_char(c, codec, extra)
                out.append(escaped)
    return url[: start + 1] + "".join(out) + url[end:]


_NON_ASCII_RUN = re.compile(r"([^\x00-\x7f]+)")
_QUERY_BYTES = tuple(f"%{b:02X}" if b in _QUERY_ESCAPED else chr(b) for b in range(256))


def _query_char(part: str | bytes, codec: str, extra: dict[str, bytes]) -> str:
    """A character (or a run's bytes) as a query has it: its bytes, escaped where the
    URL standard escapes them; a character the encoding lacks as `%26%23N%3B`."""
    if isinstance(part, str):
        raw = extra.get(part)
        if raw is None:
            try:
                raw = part.encode(codec)
            except UnicodeEncodeError:
                return f"%26%23{ord(part)}%3B"
        part = raw
    return "".join(_QUERY_BYTES[b] for b in part)


def _segments(text: str, codec: str) -> Iterator[bytes | str]:
    """`text` through `codec`: the bytes of each run it can encode (whole, as a
    stateful codec encodes it), and each character it cannot, as it is. Linear: each
    distinct character is tried once."""
    start = 0
    holds: dict[str, bool] = {}
    for i, c in enumerate(text):
        if c not in holds:
            try:
                holds[c] = bool(c.encode(codec))
            except UnicodeEncodeError:
                holds[c] = False
        if not holds[c]:
            if start < i:
                yield text[start:i].encode(codec)
            yield c
            start = i + 1
    if start < len(text):
        yield text[start:].encode(codec)


# The <meta> prescan (HTML Standard, "prescan a byte stream to determine its encoding").


def _lower(b: bytes) -> bytes:
    return b.lower()  # ASCII-only, as the standard lowercases


def _attribute(data: bytes, pos: int) -> tuple[bytes, bytes, int, int, int] | None:
    """The attribute at `pos`: name, value, the value's span and the position after."""
    n = len(data)
    while pos < n and data[pos] in _WHITESPACE + b"/":
        pos += 1
    if pos >= n or data[pos] == 0x3E:
        return None
    name = bytearray()
    while True:
        if pos >= n:
            return bytes(name), b"", pos, pos, pos
        c = data[pos]
        if c == 0x3D and name:  # '='
            pos += 1
            break
        if c in _WHITESPACE:
            while pos < n and data[pos] in _WHITESPACE:
                pos += 1
            if pos >= n or data[pos] != 0x3D:
                return _lower(bytes(name)), b"", pos, pos, pos
            pos += 1
            break
        if c in b"/>":
            return _lower(bytes(name)), b"", pos, pos, pos
        name.append(c)
        pos += 1
    key = _lower(bytes(name))
    while pos < n and data[pos] in _WHITESPACE:
        pos += 1
    if pos >= n:
        return key, b"", pos, pos, pos
    if data[pos] in b"\"'":
        quote = data[pos]
        start = pos + 1
        end = data.find(bytes([quote]), start)
        if end < 0:
            return key, _lower(data[start:]), start, n, n
        return key, _lower(data[start:end]), start, end, end + 1
    if data[pos] == 0x3E:
        return key, b"", pos, pos, pos
    start = pos
    while pos < n and data[pos] not in _WHITESPACE + b">":
        pos += 1
    return key, _lower(data[start:pos]), start, pos, pos


def _from_content(value: bytes) -> tuple[str | None, int, int] | None:
    """The encoding a meta `content` names (`text/html; charset=…`), and the label's
    span in `value`; None where it names none (the standard's "extracting a character
    encoding from a meta element")."""
    pos = 0
    while True:
        at = value.find(b"charset", pos)
        if at < 0:
            return None
        pos = at + 7
        while pos < len(value) and value[pos] in _WHITESPACE:
            pos += 1
        if pos < len(value) and value[pos] == 0x3D:
            break
    pos += 1
    while pos < len(value) and value[pos] in _WHITESPACE:
        pos += 1
    if pos >= len(value):
        return None
    if value[pos] in b"\"'":
        end = value.find(value[pos : pos + 1], pos + 1)
        if end < 0:
            return None
        return get_encoding(value[pos + 1 : end]), pos + 1, end
    end = pos
    while end < len(value) and value[end] not in _WHITESPACE + b";":
        end += 1
    return get_encoding(value[pos:end]), pos, end


def meta_declaration(data: bytes) -> tuple[str, int, int] | None:
    """The encoding the first 1024 bytes' `<meta>` declares, as the prescan reads it, and
    the span of its label in `data`."""
    data = data[:1024]
    n = len(data)
    pos = 0
    while pos < n:
        if data.startswith(b"<!--", pos):
            end = data.find(b"-->", pos + 2)
            if end < 0:
                return None
            pos = end + 3
            continue
        low = _lower(data[pos : pos + 6])
        if low[:5] == b"<meta" and len(low) == 6 and low[5] in _WHITESPACE + b"/":
            found = _meta(data, pos + 6)
            if found:
                return found
            pos = _skip_attributes(data, pos + 6)
            continue
        tag = data[pos + 1 : pos + 3].removeprefix(b"/")[:1]
        if data[pos] == 0x3C and tag.isalpha():  # a start or end tag
            while pos < n and data[pos] not in _WHITESPACE + b">":
                pos += 1
            pos = _skip_attributes(data, pos)
            continue
        if data[pos] == 0x3C and data[pos + 1 : pos + 2] in (b"!", b"/", b"?"):
            end = data.find(b">", pos)
            if end < 0:
                return None
            pos = end + 1
            continue
        pos += 1
    return None


def _skip_attributes(data: bytes, pos: int) -> int:
    while (attr := _attribute(data, pos)) is not None:
        if attr[4] <= pos:  # an attribute cut off at the end
            return len(data)
        pos = attr[4]
    return pos + 1


def _meta(data: bytes, pos: int) -> tuple[str, int, int] | None:
    seen: set[bytes] = set()
    got_pragma = False
    need_pragma: bool | None = None
    charset: str | None = None
    span = (0, 0)
    while (attr := _attribute(data, pos)) is not None:
        name, value, start, end, after = attr
        if after <= pos:
            break
        pos = after
        if name in seen:
            continue
        seen.add(name)
        if name == b"http-equiv":
            got_pragma = got_pragma or value == b"content-type"
        elif name == b"content" and need_pragma is None:
            found = _from_content(value)
            if found is not None:
                charset, span = found[0], (start + found[1], start + found[2])
                need_pragma = True
        elif name == b"charset":
            charset, span = get_encoding(value), (start, end)
            need_pragma = False
    if need_pragma is None or (need_pragma and not got_pragma) or charset is None:
        return None
    if charset in _UTF16:
        charset = "utf-8"
    elif charset == "x-user-defined":
        charset = "windows-1252"
    return charset, span[0], span[1]


def prescan(data: bytes) -> str | None:
    """The encoding the `<meta>` prescan finds in `data`, or None."""
    found = meta_declaration(data)
    return found[0] if found else None


def utf8_declared(body: bytes) -> bytes:
    """The UTF-8 `body` with the `<meta>` declaration the prescan finds in it, where that
    names another encoding, naming UTF-8: what the page says then matches how it is
    served (`charset=utf-8`), for a reader of the page and for a browser without the
    header alike. A declaration the prescan ignores stays as it is."""
    found = meta_declaration(body)
    if found is None or found[0] == "utf-8":
        return body
    _, start, end = found
    return body[:start] + b"utf-8" + body[end:]


def utf8_charset_rule(body: bytes) -> bytes:
    """The UTF-8 stylesheet `body` with a leading `@charset "…";` naming UTF-8, as it is
    served; any other `@charset` (not first, or not in this exact form) is one the
    browser ignores, and stays."""
    if not body.startswith(b'@charset "'):
        return body
    label, quote, _ = body[10:1024].partition(b'";')
    if not quote or get_encoding(label) == "utf-8":
        return body
    return b'@charset "utf-8";' + body[10 + len(label) + 2 :]
