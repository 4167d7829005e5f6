"""Where the buttons are: the data of the platform guide and the pure model of one student's view of it.

The guide (``widgets/data/platforms.guide.yaml``, schema ``widgets/schemas/platform-guide.schema.json``)
says, for each real app teenagers use (Zalo, Facebook, Messenger, TikTok, Instagram, a game, the phone
itself), how to block, report, tighten privacy and turn off location sharing. Menus move between app
versions, so every app says which version and month its steps describe (``checked``) and what to look
for when a menu has moved (``look_for``).

``GuideSelection`` is what the widget shows: one app at a time and the topics a lesson asks for
(``show_platform_guide("zalo", topics=["block", "report"])``). ``guide_markdown`` writes the same
steps as a printable Markdown handout (``python -m notalone.platform_guide``). No ipywidgets here.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Callable, Iterable, Sequence

from .content import Document, load_content
from .errors import Problem
from .i18n import localize, ui
from .rules import rules

DEFAULT_GUIDE = "platforms.guide.yaml"  # in widgets/data/


@dataclass(frozen=True)
class Topic:
    id: str
    label: dict
    icon: str
    rule: str | None
    tip: dict | None


@dataclass(frozen=True)
class TopicSteps:
    steps: tuple[dict, ...]
    note: dict | None


@dataclass(frozen=True)
class Platform:
    id: str
    name: dict
    icon: str
    checked_app: dict
    checked_month: str  # YYYY-MM
    look_for: dict
    topics: dict  # topic id -> TopicSteps

    def steps(self, topic_id: str) -> TopicSteps:
        if topic_id not in self.topics:
            raise KeyError(f"{self.id!r} has no steps for {topic_id!r}; it has: {', '.join(self.topics)}")
        return self.topics[topic_id]


@dataclass(frozen=True)
class PlatformGuide:
    id: str
    title: dict
    intro: dict
    topics: tuple[Topic, ...]
    platforms: tuple[Platform, ...]
    source: str

    def topic(self, topic_id: str) -> Topic:
        for topic in self.topics:
            if topic.id == topic_id:
                return topic
        raise KeyError(f"{topic_id!r} is not a topic of the guide; expected one of: {', '.join(t.id for t in self.topics)}")

    def platform(self, platform_id: str) -> Platform:
        for platform in self.platforms:
            if platform.id == platform_id:
                return platform
        raise KeyError(f"{platform_id!r} is not an app in the guide; expected one of: "
                       f"{', '.join(p.id for p in self.platforms)}")


def guide_problems(document: Document) -> list[Problem]:
    """What a schema cannot see: duplicate ids, unknown rules, and an app missing a topic or naming an unknown one."""
    data, problems = document.data, []
    topic_ids: list[str] = []
    for index, topic in enumerate(data["topics"]):
        if topic["id"] in topic_ids:
            problems.append(document.problem(("topics", index, "id"), f"topic id {topic['id']!r} is used twice"))
        topic_ids.append(topic["id"])
        if "rule" in topic and topic["rule"] not in rules():
            problems.append(document.problem(("topics", index, "rule"), f"unknown rule {topic['rule']!r}; expected one of: {', '.join(rules())}"))
    platform_ids: set[str] = set()
    for index, platform in enumerate(data["platforms"]):
        where = ("platforms", index)
        if platform["id"] in platform_ids:
            problems.append(document.problem(where + ("id",), f"app id {platform['id']!r} is used twice"))
        platform_ids.add(platform["id"])
        for topic_id in platform["topics"]:
            if topic_id not in topic_ids:
                problems.append(document.problem(where + ("topics", topic_id), f"{topic_id!r} is not a topic of the guide; "
                                                 f"expected one of: {', '.join(topic_ids)}"))
        missing = [topic_id for topic_id in topic_ids if topic_id not in platform["topics"]]
        if missing:
            problems.append(document.problem(where + ("topics",), f"no steps for {', '.join(missing)}: every app covers every topic "
                                             "(say what to look for when you are not sure of the exact menu)"))
    return problems


def _default_guide_path() -> Path:
    return Path(str(resources.files("widgets").joinpath("data", DEFAULT_GUIDE)))


def load_guide(path: str | Path | None = None) -> PlatformGuide:
    """Read and check a platform guide (default: the course's widgets/data/platforms.guide.yaml).

    Raises ContentError naming the file, line and field of every problem.
    """
    document = load_content(_default_guide_path() if path is None else Path(path), "platform-guide", guide_problems)
    data = document.data
    topics = tuple(Topic(t["id"], t["label"], t.get("icon", ""), t.get("rule"), t.get("tip")) for t in data["topics"])
    platforms = tuple(
        Platform(p["id"], p["name"], p.get("icon", ""), p["checked"]["app"], p["checked"]["month"], p["look_for"],
                 {topic_id: TopicSteps(tuple(entry["steps"]), entry.get("note")) for topic_id, entry in p["topics"].items()})
        for p in data["platforms"])
    return PlatformGuide(data["id"], data["title"], data["intro"], topics, platforms, document.name)


load_platform_guide = load_guide  # the loader under the name the widget pattern uses (load_<kind>)


class GuideSelection:
    """Which app and which topics a student is looking at. Programmatic triggers: choose_platform(), choose_topics()."""

    def __init__(self, guide: PlatformGuide, platform: str | None = None, topics: Iterable[str] | None = None):
        self.guide = guide
        self._listeners: list[Callable[[], None]] = []
        self._topics = self._checked_topics(topics)
        self._platform = guide.platform(platform).id if platform else guide.platforms[0].id

    def _checked_topics(self, topics: Iterable[str] | None) -> tuple[str, ...]:
        if topics is None:
            return tuple(t.id for t in self.guide.topics)
        if isinstance(topics, str):
            topics = [topics]
        chosen = {self.guide.topic(topic_id).id for topic_id in topics}
        if not chosen:
            raise ValueError("choose at least one topic")
        return tuple(t.id for t in self.guide.topics if t.id in chosen)  # always in the guide's order

    # What the student (or a test) does ------------------------------------------
    def choose_platform(self, platform_id: str) -> None:
        self._platform = self.guide.platform(platform_id).id
        self._changed()

    def choose_topics(self, topics: Iterable[str]) -> None:
        self._topics = self._checked_topics(topics)
        self._changed()

    # What the view reads ------------------------------------------------------
    @property
    def platform(self) -> Platform:
        return self.guide.platform(self._platform)

    @property
    def topics(self) -> tuple[Topic, ...]:
        return tuple(self.guide.topic(topic_id) for topic_id in self._topics)

    def sections(self) -> list[tuple[Topic, TopicSteps]]:
        """(topic, its steps in the chosen app), in the guide's order."""
        return [(topic, self.platform.steps(topic.id)) for topic in self.topics]

    def observe(self, callback: Callable[[], None]) -> None:
        self._listeners.append(callback)

    def _changed(self) -> None:
        for callback in self._listeners:
            callback()


def checked_line(platform: Platform, language: str) -> str:
    """'Checked against Zalo for Android and iPhone, ... (2025-11).'"""
    return ui("guide_checked", language, app=localize(platform.checked_app, language), month=platform.checked_month)


def guide_markdown(guide: PlatformGuide, language: str, *, platforms: Sequence[str] | None = None,
                   topics: Sequence[str] | None = None, source_note: str = "") -> str:
    """The guide as printable Markdown (the subset notalone.handout renders): one section per app."""
    chosen_topics = [guide.topic(t) for t in topics] if topics else list(guide.topics)
    chosen = [guide.platform(p) for p in platforms] if platforms else list(guide.platforms)
    t = lambda text: localize(text, language)  # noqa: E731
    lines = [f"# {t(guide.title)}", "", t(guide.intro), ""]
    # No emoji icons on paper: printers and school computers often lack an emoji font.
    tips = [f"- **{t(topic.label)}:** {t(topic.tip)}" for topic in chosen_topics if topic.tip]
    if tips:
        lines += [f"## {ui('guide_before_you_start', language)}", "", *tips, ""]
    for platform in chosen:
        lines += [f"## {t(platform.name)}", "", f"{checked_line(platform, language)} {t(platform.look_for)}", ""]
        for topic in chosen_topics:
            steps = platform.steps(topic.id)
            lines += [f"### {t(topic.label)}", ""]
            lines += [f"{number}. {t(step)}" for number, step in enumerate(steps.steps, 1)]
            lines.append("")
            if steps.note:
                lines += [t(steps.note), ""]
    lines += [ui("guide_help_line", language), ""]
    if source_note:
        lines += [source_note, ""]
    return "\n".join(lines)
