"""``stitchboard reproduce``: the paper's central effects, recomputed on the bundled data.

One module per section of the report (:mod:`.isometry`, :mod:`.retrieval`,
:mod:`.stitching_table`, :mod:`.translation_table`, :mod:`.anchor_curve`,
:mod:`.invariance`), each a function returning a :class:`~.section.Section`;
:mod:`.report` runs them in order with progress and cancellation, and :mod:`.html`
writes the self-contained HTML page (plotly.js inline, so it opens offline).
"""
