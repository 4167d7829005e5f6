"""`notalone lite build`'s pieces that need no download or browser (tests/browser/test_lite_offline.py
builds and drives the whole site)."""

from __future__ import annotations

import zipfile

import pytest

from notalone import lite
from support import REPO


def test_the_widgets_wheel_is_pure_and_carries_its_data(tmp_path):
    wheel = lite.widgets_wheel(REPO, tmp_path)
    assert wheel.name.endswith("-py3-none-any.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ["widgets/__init__.py", "widgets/browser.py", "widgets/locales/vi.yaml", "widgets/locales/vi.progress.yaml",
                   "widgets/schemas/scenario.schema.json"]:
        assert needed in names, needed
    assert not any("__pycache__" in name for name in names)
    record = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("/RECORD"))).decode()
    assert all(f"{name}," in record for name in names)


def test_the_site_never_asks_pypi_and_opens_on_the_contents(tmp_path):
    settings = lite.site_config()["jupyter-config-data"]["litePluginSettings"][lite.KERNEL_PLUGIN]
    assert settings == {"disablePyPIFallback": True}
    index = tmp_path / "index.html"
    index.write_text('<html><head><script id="jupyter-config-data">{}</script></head></html>', encoding="utf-8")
    lite.open_on_contents(index)
    text = index.read_text(encoding="utf-8")
    assert "lab/index.html?path=README.md" in text and 'id="jupyter-config-data"' in text
    index.write_text("<html></html>", encoding="utf-8")
    with pytest.raises(lite.LiteError, match="no <head>"):
        lite.open_on_contents(index)


def test_the_lock_keeps_only_what_a_lesson_needs():
    packages = {"ipython": {"depends": ["traitlets", "Pygments"]}, "traitlets": {"depends": []}, "pygments": {"depends": []},
                "numpy": {"depends": []}}
    assert lite._closure(packages, ["ipython"]) == ["ipython", "pygments", "traitlets"]
    with pytest.raises(lite.LiteError, match="no package 'micropip'"):
        lite._closure(packages, ["micropip"])


def test_contents_hold_both_languages_and_a_courses_released_assignments(tmp_path):
    course = tmp_path / "course"
    (course / "release" / "unit01-online-kidnapping").mkdir(parents=True)
    (course / "release" / "unit01-online-kidnapping" / "unit01.ipynb").write_text("{}", encoding="utf-8")
    (course / "release" / "unit01-online-kidnapping" / "notalone-progress.json").write_text("{}", encoding="utf-8")
    contents = tmp_path / "contents"
    assert lite.stage_contents(REPO, contents, course) == ["unit01-online-kidnapping"]
    assert (contents / "unit01-online-kidnapping" / "unit01-online-kidnapping.vi.ipynb").is_file()
    assert (contents / "unit01-online-kidnapping" / "unit01-online-kidnapping.en.ipynb").is_file()
    assert (contents / "knowledge-check" / "before.vi.ipynb").is_file()
    assert (contents / "assignments" / "unit01-online-kidnapping" / "unit01.ipynb").is_file()
    assert not (contents / "assignments" / "unit01-online-kidnapping" / "notalone-progress.json").exists()
    assert "](assignments/unit01-online-kidnapping/)" in (contents / "README.md").read_text(encoding="utf-8")
    with pytest.raises(lite.LiteError, match="no release/ folder"):
        lite.stage_contents(REPO, tmp_path / "other", tmp_path / "not-a-course")
