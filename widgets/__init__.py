"""Not Alone widgets: scenarios, quizzes and help cards rendered from content files.

Lesson notebooks use the functions below. The models (widgets.scenario, widgets.quiz) never
import ipywidgets; the views are imported only when a function here is called.
"""

from __future__ import annotations

from pathlib import Path

from .errors import ContentError
from .i18n import available_languages, current_language, use_language
from .progress import ProgressStore
from .quiz import QuizAttempt, load_quiz
from .scenario import ScenarioRun, load_scenario
from .browser import keep_nulls_in_comm_messages

keep_nulls_in_comm_messages()  # in JupyterLite only: a trait set back to None must reach the page

__all__ = ["ContentError", "available_languages", "current_language", "use_language", "load_scenario", "load_quiz",
           "play_scenario", "show_quiz", "show_help_card", "show_rules", "show_sorter", "show_url_inspector",
           "show_red_flag_checker", "show_knowledge_check", "show_platform_guide", "show_pledge", "ProgressStore", "ScenarioRun", "QuizAttempt"]

# The other activities' widgets, imported only when first used (so `import widgets` needs no ipywidgets).
_LAZY = {"show_sorter": "widgets.views.sorter", "show_url_inspector": "widgets.views.url_inspector",
         "show_red_flag_checker": "widgets.views.red_flag_checker", "show_knowledge_check": "widgets.knowledge_check",
         "show_platform_guide": "widgets.views.platform_guide", "show_pledge": "widgets.views.pledge"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'widgets' has no attribute {name!r}")


def play_scenario(path: str | Path, *, language: str | None = None, graded: bool = False,
                  store: ProgressStore | None = None):
    """A chat view of the scenario in `path`, resuming the choices saved next to the notebook.

    graded=True keeps the first play-through: the student cannot restart it.
    """
    from .views.chat import ChatView

    run = ScenarioRun(load_scenario(path), store if store is not None else ProgressStore.for_directory(), graded=graded)
    _show_record_after_cell(run.store, language or current_language())
    return ChatView(run, language or current_language())


def show_quiz(path: str | Path, *, language: str | None = None, store: ProgressStore | None = None):
    """A quiz view of the quiz in `path`, resuming the answers saved next to the notebook."""
    from .views.quiz import QuizView

    attempt = QuizAttempt(load_quiz(path), store if store is not None else ProgressStore.for_directory())
    _show_record_after_cell(attempt.store, language or current_language())
    return QuizView(attempt, language or current_language())


def _show_record_after_cell(store: ProgressStore, language: str) -> None:
    """Once this cell has shown its result, show the saved choices under it (they travel inside the
    notebook: a downloaded notebook is a complete hand-in). Outside a kernel, nothing."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return

    def after_cell(result) -> None:
        shell.events.unregister("post_run_cell", after_cell)
        store.show_record(language)

    shell.events.register("post_run_cell", after_cell)


def show_help_card(*, language: str | None = None):
    """Where to get help: a trusted adult, 111, 113 and reporting on the platform."""
    from .views.help_card import CardView, help_card_html

    return CardView(help_card_html, language or current_language(), "notalone-help-card")


def show_rules(*, language: str | None = None):
    """The campaign's 3 Nos and 3 Musts."""
    from .views.help_card import CardView, rules_html

    return CardView(rules_html, language or current_language(), "notalone-rules")
