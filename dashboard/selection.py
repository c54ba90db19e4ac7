"""Sample ids picked in a plotly chart's selection event (click, box or lasso).

Every map trace carries the sample id as the first ``customdata`` column. In a real
browser a point's ``customdata`` arrives as a list (``[id, ...]``) or as a dict
(``{"0": id, ...}``); ``point_index`` counts within its own trace and is never used.
"""

from __future__ import annotations

__all__ = ["selected_ids"]


def _first(customdata):
    if isinstance(customdata, dict):
        if "0" in customdata:
            return customdata["0"]
        if 0 in customdata:
            return customdata[0]
        return next(iter(customdata.values()), None)
    if isinstance(customdata, (list, tuple)):
        return customdata[0] if customdata else None
    return customdata  # a scalar customdata column


def selected_ids(event, *, id_type=int) -> list:
    """Sample ids in a selection event, in the order reported, without duplicates.

    Parameters
    ----------
    event : mapping or None
        What ``st.plotly_chart(on_select=...)`` returns or stores under its key:
        ``{"selection": {"points": [{"customdata": ..., ...}, ...], ...}}``.
    id_type : {int, str}, default=int
        Type of the collection's ids; float ids from JSON (``3.0``) become ``3``.

    Returns
    -------
    list of ids
        Points without customdata (e.g. a heatmap cell) are skipped.
    """
    if not event:
        return []
    try:
        points = event["selection"]["points"]
    except (KeyError, TypeError):
        return []
    out, seen = [], set()
    for p in points or ():
        try:
            raw = _first(p["customdata"])
        except (KeyError, TypeError):
            continue
        if raw is None:
            continue
        try:
            i = int(raw) if id_type is int else str(raw)
        except (TypeError, ValueError):
            continue
        if id_type is int and isinstance(raw, float) and raw != int(raw):
            continue
        if i not in seen:
            seen.add(i)
            out.append(i)
    return out

