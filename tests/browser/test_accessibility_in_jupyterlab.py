"""Accessibility of every widget kind in a real JupyterLab (Debian's Chromium): text contrast in the light, dark
and high-contrast themes, axe-core, a chat played with the keyboard only, and option texts that wrap at
1024 px and at 200% zoom.

One small notebook (made here, not a lesson) shows every widget kind in a state with its results visible.
Screenshots go to $NOTALONE_SHOTS (a folder) when it is set.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat
import pytest

import lab

pytestmark = pytest.mark.browser

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
AXE = Path(__file__).resolve().parent / ".node" / "node_modules" / "axe-core" / "axe.min.js"
NOTEBOOK = "a11y/widgets.ipynb"
THEMES = ("JupyterLab Light", "JupyterLab Dark", "JupyterLab Dark High Contrast")
MIN_RATIO = 4.5
# Each widget kind and the CSS class of its outermost element.
WIDGETS = {
    "chat": ".notalone-chat", "quiz": ".notalone-quiz:not(.notalone-knowledge-check)", "sorter": ".notalone-sorter",
    "help card": ".notalone-help-card-view", "rules card": ".notalone-rules-view", "URL inspector": ".notalone-url-inspector",
    "red-flag checker": ".notalone-red-flag-checker", "platform guide": ".notalone-platform-guide",
    "knowledge check": ".notalone-knowledge-check",
}

CELLS = [
    """from pathlib import Path
import widgets
from widgets import (play_scenario, show_quiz, show_sorter, show_help_card, show_rules, show_url_inspector,
                     show_red_flag_checker, show_platform_guide, show_knowledge_check)
LESSONS = Path('..').resolve()""",
    # A chat after one choice (feedback, new messages, options) and the same chat played to its end.
    """chat = play_scenario(LESSONS / 'unit07-share-with-family/talk-to-mum.scenario.yaml', language='en')
chat.choose(chat.model.options_in_order()[0].id)
chat""",
    """ended = play_scenario('ended.scenario.yaml', language='en')
ended.choose('move'); ended.choose('keep')
ended""",
    """vi_chat = play_scenario(LESSONS / 'unit01-online-kidnapping/dream-scholarship.scenario.yaml', language='vi')
vi_chat.choose(vi_chat.model.options_in_order()[-1].id)
vi_chat""",
    """quiz = show_quiz(LESSONS / 'unit01-online-kidnapping/self-check.quiz.yaml', language='en')
first, second = quiz.model.quiz.questions[:2]
quiz.select(first.id, first.options[0].id); quiz.submit(first.id)
quiz.select(second.id, *[o.id for o in second.options if o.correct]); quiz.submit(second.id)
quiz""",
    """sorter = show_sorter('tiny.sort.yaml', language='en')
for item, category in (('band', 'public'), ('code', 'public'), ('house', 'never')):
    sorter.place(item, category)
sorter.check()
sorter""",
    "show_help_card(language='en')",
    "show_rules(language='vi')",
    """inspector = show_url_inspector(LESSONS / 'unit02-no-links-calls-meetings/suspicious-links.links.yaml', language='en')
inspector.pick_example(0)
inspector""",
    """checker = show_red_flag_checker(language='en')
checker.check("Don't tell your parents. Send me a photo and join this link now, it's a secret between us.")
checker""",
    "show_platform_guide('zalo', ['block', 'report'], language='en')",
    """check = show_knowledge_check(LESSONS / 'knowledge-check/knowledge-check.quiz.yaml', 'before', language='en')
