"""Text that is safe to print: control, format and bidi characters are shown escaped, never obeyed.

A file name such as "a\\x1b[2J\\rb.ipynb" or a student id holding "\\x1b]0;title\\x07" could clear
the teacher's terminal, rewrite a line or retitle the window; a right-to-left override (U+202E)
can make "evil\\u202egpj.ipynb" look like "evilbnpi.jpg". Every name or id the `notalone`
command shows goes through `printable` first.
"""

from __future__ import annotations

from pathlib import Path


def _escape(character: str) -> str:
    code = ord(character)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def printable(text: Path | str) -> str:
    """`text` on one line, every character that is not printable (controls, line breaks, tabs, bidi
    overrides and other format characters, unusual spaces) written as a Python escape such as \\x1b."""
    return "".join(c if c.isprintable() else _escape(c) for c in str(text))


def printable_lines(text: object) -> str:
    """A message of several lines: each line made printable, the line breaks kept."""
    return "\n".join(printable(line) for line in str(text).split("\n"))


__all__ = ["printable", "printable_lines"]
