"""Pieces every view shares: the course's stylesheet (all of its CSS), safe HTML, cards, bubbles, the language
picker, and the small script that sets the language, announces updates and moves the focus."""

from __future__ import annotations

import html
import itertools
from typing import Callable

import ipywidgets as w

from ..i18n import available_languages, localize, ui

# Every colour comes from JupyterLab's theme variables, so the widgets follow the light, dark and high-contrast
# themes. A card with its own background sets its text colour too (an explicit pair). Tints are mixed from the
# theme's own layout colour, so they stay light in a light theme and dark in a dark one.
STYLESHEET = """
.notalone-widget { color: var(--jp-content-font-color1); --notalone-on-strong: #fff;
  --notalone-strong: color-mix(in srgb, var(--jp-brand-color0) 80%, #000); }
.notalone-widget .notalone-card {
  border: 1px solid var(--jp-border-color1); border-radius: 10px; padding: 10px 12px; margin: 4px 0; max-width: 720px;
  background: var(--jp-layout-color1); color: var(--jp-content-font-color1); }
.notalone-widget .notalone-card-good { background: color-mix(in srgb, var(--jp-success-color1) 14%, var(--jp-layout-color1));
  border-left: 6px solid var(--jp-success-color1); }
.notalone-widget .notalone-card-warn { background: color-mix(in srgb, var(--jp-warn-color1) 14%, var(--jp-layout-color1));
  border-left: 6px solid var(--jp-warn-color1); }
.notalone-widget .notalone-card-bad { background: color-mix(in srgb, var(--jp-error-color1) 12%, var(--jp-layout-color1));
  border-left: 6px solid var(--jp-error-color1); }
.notalone-widget .notalone-card-info { background: color-mix(in srgb, var(--jp-brand-color1) 12%, var(--jp-layout-color1));
  border-left: 6px solid var(--jp-brand-color1); }
.notalone-widget .notalone-card-neutral { background: var(--jp-layout-color2); }
.notalone-widget .notalone-card h4 { margin: 4px 0; color: inherit; }
.notalone-widget table { border-collapse: collapse; color: inherit; }
.notalone-widget th, .notalone-widget td { border-bottom: 1px solid var(--jp-border-color2); padding: 3px 8px 3px 0;
  text-align: left; vertical-align: top; }
.notalone-widget a { color: var(--jp-content-link-color); }
.notalone-message { border-radius: 12px; padding: 6px 10px; margin: 4px 0; max-width: 720px; overflow-wrap: anywhere;
  color: var(--jp-content-font-color1); }
.notalone-from-contact { background: var(--jp-layout-color2); margin-right: 25%; }
.notalone-from-student { background: color-mix(in srgb, var(--jp-brand-color1) 22%, var(--jp-layout-color1)); margin-left: 25%;
  text-align: right; }
.notalone-from-narrator { background: transparent; font-style: italic; text-align: center; }
.notalone-sender { font-size: 85%; font-weight: 600; }
.notalone-badge { display: inline-block; min-width: 1.2em; padding: 0 4px; margin-right: 4px; border-radius: 4px;
  font-weight: bold; font-style: normal; text-align: center; color: var(--notalone-on-strong); background: var(--notalone-strong); }
.notalone-badge-good { background: color-mix(in srgb, var(--jp-success-color0) 80%, #000); }
.notalone-badge-warn { background: color-mix(in srgb, var(--jp-warn-color0) 60%, #000); }
.notalone-badge-bad { background: color-mix(in srgb, var(--jp-error-color0) 80%, #000); }
/* Long options wrap onto more lines instead of ending in "…". */
.notalone-widget .notalone-option { white-space: normal; overflow: visible; text-overflow: clip; height: auto;
  min-height: var(--jp-widgets-inline-height); max-width: min(720px, 100%); text-align: left; line-height: 1.4;
  padding: 6px 12px; margin: 2px 0; border: 1px solid var(--jp-border-color1); }
.notalone-widget .notalone-quiz-choices label, .notalone-widget .notalone-quiz-choices .widget-label-basic,
.notalone-widget .notalone-quiz-choices .widget-checkbox { white-space: normal; overflow: visible; text-overflow: clip;
  height: auto; line-height: 1.4; }
.notalone-widget .notalone-quiz-choices .widget-radio-box label { margin-bottom: 4px; }
.notalone-widget .jupyter-button:focus-visible, .notalone-widget select:focus-visible,
.notalone-widget input:focus-visible, .notalone-widget textarea:focus-visible {
  outline: 3px solid var(--jp-brand-color1); outline-offset: 2px; }
/* Coloured buttons: white on a dark shade of the theme's brand colour. */
.notalone-widget .jupyter-button.mod-primary, .notalone-widget .jupyter-button.mod-info,
.notalone-widget .jupyter-button.mod-success, .notalone-widget .jupyter-button.mod-warning,
.notalone-widget .jupyter-button.mod-danger { background: var(--notalone-strong); color: var(--notalone-on-strong); }
.notalone-widget .notalone-sr-only, .notalone-widget .notalone-sorter-choice .widget-label { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
/* The URL inspector's parts of a link, each a tint of a theme colour; a letter that is not plain ASCII stands out. */
.notalone-widget .notalone-url-part { border-radius: 4px; color: var(--jp-content-font-color1);
  background: var(--jp-layout-color2); }
.notalone-widget .notalone-url-part-punctuation, .notalone-widget .notalone-url-part-text { background: transparent; }
.notalone-widget .notalone-url-part-scheme { background: color-mix(in srgb, var(--jp-brand-color1) 16%, var(--jp-layout-color1)); }
.notalone-widget .notalone-url-part-userinfo { background: color-mix(in srgb, var(--jp-error-color1) 22%, var(--jp-layout-color1)); }
.notalone-widget .notalone-url-part-subdomain { background: color-mix(in srgb, var(--jp-warn-color1) 22%, var(--jp-layout-color1)); }
.notalone-widget .notalone-url-part-name { background: color-mix(in srgb, var(--jp-success-color1) 24%, var(--jp-layout-color1)); }
.notalone-widget .notalone-url-part-suffix { background: color-mix(in srgb, var(--jp-info-color1) 18%, var(--jp-layout-color1)); }
.notalone-widget .notalone-url-part-port { background: color-mix(in srgb, var(--jp-brand-color1) 10%, var(--jp-layout-color2)); }
.notalone-widget .notalone-url-odd-letter { color: var(--jp-content-font-color1);
  background: color-mix(in srgb, var(--jp-error-color1) 28%, var(--jp-layout-color1));
  text-decoration: underline wavy var(--jp-error-color1); }
/* Students type Vietnamese in the red-flag checker: monospace fonts misplace diacritics. */
.notalone-red-flag-input textarea { font-family: var(--jp-ui-font-family); }
"""

