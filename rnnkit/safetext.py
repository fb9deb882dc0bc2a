"""Text that came from a submission, made safe to show.

Messages, printed output, exception and class names all come, in the end, from code we do not
trust. They are data: never markup, never terminal control, always encodable. The results JSON
keeps them as they are (minus what cannot be encoded); every view goes through these:

    printable(s)  lone surrogates -> U+FFFD, control and bidi-override characters -> \\x1b-style escapes
    terminal(s)   a rich Text (never parsed as markup) of printable(s)
    html(s)       printable(s), HTML-escaped
"""

from __future__ import annotations

import html as _html
import re

from rich.text import Text

# C0/C1 controls but tab and newline, DEL, and the Unicode bidi controls that reorder what is shown
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def encodable(text: str) -> str:
    """The same text where every character encodes as UTF-8 (lone surrogates replaced)."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")


def printable(text: object) -> str:
    return _UNSAFE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                       else f"\\u{ord(m.group()):04x}", encodable(str(text)))


def terminal(text: object, style: str = "") -> Text:
    return Text(printable(text), style=style)


def html(text: object) -> str:
    return _html.escape(printable(text), quote=True)
