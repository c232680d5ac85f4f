"""Every lecture notebook keeps the course's promises to its readers.

nbval (run on notebooks/ by the same pytest call) re-executes each notebook
and compares its checked cells; these tests look at the stored file itself:
what a reader sees on GitHub, without a kernel.
"""
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
LECTURES = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def test_there_are_six_lectures_each_with_exercise_and_solution():
    names = [path.stem for path in LECTURES]
    assert [name[:2] for name in names] == ["01", "02", "03", "04", "05", "06"]
    for name in names:
        assert (ROOT / "exercises" / f"{name}.ipynb").is_file(), f"no exercises for {name}"
        assert (ROOT / "solutions" / f"{name}.ipynb").is_file(), f"no solutions for {name}"


@pytest.fixture(params=LECTURES, ids=lambda path: path.stem)
def lecture(request):
    return request.param.stem, nbformat.read(request.param, as_version=4)


def _markdown(notebook) -> str:
    return "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")


def _code(notebook) -> list:
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def test_stored_executed_without_errors_or_warnings(lecture):
    name, notebook = lecture
    code = _code(notebook)
    assert all(cell.execution_count is not None for cell in code), f"{name}: unexecuted cells"
    counts = [cell.execution_count for cell in code]
    assert counts == list(range(1, len(code) + 1)), f"{name}: not run top to bottom in one go"
    for cell in code:
        for output in cell.outputs:
            assert output.output_type != "error", f"{name}: a stored error in cell {cell.id}"
            assert output.get("name") != "stderr", f"{name}: stored stderr in cell {cell.id}"
    assert sum("image/png" in o.get("data", {}) for c in code for o in c.outputs) >= 3


def test_reader_facing_sections_are_present(lecture):
    name, notebook = lecture
    text = _markdown(notebook)
    assert notebook.cells[0].source.startswith("# Lecture"), f"{name}: no title first"
    assert re.search(r"after this lecture you can", text, re.I), f"{name}: no learning goals"
    assert re.search(r"^#+ .*summary", text, re.I | re.M), f"{name}: no summary"
    assert re.search(r"^#+ .*references", text, re.I | re.M), f"{name}: no references"
    assert re.search(r"try this", text, re.I), f"{name}: no 'try this' prompts"
    assert f"../exercises/{name}.ipynb" in text, f"{name}: no pointer to its exercises"


def test_first_code_cell_imports_by_name_and_numbers_are_checked(lecture):
    name, notebook = lecture
    code = _code(notebook)
    first = code[0].source
    assert "course_utils" in first and "import *" not in first, f"{name}: first cell imports"
    assert not any("import *" in cell.source for cell in code)
    checked = [cell for cell in code if cell.source.startswith("# NBVAL_CHECK_OUTPUT")]
    assert len(checked) >= 5, f"{name}: too few nbval-checked cells"
    assert sum(bool(re.search(r"\bclaim(_bound)?\(", cell.source)) for cell in checked) >= 3, \
        f"{name}: claims unchecked"
    for cell in checked:
        assert cell.outputs, f"{name}: checked cell {cell.id} has no stored output to compare"


def test_every_lecture_has_an_interactive_widget(lecture):
    name, notebook = lecture
    assert any(re.search(r"widgets\.(explorer|race)\(|RunViewer\(", cell.source)
               for cell in _code(notebook)), f"{name}: no interactive widget"


def test_checked_cells_print_verdicts_only(lecture):
    """A checked cell asserts, it does not transcribe: numbers go to ordinary cells.

    nbval compares a checked cell's output as text on every machine, so a
    printed measurement (a loss to 4 decimals, a rounding-level 3.3e-16)
    fails on a CPU with other kernels even when every claim holds.
    """
    name, notebook = lecture
    for cell in _code(notebook):
        if not cell.source.startswith("# NBVAL_CHECK_OUTPUT"):
            continue
        for output in cell.outputs:
            assert output.output_type == "stream", f"{name}: checked cell {cell.id} has a {output.output_type} output"
            for line in output.text.splitlines():
                assert line.startswith("checked: "), (
                    f"{name}: checked cell {cell.id} prints {line!r}; print numbers in an unchecked cell "
                    f"and keep only claim verdicts here")
