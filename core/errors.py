"""Stitchboard's documented error types.

Every error we raise on bad input is one of these. They subclass the built-in
``ValueError`` / ``TypeError`` so callers' existing handlers keep working, and each
message names what is wrong and how to fix it.

=========================  =======================  =====================================
type                       built-in base            raised when
=========================  =======================  =====================================
``StitchboardError``       ``Exception``            base of all below (catch-all)
``InvalidInputError``      ``ValueError``           bad values or shapes (NaN, 1-D, ...)
``InvalidTypeError``       ``TypeError``            wrong type (a str where ids belong)
``AnchorError``            ``InvalidInputError``    bad anchor ids or counts
``UnknownIdError``         ``AnchorError``,         ids that are not in a space (also a
                           ``KeyError``             ``KeyError``, as a lookup failure)
``MismatchError``          ``InvalidInputError``    spaces that cannot be matched
``LoadError``              ``InvalidInputError``    a file that cannot be read
``UnsafeFileError``        ``LoadError``            a file that would need unpickling
``FileTooLargeError``      ``LoadError``            an input over a limit of :mod:`core.limits`
``CancelledError``         ``StitchboardError``     a long computation was stopped by its
                                                    ``should_stop`` callback (not bad input)
=========================  =======================  =====================================
"""

from __future__ import annotations

__all__ = [
    "StitchboardError",
    "InvalidInputError",
    "InvalidTypeError",
    "AnchorError",
    "UnknownIdError",
    "MismatchError",
    "LoadError",
    "UnsafeFileError",
    "FileTooLargeError",
    "CancelledError",
]


class StitchboardError(Exception):
    """Base class of every error Stitchboard raises on bad input."""


class InvalidInputError(StitchboardError, ValueError):
    """A value or shape is not usable (NaN/Inf, wrong ndim, empty, out of range...)."""


class InvalidTypeError(StitchboardError, TypeError):
    """An argument has the wrong type."""


class AnchorError(InvalidInputError):
    """Anchor ids or anchor counts are invalid (duplicates, unknown ids, n_anchors > n)."""


class UnknownIdError(AnchorError, KeyError):
    """Ids (anchor ids, ids to look up) that are not in a space; the message lists them.

    Also a ``KeyError``, so ``except KeyError`` around a lookup keeps working. Unlike a
    bare ``KeyError``, ``str(exc)`` is the plain message, not its quoted repr.
    """

    def __str__(self) -> str:
        return Exception.__str__(self)


class MismatchError(InvalidInputError):
    """Spaces cannot be matched: ids, row counts or dimensions disagree."""


class LoadError(InvalidInputError):
    """A file cannot be read: truncated, corrupt, wrong format or wrong content."""


class UnsafeFileError(LoadError):
    """A file would need unpickling (object arrays, ``.pt``/``.pkl`` pickles) and is refused."""


class FileTooLargeError(LoadError):
    """An input exceeds one of the documented limits (:mod:`core.limits`); the message names its setting."""


class CancelledError(StitchboardError):
    """A long computation stopped early because its ``should_stop()`` callback returned True.

    Raised by :func:`core.maps.layout.compute_layout`, :func:`core.maps.layout.layout_pair` and
    :func:`core.methods.sweep.anchor_sweep` between stages, UMAP epochs, t-SNE iterations or sweep
    steps. Nothing partial is returned; calling again with the same arguments starts over.
    Not an input error, so it is neither a ``ValueError`` nor a ``TypeError``.
    """