# Runs each time the support widget's HTML changes (an image that cannot load calls onerror): sets the view's
# lang, keeps one aria-live region in it, and after a student's action announces the new content, scrolls it
# into view and focuses the first new control (the clicked button is gone, so focus would fall to the page).
FOLLOW_SCRIPT = """(function (marker) {
  var root = marker.closest('.notalone-widget'), d = marker.dataset;
  if (!root) return;
  if (d.lang) root.setAttribute('lang', d.lang);
  var live = root.querySelector(':scope > .notalone-live');
  if (!live) {
    live = document.createElement('div'); live.className = 'notalone-live notalone-sr-only';
    live.setAttribute('role', 'status'); live.setAttribute('aria-live', 'polite'); root.prepend(live);
  }
  if (!d.nonce || root.dataset.notaloneFollowed === d.nonce) return;
  root.dataset.notaloneFollowed = d.nonce;
  var active = document.activeElement;
  if (active && active !== document.body && !root.contains(active)) return;
  live.textContent = '';
  setTimeout(function () { live.textContent = d.say; }, 150);
  var scroller = function (el) {
    for (var e = el.parentElement; e; e = e.parentElement) {
      var s = getComputedStyle(e).overflowY;
      if ((s === 'auto' || s === 'scroll') && e.scrollHeight > e.clientHeight) return e.getBoundingClientRect();
    }
    return {top: 0, bottom: window.innerHeight};
  };
  var tries = 0;
  (function follow() {
    var target = d.focus ? Array.prototype.find.call(root.querySelectorAll(d.focus), function (b) {
      return b.offsetParent && !b.disabled && (!d.label || b.innerText.trim() === d.label); }) : null;
    if (d.focus && !target && ++tries < 100) { setTimeout(follow, 50); return; }
    var starts = d.start ? root.querySelectorAll(d.start) : [root], start = starts[starts.length - 1];
    if (start && start.offsetParent) start.scrollIntoView({block: 'start'});
    if (!target) return;
    var box = scroller(target), r = target.getBoundingClientRect();
    if (r.bottom > box.bottom || r.top < box.top) target.scrollIntoView({block: 'end'});
    target.focus({preventScroll: true});
  })();
})(this)"""

