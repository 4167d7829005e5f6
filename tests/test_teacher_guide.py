"""The teacher guide, in English and in full in Vietnamese (teacher-guide/vi/): every page has its
twin, the pages link each other, and every link and anchor resolves."""

from __future__ import annotations

import re

import pytest

from support import REPO

GUIDE = REPO / "teacher-guide"
UNIT_PAGES = sorted(path.name for path in GUIDE.glob("unit*.md"))
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")


def prose(text: str) -> str:
    """Markdown without code blocks and inline code, where a link is only an example."""
    text = re.sub(r"^(```|~~~).*?^\1", "", text, flags=re.M | re.S)
    return re.sub(r"`[^`\n]*`", "", text)


def anchors(path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens (letters with accents kept)."""
    headings = re.findall(r"^#{1,6}\s+(.+?)\s*$", prose(path.read_text(encoding="utf-8")), flags=re.M)
    return {re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-") for heading in headings}


def all_pages():
    return sorted(GUIDE.rglob("*.md"))


def test_every_unit_page_has_a_full_vietnamese_twin():
    from notalone.course import load_manifest

    units = {unit.id for unit in load_manifest(REPO)[0] if unit.kind == "unit"}
    assert {name.removesuffix(".md") for name in UNIT_PAGES} == units  # one page per unit of the manifest
    for name in UNIT_PAGES + ["README.md"]:
        twin = GUIDE / "vi" / name
        assert twin.is_file(), f"teacher-guide/vi/{name} is missing"
        english, vietnamese = (GUIDE / name).read_text(encoding="utf-8"), twin.read_text(encoding="utf-8")
        # a full version, not a summary: every section of the English page is there
        assert vietnamese.count("\n## ") >= english.count("\n## ") - (1 if "## Tóm tắt" in english else 0), name
        assert len(vietnamese) > 0.8 * len(english.split("## Tóm tắt")[0]), f"vi/{name} looks like a summary"


@pytest.mark.parametrize("name", UNIT_PAGES + ["README.md"])
def test_the_two_languages_link_each_other(name):
    english = prose((GUIDE / name).read_text(encoding="utf-8"))
    vietnamese = prose((GUIDE / "vi" / name).read_text(encoding="utf-8"))
    assert f"](vi/{name})" in english, f"teacher-guide/{name} does not link its Vietnamese version"
    assert f"](../{name})" in vietnamese, f"teacher-guide/vi/{name} does not link its English version"


def test_both_indexes_link_every_unit_page():
    english = prose((GUIDE / "README.md").read_text(encoding="utf-8"))
    vietnamese = prose((GUIDE / "vi" / "README.md").read_text(encoding="utf-8"))
    for name in UNIT_PAGES:
        assert f"]({name})" in english and f"](vi/{name})" in english, name
        assert f"]({name})" in vietnamese and f"](../{name})" in vietnamese, name


@pytest.mark.parametrize("page", all_pages(), ids=lambda path: str(path.relative_to(GUIDE)))
def test_every_link_and_anchor_resolves(page):
    for target in LINK.findall(prose(page.read_text(encoding="utf-8"))):
        if re.match(r"[a-z]+:", target):
            continue  # an outside address: none is needed offline
        file, _, anchor = target.partition("#")
        resolved = (page.parent / file).resolve() if file else page
        assert resolved.exists(), f"{page.relative_to(REPO)}: the link {target!r} does not resolve"
        if anchor and resolved.suffix == ".md":
            assert anchor in anchors(resolved), f"{page.relative_to(REPO)}: no heading for #{anchor} in {resolved.name}"


@pytest.mark.parametrize("page", sorted((GUIDE / "vi").glob("*.md")), ids=lambda path: path.name)
def test_the_vietnamese_guide_follows_the_facts(page):
    text = page.read_text(encoding="utf-8")
    assert "111" in text and "113" in text
    assert "Tín nhiệm số" not in text  # the alliance is "Liên minh Niềm Tin Số"
    assert not re.search(r"(?i)(?<!\w)(quận|huyện)(?!\w)", text), "districts no longer exist: write phường/xã"
    assert not re.search(r"(?i)trong năm 2025,? (công an|lực lượng)", text), 'write "từ đầu năm 2025"'
    assert not re.search(r"(?i)gọi 113 để (xác minh|kiểm tra)", text), "113 is for danger right now, not for checking a call"
