"""Reproduce the paper: build the `stitchboard reproduce` report, download it or read it here."""

import streamlit as st

from dashboard import bootstrap, controls, jobs, panels, results, share, tables

bootstrap.prepare()
st.title("Reproduce the paper")
share.show_url_error()
controls.what_note(
    "The central effects of *Relative representations enable zero-shot latent space communication* (Moschella et "
    "al., ICLR 2023) and of latent space translation (Maiorca et al., NeurIPS 2023), recomputed on the bundled "
    "zoos next to the published numbers: the isometry demo, absolute vs relative retrieval, stitching over seeds "
    "and architectures, translation vs relative, the anchor-count curve and the invariance table. The same report "
    "as the command line's:"
)
st.code("stitchboard reproduce --out report.html", language="bash")

job = ("reproduce", results.report_key())
ready = results.has_report()


@panels.isolated("Reproduction report")
def show_report() -> None:
    """Build (or reuse) the report under a progress line with a Cancel button, then offer it."""
    slot = st.empty()
    rep = jobs.run_in_slot(slot, results.reproduce_report, label="Building the report", job=job, key="rp_cancel",
                           what="report")
    if rep is None:
        return
    slot.caption(f"Built in {rep['seconds']:.0f} s on the bundled zoos; kept for later visits.")
    share.download("Download the report (HTML, opens offline)", rep["html"], "stitchboard-reproduce.html",
                   "text/html", key="rp_download")
    st.subheader("Headline numbers")
    tables.show(rep["headlines"])  # drawn whole: every effect and published figure readable, none cut
    st.info(rep["note"], icon=":material/info:")
    if st.toggle("Show the full report here", key="rp_show",
                 help="The whole page with its interactive plots (about 5 MB to send to the browser)."):
        # our own report (the bundled zoos, no uploaded text): st.iframe runs its plots' scripts
        st.iframe(rep["html"].decode("utf-8"), height=1100)


if ready:
    show_report()
else:
    # in a placeholder: once pressed, the button goes, and the report (or its progress line) takes its place
    start = st.empty()
    run = start.button("Build the report", type="primary", key="rp_run", icon=":material/play_arrow:",
                       help="Recomputes every section on the bundled zoos (about a minute); the result is kept.")
    if run:
        start.empty()
    jobs.start_or_explain(
        job, start=run, show=show_report,
        cancelled="The report was cancelled; nothing was kept. Press **Build the report** to start it again.",
        idle="Takes about a minute; a progress bar with a Cancel button follows. Once built, the report is kept and "
             "opens at once.")

share.sync_url()
