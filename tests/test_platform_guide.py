"""Where the buttons are: the platform guide's data, its pure model, its view (headless) and its printable version."""

import json
import re

import pytest

from notalone.course import check_course
from notalone.platform_guide import markdown_for, write
from notalone.handout import render_handout
from widgets import ContentError, show_platform_guide
from widgets.i18n import available_languages
from widgets.platform_guide import GuideSelection, guide_markdown, load_guide

from support import REPO

GUIDE = REPO / "widgets" / "data" / "platforms.guide.yaml"
UNIT5 = REPO / "lessons" / "unit05-block-and-report"
APPS = {"zalo", "facebook", "messenger", "tiktok", "instagram", "roblox", "phone"}
TOPICS = ["block", "report", "privacy", "location"]


# The data --------------------------------------------------------------------------------

def test_every_app_covers_block_report_privacy_and_location_in_every_language():
    guide = load_guide()
    assert {p.id for p in guide.platforms} == APPS
    assert [t.id for t in guide.topics] == TOPICS
    for platform in guide.platforms:
        for topic in TOPICS:
            steps = platform.steps(topic)
            assert steps.steps, (platform.id, topic)
            for step in steps.steps:
                assert set(step) == set(available_languages()) and all(text.strip() for text in step.values())


def test_every_app_says_which_version_it_describes_and_what_to_look_for():
    for platform in load_guide().platforms:
        assert re.fullmatch(r"20\d\d-(0[1-9]|1[0-2])", platform.checked_month)
        assert "2025" in platform.checked_app["en"] and "2025" in platform.checked_app["vi"]
        assert "Labels may differ" in platform.look_for["en"], platform.id
        assert "Menus" in platform.look_for["en"] and "look for" in platform.look_for["en"]
        assert "có thể" in platform.look_for["vi"] and "Menu" in platform.look_for["vi"]


def test_the_guide_has_no_links_and_keeps_the_help_line():
    text = GUIDE.read_text(encoding="utf-8")
    assert not re.search(r"https?://|www\.|\.com\b|\.vn\b", text), "no URLs: students find help pages inside the apps"
    guide = load_guide()
    phone = guide.platform("phone").steps("report").steps
    assert any("111" in step["en"] and "113" in step["en"] for step in phone)
    assert any("111" in step["vi"] and "113" in step["vi"] for step in phone)


def test_mistakes_in_a_guide_are_reported_with_their_place(tmp_path):
    broken = GUIDE.read_text(encoding="utf-8")
    broken = broken.replace("      location:\n", "      whereabouts:\n", 1)          # Zalo: an unknown topic, and no location
    broken = broken.replace('month: "2025-11"', 'month: "Nov 2025"', 1)            # Zalo: a month the schema rejects
    path = tmp_path / "broken.guide.yaml"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(ContentError) as error:
        load_guide(path)
    messages = [str(p) for p in error.value.problems]
    assert any("checked.month" in m and "YYYY-MM" in m for m in messages), messages
    path.write_text(GUIDE.read_text(encoding="utf-8").replace("      location:\n", "      whereabouts:\n", 1), encoding="utf-8")
    with pytest.raises(ContentError) as error:
        load_guide(path)
    messages = [str(p) for p in error.value.problems]
    assert any("'whereabouts' is not a topic" in m for m in messages), messages
    assert any("no steps for location" in m and re.search(r"broken\.guide\.yaml:\d+:", m) for m in messages), messages


def test_notalone_check_validates_the_guide(tmp_path):
    import shutil

    shutil.copytree(REPO / "lessons", tmp_path / "lessons", ignore=shutil.ignore_patterns("notalone-progress*"))
    (tmp_path / "widgets" / "data").mkdir(parents=True)
    (tmp_path / "widgets" / "data" / "platforms.guide.yaml").write_text(
        GUIDE.read_text(encoding="utf-8").replace("    name: {en: \"TikTok\", vi: \"TikTok\"}", "    name: {en: \"TikTok\"}"), encoding="utf-8")
    problems = [p for p in check_course(tmp_path) if p.file.endswith("platforms.guide.yaml")]
    assert problems and "missing the 'vi' translation" in problems[0].message and problems[0].line


# The model -------------------------------------------------------------------------------

