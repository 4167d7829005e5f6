"""Paths and small helpers shared by the tests."""

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def run_notebook_cells(path: Path) -> tuple:
    """Run a notebook's code cells in one namespace, in this process (the headless widget tests):
    returns (notebook, namespace)."""
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    namespace: dict = {}
    for cell in notebook.cells:
        if cell.cell_type == "code":
            exec(compile(cell.source, path.name, "exec"), namespace)
    return notebook, namespace

