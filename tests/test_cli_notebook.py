"""The notebook of examples/ runs from top to bottom (nbclient, this interpreter's kernel) and is kept without outputs.

It runs a what-if through `sim ... --json`, then reads the result folders with pandas and DuckDB and checks inside
itself that both agree with each other and with `sim whatif`; an error in any cell fails this test.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parent.parent / "examples" / "whatif_pandas_duckdb.ipynb"


def test_the_notebook_is_saved_without_outputs():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code and all(not cell.outputs and cell.execution_count is None for cell in code)


def test_the_notebook_runs(tmp_path):
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError, naming the cell, on any error
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "\n".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "week 26" in text or "within 26 weeks" in text  # the sentences of `sim whatif` on a 26-week horizon
    folders = sorted(p for p in (tmp_path / "results" / "baseline").iterdir() if p.is_dir())
    assert len(folders) == 2 and all((folder / "summary.parquet").is_file() for folder in folders)
