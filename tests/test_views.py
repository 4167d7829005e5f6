"""The ipywidgets views, driven headlessly through their programmatic triggers and buttons."""

import subprocess
import sys

import pytest

from widgets import play_scenario, show_help_card, show_quiz, show_rules, use_language
from widgets.progress import MemoryStore

from support import FIXTURES, REPO

SCENARIO = FIXTURES / "tiny.scenario.yaml"
QUIZ = FIXTURES / "tiny.quiz.yaml"


def option_buttons(chat):
    return list(chat._options.children)


def test_clicking_an_option_shows_feedback_with_red_flag_and_rule(dummy_comm, in_tmp):
    chat = play_scenario(SCENARIO, language="en")
    assert "Hi! Want to chat somewhere private?" in chat._transcript.value
    assert chat._feedback.layout.display == "none"
    move = next(b for b in option_buttons(chat) if b.description == "Move to a private app")
    move.click()
    feedback = chat._feedback.value
    assert "Risky choice" in feedback and "A stranger wants to move the chat." in feedback
    assert "The 3 Nos" in feedback and "No joining links, video calls or meetings with strangers" in feedback
    assert chat._feedback.layout.display is None
    # In reading order: the student's reply ends the transcript, the feedback follows, then the contact's next messages.
    assert chat._transcript.value.endswith("Move to a private app</div>")
    assert "2 days later" not in chat._transcript.value and "2 days later" in chat._latest.value
    children = list(chat.children)
    assert children.index(chat._transcript) < children.index(chat._feedback) < children.index(chat._latest) < children.index(chat._options)
    assert any(kwargs or args for c in dummy_comm for args, kwargs in c.messages), "state changes reach the front end"


def test_the_ending_shows_a_summary_and_the_help_card(dummy_comm, in_tmp):
    chat = play_scenario(SCENARIO, language="en")
    chat.choose("stay")
    chat.choose("keep")
    assert chat._summary.layout.display is None
    summary = chat._summary.children[0].value
    assert "You chose safely at 1 of 2 decision points." in summary
    assert "<th scope='col'>Safe?</th>" in summary and "Safe choice</td>" in summary and "Risky choice</td>" in summary, \
        "the verdict column has a header and words, not only a symbol"
    assert "111" in summary and "113" in summary
    assert option_buttons(chat) == []
    again = chat._summary.children[-1]
    again.click()
    assert chat.model.current == "hello" and chat._summary.layout.display == "none"


def test_rerunning_the_cell_resumes_the_chat(dummy_comm, in_tmp):
    play_scenario(SCENARIO, language="en").choose("move")
    chat = play_scenario(SCENARIO, language="en")
    assert chat.model.decisions == [("hello", "move")]
    assert "Move to a private app" in chat._transcript.value and "Risky choice" in chat._feedback.value


def test_a_graded_chat_offers_no_restart(dummy_comm, in_tmp):
    chat = play_scenario(SCENARIO, language="en", graded=True)
    chat.choose("stay")
    chat.choose("tell")
    assert not any(getattr(child, "description", "") == "Play again" for child in chat._summary.children)


def test_the_language_can_be_switched_in_the_widget(dummy_comm, in_tmp):
    chat = play_scenario(SCENARIO, language="en")
    chat.choose("move")
    chat._picker.value = "vi"  # what the dropdown does when the student picks Tiếng Việt
    assert "Chào bạn!" in chat._transcript.value
    assert "Dấu hiệu cảnh báo" in chat._feedback.value and "3 Không" in chat._feedback.value
    assert [b.description for b in option_buttons(chat)] == ["Kể với mẹ", "Giữ bí mật"]


def test_use_language_sets_the_default(dummy_comm, in_tmp, monkeypatch):
    import widgets.i18n
    monkeypatch.setattr(widgets.i18n, "_chosen", None)
    use_language("vi")
    assert play_scenario(SCENARIO).language == "vi"
    with pytest.raises(ValueError, match="available: en, vi"):
        use_language("xx")


def test_language_falls_back_to_the_environment(monkeypatch):
    import widgets.i18n
    monkeypatch.setattr(widgets.i18n, "_chosen", None)
    monkeypatch.setenv("NOTALONE_LANG", "vi")
    assert widgets.i18n.current_language() == "vi"
    monkeypatch.setenv("NOTALONE_LANG", "")
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    assert widgets.i18n.current_language() == "en"


def test_a_graded_chat_only_acknowledges_each_choice(dummy_comm, in_tmp):
    chat = play_scenario(SCENARIO, language="vi", graded=True)
    option_buttons(chat)[0].click()
    feedback = chat._feedback.value
    assert "đã được lưu" in feedback and "🚩" not in feedback and "✅" not in feedback and "⚠️" not in feedback
    while chat.model.node.decision:
        option_buttons(chat)[-1].click()
    summary = chat._summary.children[0].value
    assert "111" in summary and "✅" not in summary and "⚠️" not in summary, "the verdicts come in the feedback after grading"


def test_a_graded_chat_and_quiz_show_options_in_the_students_order(dummy_comm, in_tmp, tmp_path, monkeypatch):
    import widgets.progress

    monkeypatch.setattr(widgets.progress, "_SESSION_SEED", "one-student")
    chat = play_scenario(SCENARIO, language="en", graded=True)
    assert [b.description for b in option_buttons(chat)] == [o.text["en"] for o in chat.model.options_in_order()]
    keyed = tmp_path / "graded.quiz.yaml"
    keyed.write_text("reveal: in-feedback\n" + QUIZ.read_text(encoding="utf-8"), encoding="utf-8")
    quiz = show_quiz(keyed, language="en")
    radio = quiz._questions[0]._choice
    assert [value for _label, value in radio.options] == [o.id for o in quiz.model.options_in_order("secret")]
    checks = quiz._questions[1]
    checks._checks[0].value = True
    assert quiz.model.selected("musts") == {quiz.model.options_in_order("musts")[0].id}, "a tick picks the option it shows"


