"""A "Copy link" button: the address of the page as the browser shows it, to the clipboard.

Every run writes the session's key choices to the URL (:func:`dashboard.share.sync_url`),
so the browser's own address is the link to this view (dataset, encoders, anchors,
strategy, seed, layout). The button reads it when clicked: it is never stale, even when
only a fragment of the page has rerun since it was drawn. Without the Clipboard API (a
page served over plain http from another host) it copies through a selected text field,
and failing that shows the link to copy by hand.
"""

from __future__ import annotations

import streamlit as st

__all__ = ["show_copy_link"]

_JS = """
export default function (component) {
  const { parentElement } = component;
  const btn = parentElement.querySelector("button");
  const note = parentElement.querySelector(".sb-note");
  if (btn.__wired) return;
  btn.__wired = true;
  const say = (text) => { note.textContent = text; setTimeout(() => { note.textContent = ""; }, 2500); };
  const fallback = (url) => {  // no Clipboard API (not a secure context): a selected text field and execCommand
    const t = document.createElement("textarea");
    t.value = url;
    t.setAttribute("readonly", "");
    t.style.position = "fixed";
    t.style.opacity = "0";
    document.body.appendChild(t);
    t.select();
    let ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    t.remove();
    return ok;
  };
  btn.addEventListener("click", async () => {
    const url = window.location.href;
    btn.dataset.copied = url;  // what was copied, for the browser test
    try {
      await navigator.clipboard.writeText(url);
      say("Link copied");
    } catch (e) {
      if (fallback(url)) say("Link copied");
      else window.prompt("Copy this link:", url);
    }
  });
}
"""
_CSS = """
.sb-copy { display: inline-flex; align-items: center; gap: 8px; font-family: "Source Sans Pro", "Source Sans 3", sans-serif; }
.sb-copy button { display: inline-flex; align-items: center; gap: 6px; padding: 6px 12px; font: inherit; font-size: 15px;
  color: #31333f; background: #fff; border: 1px solid rgba(49, 51, 63, 0.2); border-radius: 8px; cursor: pointer;
  white-space: nowrap; }
.sb-copy button:hover { border-color: #ff4b4b; color: #ff4b4b; }
.sb-copy .sb-note { color: #21c354; font-size: 14px; white-space: nowrap; }
"""
_HTML = ("<span class='sb-copy'><button type='button' title='Copy a link to this view: dataset, encoders, anchors, "
         "strategy, seed and layout'><svg width='16' height='16' viewBox='0 0 24 24' fill='currentColor' "
         "aria-hidden='true'><path d='M3.9 12a3.1 3.1 0 0 1 3.1-3.1h4V7H7a5 5 0 0 0 0 10h4v-1.9H7A3.1 3.1 0 0 1 3.9 12zM8 "
         "13h8v-2H8v2zm9-6h-4v1.9h4a3.1 3.1 0 0 1 0 6.2h-4V17h4a5 5 0 0 0 0-10z'/></svg>Copy link</button>"
         "<span class='sb-note' aria-live='polite'></span></span>")
_COPY = st.components.v2.component("stitchboard_copy_link", html=_HTML, css=_CSS, js=_JS)


def show_copy_link(*, key: str = "copy_link") -> None:
    """The button, here."""
    _COPY(key=key, width="content", height="content")
