"""The report as one self-contained HTML page: plotly.js inline, so it opens offline."""

from __future__ import annotations

import datetime
import html
import math

import pandas as pd

__all__ = ["render_html"]

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #222; background: #fafafa; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 32px 64px; background: #fff; }
h1 { font-size: 1.7em; margin-bottom: 0.2em; }
h2 { margin-top: 2.2em; border-bottom: 2px solid #1f77b4; padding-bottom: 4px; }
h3 { font-size: 1.02em; margin: 1.4em 0 0.4em; color: #333; }
p.meta, p.time { color: #666; font-size: 0.9em; }
p.note { background: #fff8e1; border-left: 4px solid #ffb300; padding: 8px 12px; }
blockquote { margin: 0.6em 0; padding: 6px 12px; border-left: 4px solid #9a9a9a; background: #f4f4f4; }
table.data { border-collapse: collapse; font-size: 0.86em; margin: 6px 0 12px; }
table.data th, table.data td { border: 1px solid #ddd; padding: 3px 8px; text-align: right; }
table.data th { background: #f0f4f8; }
table.data td:first-child, table.data th:first-child { text-align: left; }
nav ol { columns: 2; }
.figure { margin: 8px 0 20px; }
"""


def _fmt(v) -> str:
    if isinstance(v, (bool,)) or v is None:
        return "" if v is None else str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "n/a"
        a = abs(v)
        if a == 0:
            return "0"
        if a >= 10:
            return f"{v:.1f}"
        if a >= 1e-3:
            return f"{v:.3f}"
        return f"{v:.1e}"
    return str(v)


def _table(df: pd.DataFrame) -> str:
    df = df.copy()
    index = not isinstance(df.index, pd.RangeIndex)
    return df.to_html(classes="data", border=0, index=index, na_rep="n/a", formatters={c: _fmt for c in df.columns},
                      escape=True, justify="center")


def _figure(fig, div_id: str) -> str:
    fig = fig.update_layout(template="plotly_white", font=dict(size=12))
    return fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id,
                       config={"displaylogo": False, "responsive": True})


def render_html(report) -> str:
    """The full page of a :class:`core.reproduce.report.Report`."""
    from plotly.offline import get_plotlyjs

    esc = html.escape
    now = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    env = ", ".join(f"{k} {v}" for k, v in report.environment.items())
    parts = [
        "<!DOCTYPE html>", "<html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        "<title>Stitchboard: reproducing relative representations</title>",
        f"<style>{_CSS}</style>",
        f"<script type='text/javascript'>{get_plotlyjs()}</script>",
        "</head><body><main>",
        "<h1>Reproducing relative representations with Stitchboard</h1>",
        f"<p class='meta'>Generated {esc(now)} by <code>stitchboard reproduce</code> in {report.seconds:.0f} s on the "
        f"bundled zoos. {esc(env)}.</p>",
        f"<p class='note'>{esc(report.pretrained_note)}</p>",
        "<h2 id='summary'>Headline numbers</h2>",
        "<p>Ours next to the published value each section compares with. Our zoos are small models of small "
        "datasets, not the papers' models: the effects should reproduce, the exact numbers need not.</p>",
        _table(report.headlines()),
        "<nav><ol>" + "".join(f"<li><a href='#{esc(s.key)}'>{esc(s.title.split('. ', 1)[-1])}</a></li>"
                              for s in report.sections) + "</ol></nav>",
    ]
    for s in report.sections:
        parts += [f"<h2 id='{esc(s.key)}'>{esc(s.title)}</h2>", f"<p>{esc(s.protocol)}</p>"]
        if s.published:
            parts.append(f"<blockquote><b>Published.</b> {esc(s.published)}</blockquote>")
        for i, (caption, fig) in enumerate(s.figures):
            parts += [f"<h3>{esc(caption)}</h3>", f"<div class='figure'>{_figure(fig, f'fig-{s.key}-{i}')}</div>"]
        for caption, df in s.tables:
            parts += [f"<h3>{esc(caption)}</h3>", _table(df)]
        if s.notes:
            parts.append("<ul>" + "".join(f"<li>{esc(n)}</li>" for n in s.notes) + "</ul>")
        if s.seconds > 0:
            parts.append(f"<p class='time'>Computed in {s.seconds:.1f} s.</p>")
    parts.append("</main></body></html>")
    return "\n".join(parts)