question = check.model.quiz.questions[0]
check.select(question.id, question.options[0].id); check.submit(question.id)
check""",
]

# The contrast of every visible text (text nodes, and the values of inputs and selects) inside `roots`, from
# computed styles: the background is found by compositing the backgrounds up the tree until one is opaque.
CONTRAST_JS = r"""
(selectors) => {
  // Computed colours come as rgb()/rgba(), or as color(srgb r g b / a) (0..1) for color-mix().
  const parse = c => {
    let m = c.match(/^rgba?\(([^)]+)\)$/), scale = 1;
    if (!m) { m = c.match(/^color\(srgb ([^)]+)\)$/); scale = 255; }
    if (!m) throw new Error('cannot read the colour ' + c);
    const p = m[1].split(/[ ,\/]+/).filter(Boolean).map(Number);
    return [p[0] * scale, p[1] * scale, p[2] * scale, p.length > 3 ? p[3] : 1]; };
  const over = (top, bottom) => { const a = top[3] + bottom[3] * (1 - top[3]);
    if (a === 0) return [0, 0, 0, 0];
    return [0, 1, 2].map(i => (top[i] * top[3] + bottom[i] * bottom[3] * (1 - top[3])) / a).concat([a]); };
  const background = el => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    let colour = [255, 255, 255, 1];  // the canvas
    for (const layer of layers.reverse()) colour = over(layer, colour);
    return colour;
  };
  const opacity = el => { let o = 1; for (let e = el; e; e = e.parentElement) o *= Number(getComputedStyle(e).opacity); return o; };
  const lum = c => { const [r, g, b] = c.slice(0, 3).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const ratio = (a, b) => { const [l1, l2] = [lum(a), lum(b)].sort((x, y) => y - x); return (l1 + 0.05) / (l2 + 0.05); };
  const results = [];
  const measure = (el, text, kind) => {
    if (!el.checkVisibility({opacityProperty: false, visibilityProperty: true})) return;
    const rect = el.getBoundingClientRect(); if (!rect.width || !rect.height) return;
    if (el.closest(':disabled, [aria-disabled="true"]')) return;  // inactive controls are exempt (WCAG 1.4.3)
    const style = getComputedStyle(el);
    const bg = background(el);
    const fg = parse(style.color); fg[3] *= opacity(el);
    const shown = over(fg, bg);
    results.push({kind, text: text.slice(0, 60), ratio: Math.round(ratio(shown, bg) * 100) / 100,
                  color: style.color, background: 'rgb(' + bg.slice(0, 3).map(Math.round).join(',') + ')'});
  };
  for (const [name, selector] of Object.entries(selectors)) {
    for (const root of document.querySelectorAll(selector)) {
      const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
      const seen = new Set();
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const el = node.parentElement;
        if (!node.textContent.trim() || seen.has(el) || el.closest('style, script, option')) continue;
        seen.add(el);
        measure(el, node.textContent.trim(), name);
      }
      for (const el of root.querySelectorAll('input[type=text], textarea, select'))
        measure(el, el.value || el.placeholder || '(empty)', name);
    }
  }
  return results;
}
"""

OVERFLOW_JS = r"""
() => Array.from(document.querySelectorAll('.notalone-option, .notalone-quiz-choices label, .notalone-sorter-text'))
  .filter(el => el.checkVisibility())
  .map(el => { const s = getComputedStyle(el);
    return {text: el.innerText.slice(0, 60), scroll: el.scrollWidth, client: el.clientWidth, overflow: s.textOverflow,
            whiteSpace: s.whiteSpace}; })
  .filter(o => o.scroll > o.client + 1 || (o.overflow === 'ellipsis' && o.whiteSpace === 'nowrap'))