def test_quiz_radio_and_checkboxes_drive_the_model(dummy_comm, in_tmp):
    quiz = show_quiz(QUIZ, language="en")
    first, second = quiz._questions
    first._choice.value = "no"
    first._submit.click()
    assert "Not quite" in first._result.value and "Real friends do not need secrets" in first._result.value
    assert first._choice.disabled
    first._retry.click()
    first._choice.value = "yes"
    first._submit.click()
    assert "Correct" in first._result.value
    second._checks[0].value = True
    second._checks[1].value = True
    second._submit.click()
    assert quiz.model.answer("musts") == {"verify", "share"}
    assert "2 of 2 correct" in quiz._score.value


def test_the_submit_button_waits_for_a_selection(dummy_comm, in_tmp):
    quiz = show_quiz(QUIZ, language="en")
    assert quiz._questions[0]._submit.disabled
    quiz.select("secret", "yes")
    assert not quiz._questions[0]._submit.disabled and quiz._questions[0]._choice.value == "yes"


def test_cards_show_help_and_rules_in_both_languages(dummy_comm):
    card = show_help_card(language="vi")
    assert "111" in card._html.value and "113" in card._html.value
    assert "Một người lớn đáng tin cậy" in card._html.value
    card.set_language("en")
    assert "A trusted adult" in card._html.value and "Report on the platform" in card._html.value
    rules = show_rules(language="en")
    assert rules._html.value.count("<li>") == 6


def test_content_text_is_escaped(dummy_comm, in_tmp, tmp_path):
    hostile = tmp_path / "hostile.scenario.yaml"
    hostile.write_text(SCENARIO.read_text().replace("Hi! Want to chat", "<script>alert(1)</script> Want to chat"))
    chat = play_scenario(hostile, language="en", store=MemoryStore())
    assert "<script>" not in chat._transcript.value and "&lt;script&gt;" in chat._transcript.value


def test_the_models_do_not_need_ipywidgets():
    code = ("import sys; sys.modules['ipywidgets'] = None\n"
            "import widgets, widgets.scenario, widgets.quiz\n"
            f"run = widgets.ScenarioRun(widgets.load_scenario({str(SCENARIO)!r}))\n"
            "run.choose('stay'); print(run.current)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "later"


def test_after_a_choice_the_chat_announces_it_and_moves_the_focus_to_the_first_new_option(dummy_comm, in_tmp):
    import html as html_module

    chat = play_scenario(SCENARIO, language="vi")
    assert "data-lang='vi'" in chat._support.value and "data-nonce" not in chat._support.value, "no focus move on display"
    chat.choose("stay")
    support = html_module.unescape(chat._support.value)
    assert "data-nonce" in support and "aria-live" in support
    first = chat._options.children[0].description
    assert f"data-label='{first}'" in support and "data-focus='.notalone-option'" in support
    assert "Lựa chọn an toàn" in support and "2 ngày sau" in support, "the live region says the verdict and the new messages"
    chat.choose("keep")
    assert "data-focus='.notalone-play-again'" in html_module.unescape(chat._support.value)
    chat.restart()
    assert "data-focus='.notalone-option'" in html_module.unescape(chat._support.value)
    chat.set_language("en")
    assert "data-lang='en'" in chat._support.value and "data-nonce" not in chat._support.value


def test_one_decision_point_is_singular(dummy_comm, in_tmp, tmp_path):
    import yaml

    data = yaml.safe_load(SCENARIO.read_text(encoding="utf-8"))
    endings = [node_id for node_id, node in data["nodes"].items() if "ending" in node]
    for option, ending in zip(data["nodes"]["hello"]["decision"]["options"], endings * 2):
        option["next"] = ending
    data["nodes"] = {node_id: node for node_id, node in data["nodes"].items() if node_id == "hello" or node_id in endings[:2]}
    one = tmp_path / "one.scenario.yaml"
    one.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    chat = play_scenario(one, language="en", store=MemoryStore())
    chat.choose("stay")
    summary = chat._summary.children[0].value
    assert "You chose safely at 1 of 1 decision point." in summary and "decision points" not in summary


def test_quiz_results_say_in_words_which_options_are_right(dummy_comm, in_tmp, tmp_path):
    hinted = tmp_path / "hinted.quiz.yaml"
    text = QUIZ.read_text(encoding="utf-8")
    prompt = "Which are among the 3 Musts?"
    assert prompt in text
    hinted.write_text(text.replace(prompt, prompt + " Choose all that apply.").replace('en: "Yes"', 'en: "Yes, it is."'),
                      encoding="utf-8")
    quiz = show_quiz(hinted, language="en")
    view = quiz._questions[1]
    assert view._prompt.value.count("Choose all that apply.") == 1, view._prompt.value
    first = quiz._questions[0]
    first._choice.value = "no"
    first._submit.click()
    result = first._result.value
    assert "Right answer" in result and "Not right" in result and "(your answer)" in result
    assert "✅" not in result and "❌" not in result
    assert "Yes, it is. " in result and ".:" not in result
