"""The notebook helpers: a chart from a history file in one call."""

import plotly.graph_objects as go
import pytest

from envs.history import History
from envs.history import HistoryError
from ui import notebook


def test_each_helper_draws_from_a_history_file(generated_db):
    path = str(generated_db)
    newest = notebook.heatmap(path)
    assert newest.layout.title.text.endswith("gen-0015")  # no run given: the newest
    assert isinstance(newest.data[0], go.Heatmap)
    assert notebook.curves(path, "gen-0001").data and notebook.start_end(path, "gen-0001").data
    assert notebook.allocations(path, "gen-0001").layout.barmode == "stack"
    assert notebook.errors(path, "gen-0001").data[0].type == "heatmap"
    bands = [t for t in notebook.compare(path, ["gen-0000", "gen-0001"]).data if t.fill == "toself"]
    assert len(bands) == 1
    assert sum(notebook.cost(path, "gen-0009").data[0].y) > 0
    assert notebook.cost(path, "gen-0001").layout.annotations[0].text == "no LLM"


def test_an_empty_history_says_so(tmp_path):
    empty = History(tmp_path / "empty.duckdb")
    empty.ensure()
    with pytest.raises(HistoryError, match="no runs"):
        notebook.heatmap(empty)
    with pytest.raises(HistoryError, match="no history at"):  # and a missing one is not made
        notebook.heatmap(History(tmp_path / "missing.duckdb"))
    assert not (tmp_path / "missing.duckdb").exists()


@pytest.mark.slow
def test_a_chart_exports_to_png(generated_db, tmp_path):
    pytest.importorskip("kaleido", reason="PNG export needs kaleido (pip install '.[export]')")
    path = notebook.png(notebook.heatmap(generated_db, "gen-0001"), tmp_path / "heat.png", width=600)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