"""


def write_notebook(root: Path) -> None:
    folder = root / "a11y"
    folder.mkdir(exist_ok=True)
    (folder / "tiny.sort.yaml").write_text((FIXTURES / "tiny.sort.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "ended.scenario.yaml").write_text((FIXTURES / "tiny.scenario.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in CELLS])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, folder / "widgets.ipynb")


@pytest.fixture(scope="module")
def lab_page(jupyterlab_server, browser_page, tmp_path_factory):
    """JupyterLab with the widget notebook open and run (one kernel for the whole module)."""
    server, page = jupyterlab_server, browser_page
    write_notebook(server.root_dir)
    lab.fresh_start(server, page)
    with lab.diagnose(page, server, tmp_path_factory.mktemp("a11y"), "a11y-open"):
        lab.open_notebook(page, server, NOTEBOOK)
        lab.run_all_cells(page)
        page.locator(".notalone-knowledge-check").wait_for(timeout=lab.RUN_TIMEOUT)
    yield server, page
    set_theme(page, "JupyterLab Light")
    page.set_viewport_size({"width": 1400, "height": 1000})


def set_theme(page, theme: str) -> None:
    """Switch JupyterLab's theme with its own command, as Settings > Theme does."""
    page.evaluate("(theme) => window.jupyterapp.commands.execute('apputils:change-theme', {theme})", theme)
    page.wait_for_function("(theme) => document.body.dataset.jpThemeName === theme", arg=theme, timeout=30_000)
    page.wait_for_timeout(300)  # the theme's stylesheet applies


def shoot(page, theme: str) -> None:
    """Screenshots of a chat, a quiz and the help card into $NOTALONE_SHOTS, when it is set."""
    folder = os.environ.get("NOTALONE_SHOTS")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    slug = theme.split()[-1].lower() if "High" not in theme else "high-contrast"
    page.set_viewport_size({"width": 1400, "height": 2400})  # tall enough for the whole quiz
    page.wait_for_timeout(300)
    for name, selector in (("chat", ".notalone-chat"), ("quiz", WIDGETS["quiz"]), ("help-card", ".notalone-help-card-view")):
        element = page.locator(selector).first
        element.scroll_into_view_if_needed()
        element.screenshot(path=str(Path(folder) / f"{name}-{slug}.png"))
    page.set_viewport_size({"width": 1400, "height": 1000})


@pytest.mark.parametrize("theme", THEMES)
def test_every_text_of_every_widget_meets_wcag_aa_contrast(lab_page, theme, tmp_path):
    server, page = lab_page
    with lab.diagnose(page, server, tmp_path, f"contrast-{theme}"):
        set_theme(page, theme)
        results = page.evaluate(CONTRAST_JS, WIDGETS)
        shoot(page, theme)
    kinds = {r["kind"] for r in results}
    assert kinds == set(WIDGETS), f"no text measured in: {set(WIDGETS) - kinds}"
    low = [r for r in results if r["ratio"] < MIN_RATIO]
    worst = min(r["ratio"] for r in results)
    print(f"{theme}: {len(results)} texts, min ratio {worst}, {len(low)} below {MIN_RATIO}")
    assert not low, f"{theme}: {len(low)} of {len(results)} texts below {MIN_RATIO}:1 (min {worst}):\n" + "\n".join(
        f"  {r['kind']}: {r['ratio']} {r['color']} on {r['background']}: {r['text']!r}" for r in low[:40])


def test_axe_finds_no_serious_violation_in_the_widgets(lab_page, tmp_path):
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: scripts/test.sh installs it (npm install --prefix tests/browser/.node axe-core@4)")
    server, page = lab_page
    problems = []
    with lab.diagnose(page, server, tmp_path, "axe"):
        page.add_script_tag(path=str(AXE))
        for theme in THEMES[:2]:
            set_theme(page, theme)
            for name, selector in WIDGETS.items():
                element = page.locator(selector).first
                element.scroll_into_view_if_needed()
                violations = page.evaluate(
                    """async (selector) => {
                      const result = await axe.run({include: [[selector]]}, {resultTypes: ['violations']});
                      return result.violations.filter(v => ['serious', 'critical'].includes(v.impact))
                        .map(v => ({id: v.id, impact: v.impact, help: v.help,
                                    nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ': ' + n.failureSummary)}));
                    }""", selector)
                problems += [f"{theme} / {name}: {v['impact']} {v['id']} ({v['help']}): {v['nodes']}" for v in violations]
    assert not problems, "axe-core found:\n" + "\n".join(problems)


