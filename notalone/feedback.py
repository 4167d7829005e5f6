"""`notalone feedback`: nbgrader's feedback pages, without hidden tests and without anything active.

Stock `nbgrader generate_feedback` shows students the source of hidden tests, in the cell and in
tracebacks (nbgrader issues #917 and #1363), and renders whatever HTML a notebook produced. Here
each hidden-test region becomes one line saying it is hidden, a failing hidden test shows only
its assertion message (written by the teacher), and outputs and Markdown are sanitized (nh3). The page comes
from nbgrader's feedback template without the MathJax script it loads from a public CDN
(templates/feedback_offline/; the course has no maths), so it needs no network. Last, each
page nbgrader wrote is rebuilt by notalone.safe_html (no script, nothing loaded from elsewhere, a
Content-Security-Policy), and files a browser could run that came with the submission are removed,
so a feedback folder is safe to open from disk or to upload to an LMS.
"""

from __future__ import annotations

import html
from pathlib import Path

import nbgrader
import nh3
from nbgrader.preprocessors import NbGraderPreprocessor

from .safe_html import make_file_safe
from .teacher import nbgrader_api

BEGIN, END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
TEMPLATES = Path(__file__).resolve().parent / "templates"
OFFLINE_TEMPLATE = "feedback_offline"
NBGRADER_TEMPLATES = Path(nbgrader.__file__).resolve().parent / "server_extensions" / "formgrader" / "templates"
NBGRADER_CSS = NBGRADER_TEMPLATES.parent / "static" / "node_modules" / "bootstrap" / "dist" / "css"
SAFE_TAGS = ["a", "abbr", "b", "blockquote", "br", "code", "div", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i",
             "img", "li", "ol", "p", "pre", "span", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul"]
# An <img> keeps only its alt text: a source could be fetched from elsewhere when formgrader shows the cell.
# (Images a notebook draws arrive as image/png outputs, which are kept.)
SAFE_ATTRIBUTES = {"a": ["href", "title"], "img": ["alt"], "td": ["colspan"], "th": ["colspan"]}
SAFE_PROTOCOLS = ["http", "https"]
KEPT_MIMETYPES = ("text/plain", "image/png", "image/jpeg")
PAGES = {".html", ".htm"}
# Files a browser runs as a document of their own (scripts in SVG or XHTML, stylesheets in XML, ...).
ACTIVE_FILES = {".svg", ".svgz", ".xhtml", ".xht", ".xml", ".xsl", ".xslt", ".mht", ".mhtml", ".shtml", ".js", ".mjs"}


def sanitize(text: str) -> str:
    """HTML with only harmless tags and attributes; scripts (with their code), event handlers, styles and comments
    are removed (nh3, the binding of the maintained Rust sanitizer ammonia)."""
    return nh3.clean(text, tags=set(SAFE_TAGS), attributes={tag: set(names) for tag, names in SAFE_ATTRIBUTES.items()},
                     url_schemes=set(SAFE_PROTOCOLS), strip_comments=True)


def without_hidden_tests(source: str) -> tuple[str, bool]:
    lines, hidden, found = [], False, False
    for line in source.splitlines():
        if line.strip() == BEGIN:
            hidden, found = True, True
            lines.append(line[: len(line) - len(line.lstrip())] + "# (hidden tests: their code is not shown)")
        elif line.strip() == END:
            hidden = False
        elif not hidden:
            lines.append(line)
    return "\n".join(lines), found


class HideHiddenTests(NbGraderPreprocessor):
    """Remove hidden-test code from grade cells and from their tracebacks."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and not cell.get("metadata", {}).get("nbgrader", {}).get("grade"):
            # Outputs of the student's own cells are left out: code of theirs could have copied into them what the
            # grader ran (the hidden inputs). Their code stays; the grade cells carry the grader's feedback.
            cell.outputs = []
            return cell, resources
        if cell.cell_type != "code":
            return cell, resources
        cell.source, had_hidden = without_hidden_tests(cell.source)
        if had_hidden:
            for output in cell.get("outputs", []):
                if output.output_type == "error":
                    output.traceback = [f"{output.ename}: {output.evalue}"]
        return cell, resources


class SafeOutputs(NbGraderPreprocessor):
    """Keep plain text and images; sanitize HTML and Markdown; drop JavaScript, SVG and widgets."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "markdown":
            cell.source = sanitize(cell.source)
        elif cell.cell_type == "raw":
            cell.source = html.escape(cell.source)
        for output in cell.get("outputs", []):
            data = output.get("data")
            if not data:
                continue
            if "application/vnd.jupyter.widget-view+json" in data:  # a widget: its text form is only its Python repr
                data = {}
            kept = {key: value for key, value in data.items() if key in KEPT_MIMETYPES}
            if "text/html" in data:
                kept["text/html"] = sanitize("".join(data["text/html"]) if isinstance(data["text/html"], list) else data["text/html"])
            if not kept:
                kept["text/plain"] = "(an interactive or rich output is not shown in feedback)"
            output["data"] = kept
            output.get("metadata", {}).clear()
        return cell, resources


# What a feedback page is made from. The course's nbgrader_config.py sets c.GenerateFeedback.preprocessors to
# this too, so formgrader's "Generate Feedback" button never shows hidden tests or a submission's scripts either.
FEEDBACK_PREPROCESSORS = ["nbgrader.preprocessors.GetGrades", "notalone.feedback.HideHiddenTests",
                          "notalone.feedback.SafeOutputs", "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor"]


def generate_feedback(root: Path, assignment: str, student: str | None = None) -> dict:
    """Write feedback/<student>/<assignment>/*.html for autograded (and manually graded) submissions."""
    from nbgrader.converters import GenerateFeedback
    from nbgrader.utils import capture_log, temp_attrs
    from traitlets.config import Config

    overrides = Config()
    overrides.GenerateFeedback.preprocessors = list(FEEDBACK_PREPROCESSORS)
    api = nbgrader_api(root, overrides)
    # As NbGraderAPI.generate_feedback, which forces nbgrader's template: ours is nbgrader's without the
    # MathJax script it loads from a CDN (templates/feedback_offline/).
    template = Config()
    template.HTMLExporter.template_name = OFFLINE_TEMPLATE
    template.HTMLExporter.extra_template_basedirs = [str(TEMPLATES), str(NBGRADER_TEMPLATES)]
    # nbgrader's own folder, so ours can extend 'feedback/index.html.j2', and its bootstrap.min.css (inlined).
    template.HTMLExporter.extra_template_paths = [str(NBGRADER_TEMPLATES), str(NBGRADER_CSS)]
    chosen = {"assignment_id": assignment} | ({"student_id": student} if student is not None else {})
    with temp_attrs(api.coursedir, **chosen):
        app = GenerateFeedback(coursedir=api.coursedir, parent=api)
        app.update_config(template)
        app.force = True
        result = capture_log(app)
    from .withhold import withhold_folder

    folders = sorted(Path(root, "feedback").glob(f"{student or '*'}/{assignment}"))
    for folder in folders:
        make_folder_safe(folder)
    for folder in folders:
        withhold_folder(folder)  # nbgrader copies the author's files along; the page already explains every answer
    return result


def make_folder_safe(folder: Path) -> None:
    """Rebuild every page in `folder` with notalone.safe_html; remove links and files a browser could run."""
    for path in sorted(Path(folder).rglob("*")):
        suffix = path.suffix.lower()
        if path.is_symlink() or (path.is_file() and suffix in ACTIVE_FILES):
            path.unlink()
        elif path.is_file() and suffix in PAGES:
            make_file_safe(path)