def test_the_selection_shows_the_topics_asked_for_in_the_guides_order():
    selection = GuideSelection(load_guide(), "zalo", ["report", "block"])
    assert [t.id for t in selection.topics] == ["block", "report"]
    assert selection.platform.id == "zalo"
    changes = []
    selection.observe(lambda: changes.append(selection.platform.id))
    selection.choose_platform("instagram")
    assert changes == ["instagram"] and [t.id for t, _ in selection.sections()] == ["block", "report"]
    with pytest.raises(KeyError, match="expected one of"):
        selection.choose_platform("myspace")
    with pytest.raises(KeyError, match="not a topic"):
        selection.choose_topics(["gossip"])
    assert [t.id for t in GuideSelection(load_guide()).topics] == TOPICS


# The view (headless) ---------------------------------------------------------------------

def test_the_view_shows_one_app_and_switches_app_and_language(dummy_comm):
    view = show_platform_guide("zalo", topics=["block", "report"], language="vi")
    html = view._steps.value
    assert "Báo xấu" in html and "Chặn" in html and "data-platform='zalo'" in html
    assert "data-topic='privacy'" not in html and "2025-11" in html and "111" in html
    assert "Chụp màn hình trước" in html, "the tip of the topic: screenshots before blocking"
    view._platforms.value = "tiktok"  # what the dropdown does
    assert view.model.platform.id == "tiktok" and "data-platform='tiktok'" in view._steps.value
    view.set_language("en")
    assert "Where the buttons are" in view._title.value and "Labels may differ" in view._steps.value
    assert view._platforms.value == "tiktok" and ("🎵 TikTok", "tiktok") in view._platforms.options
    view.choose_platform("phone")
    assert "Block this Caller" in view._steps.value
    assert any(kwargs or args for c in dummy_comm for args, kwargs in c.messages), "state changes reach the front end"


def test_the_view_escapes_content(dummy_comm, tmp_path):
    text = GUIDE.read_text(encoding="utf-8").replace("Open the chat with the person.", "<script>x</script>", 1)
    path = tmp_path / "evil.guide.yaml"
    path.write_text(text, encoding="utf-8")
    view = show_platform_guide("zalo", topics=["block"], language="en", path=path)
    assert "<script>" not in view._steps.value and "&lt;script&gt;" in view._steps.value


# The printable version -------------------------------------------------------------------

@pytest.mark.parametrize("language", ["en", "vi"])
def test_the_printable_guide_is_generated_from_the_yaml(language):
    markdown = UNIT5 / f"platform-guide.{language}.md"
    assert markdown.read_text(encoding="utf-8") == markdown_for(language), (
        "the printable guide is out of date: run `python -m notalone.platform_guide`")
    assert (UNIT5 / f"platform-guide.{language}.html").read_text(encoding="utf-8") == render_handout(markdown)


def test_the_printable_guide_lists_every_app_and_topic(tmp_path):
    written = write(tmp_path)
    assert sorted(p.name for p in written) == sorted(f"platform-guide.{l}.{k}" for l in available_languages() for k in ("md", "html"))
    guide = load_guide()
    text = guide_markdown(guide, "en")
    for platform in guide.platforms:
        assert f"{platform.name['en']}\n" in text and platform.checked_month in text
    assert text.count("### Block\n") == len(guide.platforms) and text.count("### Location sharing\n") == len(guide.platforms)
    page = (tmp_path / "platform-guide.vi.html").read_text(encoding="utf-8")
    assert '<html lang="vi">' in page and "<script" not in page and "http" not in page.replace("<!DOCTYPE html>", "")


# The lessons -----------------------------------------------------------------------------

def _code(unit, language):
    notebook = json.loads((REPO / "lessons" / unit / f"{unit}.{language}.ipynb").read_text(encoding="utf-8"))
    return [("".join(c["source"]), c["metadata"].get("tags", [])) for c in notebook["cells"]]


@pytest.mark.parametrize("language", ["en", "vi"])
@pytest.mark.parametrize("unit, topics", [("unit05-block-and-report", ["block", "report"]),
                                          ("unit03-no-sharing", ["privacy", "location"]),
                                          ("unit02-no-links-calls-meetings", ["report"])])
def test_the_lessons_show_the_guide_where_each_rule_is_taught(unit, topics, language):
    cells = _code(unit, language)
    calls = [(text, tags) for text, tags in cells if "show_platform_guide(" in text and "setup" not in tags]
    assert len(calls) == 1 and calls[0][1] == ["scenario"], calls
    assert f"topics={json.dumps(topics)}" in calls[0][0]
    assert any("show_platform_guide" in text and "setup" in tags for text, tags in cells)
    markdown = "\n".join(text for text, _ in cells)
    assert f"platform-guide.{language}.html" in markdown, "the lesson links the printable version"
