"""Exercise files as UTF-8 text with LF line endings, whatever editor wrote them.

``decode_source(raw, name)`` returns (text, notes) or raises Undecodable with a message saying
what the bytes were: BOMs (UTF-8, UTF-16, UTF-32) are honoured and dropped, UTF-16 without a BOM
is recognised by its zero bytes, invalid UTF-8 falls back to Latin-1 (cp1252), CRLF and CR become
LF, and a few stray NUL bytes are removed. Binary content and broken UTF-16 are refused.
"""

from __future__ import annotations

import codecs

_BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
         (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
MAX_STRAY_NULS = 16


class Undecodable(ValueError):
    """Bytes that are not the text of a Python file; the message says which encoding failed and why."""


def _utf16_without_bom(raw: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' when most odd (even) bytes are zero, as in ASCII text stored as UTF-16."""
    if len(raw) < 4:
        return None
    even, odd = raw[0::2], raw[1::2]
    if odd.count(0) > 0.8 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.8 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return None


def _unicode(raw: bytes, name: str, notes: list[str]) -> str:
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            body = raw[len(bom):]
            try:
                text = body.decode(encoding)
            except UnicodeDecodeError as exc:
                raise Undecodable(f"{name} starts with a {encoding.upper()} byte-order mark but is not valid "
                                  f"{encoding.upper()} (byte {exc.start + len(bom)}); save it again as UTF-8") from None
            notes.append(f"decoded from {encoding.upper()} (byte-order mark)" if encoding != "utf-8"
                         else "UTF-8 byte-order mark removed")
            return text
    guessed = _utf16_without_bom(raw)
    if guessed:
        try:
            text = raw.decode(guessed)
        except UnicodeDecodeError:
            raise Undecodable(f"{name} looks like {guessed.upper()} (every other byte is zero) but does not "
                              "decode as it (an odd number of bytes?); save it again as UTF-8") from None
        notes.append(f"decoded from {guessed.upper()} (no byte-order mark)")
        return text
    nuls = raw.count(0)
    controls = sum(1 for byte in raw if byte < 32 and byte not in (9, 10, 12, 13))
    if raw and controls - nuls > 0.05 * len(raw):
        raise Undecodable(f"{name} is a binary file ({controls} control bytes), not Python source; "
                          "submit the .py file itself")
    if nuls > MAX_STRAY_NULS:
        raise Undecodable(f"{name} holds {nuls} NUL bytes: it is a binary file, not Python source; "
                          "submit the .py file itself")
    if nuls:
        raw = raw.replace(b"\x00", b"")
        notes.append(f"{nuls} NUL byte(s) removed")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        notes.append(f"not valid UTF-8 (byte {exc.start}): decoded as Latin-1 (cp1252)")
        return raw.decode("cp1252", errors="replace")


def decode_source(raw: bytes, name: str) -> tuple[str, list[str]]:
    notes: list[str] = []
    text = _unicode(raw, name, notes)
    if "\x00" in text:
        raise Undecodable(f"{name} holds NUL characters after decoding; save it again as UTF-8 text")
    if "\r" in text:
        notes.append("CRLF line endings converted" if "\r\n" in text else "CR line endings converted")
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text, notes