_nonces = itertools.count(1)

def escape(text: str) -> str:
    """Content text as HTML: escaped, with line breaks kept."""
    return html.escape(text).replace("\n", "<br>")


def card(body: str, kind: str = "plain", css_class: str = "") -> str:
    """A card: kind is plain, good, warn, bad, info or neutral (its background and text colours come as a pair)."""
    classes = f"notalone-card notalone-card-{kind} {css_class}".strip()
    return f"<div class='{classes}'>{body}</div>"


def badge(symbol: str, kind: str) -> str:
    """A small coloured mark next to a verdict's words; hidden from screen readers, the words carry the meaning."""
    return f"<span class='notalone-badge notalone-badge-{kind}' aria-hidden='true'>{symbol}</span>"


def decoration(emoji: str) -> str:
    """An emoji that only decorates: screen readers skip it."""
    return f"<span aria-hidden='true'>{escape(emoji)}</span>" if emoji else ""


def bubble(text: str, *, sender: str, label: str = "") -> str:
    """One chat message as HTML. The contact's messages sit left, the student's right."""
    heading = f"<div class='notalone-sender'>{escape(label)}</div>" if label else ""
    return f"<div class='notalone-message notalone-from-{sender}'>{heading}{escape(text)}</div>"


def support_html(language: str, *, say: str = "", focus: str = "", label: str = "", start: str = "") -> str:
    """The stylesheet and the script marker. With `say`, the view announces it and moves to the `focus` element
    (a CSS selector; `label` its text), after scrolling the last `start` (a selector; the whole view when empty) into view."""
    data = {"lang": language}
    if say or focus:
        data.update(nonce=str(next(_nonces)), say=say, focus=focus, label=label, start=start)
    attributes = " ".join(f"data-{key}='{html.escape(value, quote=True)}'" for key, value in data.items())
    return (f"<style>{STYLESHEET}</style><img src='data:,' alt='' hidden {attributes} "
            f"onerror=\"{html.escape(FOLLOW_SCRIPT, quote=True)}\">")


def language_picker(language: str, on_change: Callable[[str], None]) -> w.Dropdown:
    """A small dropdown listing every language that has a locale file."""
    picker = w.Dropdown(options=[(ui("language_name", code), code) for code in available_languages()], value=language,
                        description=ui("choose_language", language), layout=w.Layout(width="220px"))
    picker.add_class("notalone-language")
    picker.observe(lambda change: on_change(change["new"]), names="value")
    return picker


class LocalizedView(w.VBox):
    """A view in one language at a time, with a language picker. Subclasses create `self._picker` with
    language_picker(language, self.set_language) and implement refresh(). Every view also holds the course's
    stylesheet and its lang attribute (the support widget, last child)."""

    language: str

    def __init__(self, children=(), **kwargs):
        self._support = w.HTML(support_html(getattr(self, "language", "en")), layout=w.Layout(display="none"))
        self._support.add_class("notalone-support")
        super().__init__([*children, self._support], **kwargs)
        self.add_class("notalone-widget")

    def set_language(self, language: str) -> None:
        """Show the view in `language` (what the picker does)."""
        self.language = language
        self._picker.value = language
        self._support.value = support_html(language)
        self.refresh()

    def _t(self, text) -> str:
        return localize(text, self.language)

    def refresh(self) -> None:
        raise NotImplementedError
