"""The server computes, in advance, exactly the UMAP maps a first visit of Explore asks for."""

from tests.dashboard.apphelp import no_errors, start


def test_prefetch_asks_for_the_maps_a_first_visit_opens_on(monkeypatch):
    from dashboard import results, server

    real = results.layouts
    asked: list = []

    def record(source, enc_a, enc_b, anchors, method, frame, *rest, **kw):
        """Note the UMAP key, compute a PCA pair instead (fast, and the page draws it like any map)."""
        if method != "pca":
            asked.append(results.layout_key(source, enc_a, enc_b, anchors, method, frame, *rest))
        return real(source, enc_a, enc_b, anchors, "pca", frame)

    monkeypatch.setattr(results, "layouts", record)
    monkeypatch.setattr(results, "has_layouts", lambda *a: False)  # the page asks for its final maps
    server.prefetch_first_maps()
    prefetched, asked[:] = list(asked), []
    at = start()  # a first visit: digits, the default encoders, anchors and UMAP settings
    no_errors(at)
    assert len(prefetched) == 2 and prefetched[0][3] is None and len(prefetched[1][3]) > 1  # absolute, relative
    assert set(asked) == set(prefetched), (asked, prefetched)
