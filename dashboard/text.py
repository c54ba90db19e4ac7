"""User strings shown as plain text where Streamlit renders markdown.

The bodies of ``st.markdown``, ``st.caption``, ``st.error``/``warning``/``info``/
``success``, headings, and the labels of widgets, metrics, tabs and expanders are
GitHub-flavoured markdown plus Streamlit's extensions (``:red[...]``,
``:material/icon:``, LaTeX between ``$``). Streamlit never renders raw HTML there, but a
label ``**x**``, a file name ``[a](javascript:...)`` or ``![](http://tracker/x.png)``
would become bold text, a link or an image. Every string a user controls (labels,
file, collection and encoder names, ids, error messages quoting them) goes through
:func:`md` before it reaches one of those.

Examples
--------
>>> print(md("**x** [a](javascript:alert(1))"))
\\*\\*x\\*\\* \\[a\\]\\(javascript\\:alert\\(1\\)\\)
"""

from __future__ import annotations

import re
import string

__all__ = ["md", "code", "unmd"]

_PUNCT = frozenset(string.punctuation)
_UNESCAPE = re.compile(r"\\([" + re.escape(string.punctuation) + r"])")


def md(value) -> str:
    """``str(value)`` escaped for markdown: it renders as exactly these characters.

    A backslash before any ASCII punctuation is that character, literally (CommonMark);
    every one is escaped, so no markdown, directive, LaTeX or HTML syntax survives.
    Line breaks stay line breaks.

    Parameters
    ----------
    value : object
        Usually a str; anything else is converted with ``str``.

    Returns
    -------
    str
    """
    lines = str(value).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "  \n".join("".join("\\" + c if c in _PUNCT else c for c in line) for line in lines)


def code(value) -> str:
    """``str(value)`` as an inline code span, whatever backticks it holds.

    Nothing inside a code span is markdown. The fence is one backtick longer than the
    longest run inside, padded with a space when the text starts or ends with a
    backtick or a space (CommonMark strips one space each side). Line breaks become
    spaces, as in any code span.

    Examples
    --------
    >>> code("mlp-s0")
    '`mlp-s0`'
    >>> code("a`b")
    '``a`b``'
    """
    s = " ".join(str(value).splitlines()) or " "
    fence = "`" * (max((len(r) for r in re.findall(r"`+", s)), default=0) + 1)
    pad = " " if s.strip() and (s[0] in "` " or s[-1] in "` ") else ""
    return f"{fence}{pad}{s}{pad}{fence}"


def unmd(text: str) -> str:
    """Inverse of :func:`md` (for tests that read an element's markdown source)."""
    return _UNESCAPE.sub(r"\1", text.replace("  \n", "\n"))
