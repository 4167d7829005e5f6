"""nbgrader configuration for the "Not Alone" course.

Run every nbgrader command from this folder (assessments/): nbgrader reads
this file from the current directory. Paths below are built from this file's
location, so the course also works when the folder is copied elsewhere.
"""

import glob
import os
import sys

c = get_config()  # noqa: F821  (provided by traitlets when nbgrader loads this file)

HERE = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.course_id = "not-alone"
c.CourseDirectory.root = HERE

# nbgrader's defaults, plus the answer key of the source notebooks. A file
# matching this list is never copied: not into release/ (students never get
# it) and not from submitted/ into autograded/ (a student cannot smuggle one
# in). The widgets read notalone-answer-key.json only when there is no
# notalone-progress.json, which is how `nbgrader validate` passes on source/.
c.CourseDirectory.ignore = [
    ".ipynb_checkpoints",
    "*.pyc",
    "__pycache__",
    "feedback",
    "notalone-answer-key.json",
]

# Released scenario and quiz files hold no answers: after nbgrader copies the
# assignment's files into release/, this step rewrites each one without its key
# (which options are safe, the feedback, the quiz key). The grader keeps the
# author's files and decides those points outside the student's kernel.
from nbgrader.converters import GenerateAssignment  # noqa: E402

c.GenerateAssignment.preprocessors = list(GenerateAssignment.preprocessors.default()) + [
    "notalone.withhold.WithholdAnswers"
]

# Bilingual header (name, content warning, where to get help) put on top of
# every released notebook.
c.IncludeHeaderFooter.header = os.path.join(HERE, "source", "header.ipynb")

# Grading. These lines make plain `nbgrader autograde`, formgrader's Autograde
# button and `notalone grade` grade alike (`notalone grade` only adds
# parallel workers and its own checks of each submission before nbgrader runs):
# - every kernel runs in the sandbox (notalone.sandbox), with the limits below;
# - chat and quiz points are decided outside the student's kernel, from the
#   author's key in source/ (notalone.scoring);
# - text on stderr (a print, a warning) costs no points (FairSaveAutoGrades);
# - a student's edits to test cells and grading metadata are undone, and
#   formgrader shows no script from a submission.
from notalone.feedback import FEEDBACK_PREPROCESSORS  # noqa: E402
from notalone.grader import AUTOGRADE_PREPROCESSORS, SANITIZE_PREPROCESSORS  # noqa: E402

c.Autograde.sanitize_preprocessors = SANITIZE_PREPROCESSORS
c.Autograde.autograde_preprocessors = AUTOGRADE_PREPROCESSORS
# Feedback pages never show hidden tests or a submission's scripts, from formgrader's button too
# (`notalone feedback` also makes them fully offline; formgrader's page loads nbgrader's MathJax).
c.GenerateFeedback.preprocessors = FEEDBACK_PREPROCESSORS

# Seconds per cell. The widgets load a few small YAML files; nothing is slow.
c.Execute.timeout = 60
# Refuse to grade where the sandbox cannot be set up (`notalone doctor` says
# what to install). False runs student code as you, with the limits only.
c.SandboxedExecute.sandbox = True
c.SandboxedExecute.notebook_seconds = 300  # all cells of one notebook
c.SandboxedExecute.memory_mb = 2048        # per kernel, all its processes
c.SandboxedExecute.cpu_seconds = 300       # per kernel, all its processes
c.SandboxedExecute.processes = 64
c.SandboxedExecute.output_kb = 2048        # every kind of output, per notebook
c.SandboxedExecute.disk_mb = 256           # the kernel's in-memory folders

# Students' choices live in notalone-progress.json next to their notebook.
# `nbgrader autograde` copies the files of source/<assignment>/ over the
# submission; make sure a progress file left in source/ (for instance after a
# teacher clicked through the source notebook) never replaces a student's.
PROGRESS_FILE = "notalone-progress.json"
_assignments = sorted(
    name
    for name in os.listdir(os.path.join(HERE, "source"))
    if os.path.isdir(os.path.join(HERE, "source", name))
)
c.Autograde.exclude_overwriting = {name: [PROGRESS_FILE] for name in _assignments}

# Such a file would also be released to every student: warn loudly, once per
# command (nbgrader reads this file several times; the variable marks it).
_strays = sorted(glob.glob(os.path.join(HERE, "source", "*", PROGRESS_FILE)))
if _strays and not os.environ.get("NOTALONE_STRAY_WARNED"):
    os.environ["NOTALONE_STRAY_WARNED"] = "1"
    for _stray in _strays:
        print(
            f"[not-alone] WARNING: {_stray} exists. It holds someone's choices and "
            "would be released to students. Delete it before `nbgrader generate_assignment`.",
            file=sys.stderr,
        )
