"""An editable anchor set with an undo history (what the dashboard edits by clicks).

The set is a tuple of sample **ids** in the order they were added. Every edit returns a
new :class:`AnchorHistory` (the old one is never changed), so a UI can keep it in its
session state and compare versions.

Examples
--------
>>> h = AnchorHistory([1, 2, 3])
>>> h = h.toggle([3, 4])        # a group with a non-anchor: add the missing ones
>>> h.ids
(1, 2, 3, 4)
>>> h.toggle([3, 4]).ids        # every id already an anchor: remove them
(1, 2)
>>> h.undo().ids
(1, 2, 3)
>>> parse_ids("5, 7-9 12", int)
[5, 7, 8, 9, 12]
"""

from __future__ import annotations

import re

import numpy as np

from ..errors import AnchorError

__all__ = ["AnchorHistory", "parse_ids"]

#: Undo steps kept by default.
MAX_UNDO = 50


class AnchorHistory:
    """Anchor ids plus the previous versions, newest last.

    Parameters
    ----------
    ids : sequence of ids, default=()
        The current anchors; duplicates are dropped, first occurrence kept.
    undo : sequence of sequences of ids, default=()
        Earlier versions, oldest first.
    max_undo : int, default=50
        Versions kept; the oldest are forgotten first.
    """

    __slots__ = ("ids", "_undo", "max_undo")

    def __init__(self, ids=(), *, undo=(), max_undo: int = MAX_UNDO):
        self.ids = _unique(ids)
        self._undo = tuple(_unique(u) for u in undo)[-max_undo:] if max_undo > 0 else ()
        self.max_undo = max_undo

    def __len__(self) -> int:
        return len(self.ids)

    def __repr__(self) -> str:
        return f"AnchorHistory({len(self.ids)} anchors, {len(self._undo)} undo steps)"

    @property
    def can_undo(self) -> bool:
        """Whether :meth:`undo` has a version to go back to."""
        return bool(self._undo)

    @property
    def n_undo(self) -> int:
        return len(self._undo)

    def _push(self, new_ids) -> AnchorHistory:
        new_ids = _unique(new_ids)
        if new_ids == self.ids:
            return self
        return AnchorHistory(new_ids, undo=self._undo + (self.ids,), max_undo=self.max_undo)

    def replace(self, ids) -> AnchorHistory:
        """The set becomes ``ids`` (one undo step)."""
        return self._push(ids)

    def add(self, ids) -> AnchorHistory:
        """Add the ids not in the set yet, keeping the order."""
        return self._push(self.ids + tuple(i for i in _unique(ids) if i not in set(self.ids)))

    def remove(self, ids) -> AnchorHistory:
        """Remove the given ids (unknown ones are ignored)."""
        drop = set(_unique(ids))
        return self._push(tuple(i for i in self.ids if i not in drop))

    def toggle(self, ids) -> AnchorHistory:
        """Toggle a group of ids as one edit.

        When every id is already an anchor they are all removed; otherwise the ones
        missing are added. For a single id this is a plain toggle.
        """
        ids = _unique(ids)
        if not ids:
            return self
        current = set(self.ids)
        if all(i in current for i in ids):
            return self.remove(ids)
        return self.add(ids)

    def fill(self, candidates, *, n_anchors: int) -> AnchorHistory:
        """Keep the set and add ``candidates`` not in it until it holds ``n_anchors``."""
        have = set(self.ids)
        extra = [i for i in _unique(candidates) if i not in have][: max(n_anchors - len(self.ids), 0)]
        return self._push(self.ids + tuple(extra))

    def clear(self) -> AnchorHistory:
        """No anchors (one undo step)."""
        return self._push(())

    def undo(self) -> AnchorHistory:
        """The previous version; unchanged when there is none."""
        if not self._undo:
            return self
        return AnchorHistory(self._undo[-1], undo=self._undo[:-1], max_undo=self.max_undo)


def _unique(ids) -> tuple:
    out, seen = [], set()
    for i in list(ids):
        i = i.item() if isinstance(i, np.generic) else i
        if i not in seen:
            seen.add(i)
            out.append(i)
    return tuple(out)


_RANGE = re.compile(r"^(-?\d+)\s*(?:-|\.\.)\s*(-?\d+)$")


def parse_ids(text: str, id_type=int, *, max_range: int = 100_000) -> list:
    """Ids typed by a user: separated by commas, semicolons or spaces; ``a-b`` ranges for ints.

    Parameters
    ----------
    text : str
    id_type : {int, str}, default=int
        The type of the collection's ids.
    max_range : int, default=100000
        Longest range accepted.

    Returns
    -------
    list of ids, in the order typed, duplicates dropped.

    Raises
    ------
    AnchorError
        A token that is not an id of that type, or a reversed or too long range.
    """
    out: list = []
    text = text.strip()
    if not text:
        return out
    text = re.sub(r"(\d)\s*(-|\.\.)\s*(?=\d)", r"\1\2", text)  # "7 - 9" -> "7-9"
    tokens = [t for t in re.split(r"[,;\s]+", text) if t]
    for tok in tokens:
        if id_type is int:
            m = _RANGE.match(tok)
            if m:
                lo, hi = int(m.group(1)), int(m.group(2))
                if hi < lo or hi - lo + 1 > max_range:
                    raise AnchorError(f"range {tok!r} must go upwards and span at most {max_range} ids")
                out.extend(range(lo, hi + 1))
                continue
            try:
                out.append(int(tok))
            except ValueError:
                raise AnchorError(f"{tok!r} is not an integer id; type ids like 3, 17, 20-25") from None
        else:
            out.append(str(tok))
    return list(_unique(out))