def test_a_chat_plays_to_the_end_with_tab_and_enter_only(lab_page, tmp_path):
    from playwright.sync_api import expect

    server, page = lab_page
    with lab.diagnose(page, server, tmp_path, "keyboard"):
        set_theme(page, "JupyterLab Light")
        chat = page.locator(".notalone-chat").nth(1)  # the tiny chat, already at its end
        again = chat.locator(".notalone-play-again")
        # Start from the chat's language picker and Tab to "Play again", as a keyboard user would.
        chat.locator("select").first.focus()
        for _ in range(30):
            if page.evaluate("() => document.activeElement.classList.contains('notalone-play-again')"):
                break
            page.keyboard.press("Tab")
        expect(again).to_be_focused()
        page.keyboard.press("Enter")
        summary = chat.locator(".notalone-summary").filter(visible=True)
        expect(summary).to_have_count(0, timeout=lab.STEP_TIMEOUT)
        choices = 0
        for _ in range(lab.MAX_OPTION_CLICKS):
            # After every choice (and after Play again) the focus is on the first new option, or on Play again at the end.
            focused = page.locator(":focus")
            expect(focused).to_have_class(re.compile(r"notalone-(option|play-again)"), timeout=lab.STEP_TIMEOUT)
            if summary.count() and "notalone-play-again" in (focused.get_attribute("class") or ""):
                break
            label = focused.inner_text()
            assert focused.is_visible() and page.evaluate(
                "() => { const r = document.activeElement.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; }"), \
                f"the focused option {label!r} is not scrolled into view"
            page.keyboard.press("Enter")
            choices += 1
            expect(chat.locator(".notalone-message.notalone-from-student").last).to_contain_text(label, timeout=lab.STEP_TIMEOUT)
            # Screen readers hear the verdict and the new messages from the chat's polite live region.
            live = chat.locator(":scope > .notalone-live[aria-live=polite]")
            expect(live).to_contain_text(re.compile("Safe choice|Risky choice"), timeout=lab.STEP_TIMEOUT)
        expect(summary).to_be_visible()
        assert choices == 2, f"two decisions in the tiny chat, made {choices}"
        # The feedback on the last choice follows the student's reply, before the contact's next messages.
        order = chat.evaluate("""chat => Array.from(chat.querySelectorAll('.notalone-message, .notalone-feedback-card'))
            .filter(e => e.checkVisibility())
            .map(e => e.classList.contains('notalone-feedback-card') ? 'feedback' : e.className.match(/notalone-from-(\\w+)/)[1])""")
        first_feedback = order.index("feedback")
        assert order[first_feedback - 1] == "student", f"feedback does not follow the student's reply: {order}"
        assert page.locator(".notalone-chat[lang=vi]").count() == 1, "the Vietnamese chat carries lang=vi"
        assert page.locator(".notalone-chat[lang=en]").count() == 2


@pytest.mark.parametrize("width,height,zoom", [(1024, 768, 1), (1366, 768, 2)])
def test_option_texts_wrap_instead_of_being_cut_off(lab_page, tmp_path, width, height, zoom):
    server, page = lab_page
    with lab.diagnose(page, server, tmp_path, f"wrap-{width}-{zoom}"):
        set_theme(page, "JupyterLab Light")
        # 200% zoom gives the page half as many CSS pixels: the layout a zoomed browser makes.
        page.set_viewport_size({"width": width // zoom, "height": height // zoom})
        page.wait_for_timeout(500)
        count = page.locator(".notalone-option").count()
        assert count >= 3, f"only {count} chat options on the page"
        cut = page.evaluate(OVERFLOW_JS)
    page.set_viewport_size({"width": 1400, "height": 1000})
    assert not cut, f"{len(cut)} option texts are cut off at {width}px, zoom {zoom * 100}%:\n" + "\n".join(map(str, cut))
