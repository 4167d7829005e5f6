"""The URL inspector: the pure model (splitting, punycode, look-alikes, short links), its content
files (errors name file, line and field) and its ipywidgets view driven headlessly."""

import html
import subprocess
import sys

import pytest

from widgets import ContentError
from widgets.i18n import available_languages, ui_strings
from widgets.url_inspector import (FINDINGS, PROBLEMS, UrlInspector, inspect_url, is_reserved, load_links, skeleton,
                                   split_url)

from support import FIXTURES, REPO

LINKS = FIXTURES / "tiny.links.yaml"
TINY = LINKS.read_text(encoding="utf-8")
CYRILLIC_A = "\u0430"


@pytest.fixture
def links():
    return load_links(LINKS)


# Taking a link apart ---------------------------------------------------------------
def test_a_link_is_split_into_every_part():
    parts = split_url("HTTPS://vietcombank.com.vn@Secure.Login.Example:8443/xac-thuc?ref=sms#top")
    assert (parts.scheme, parts.userinfo, parts.host, parts.port) == ("https", "vietcombank.com.vn", "secure.login.example", 8443)
    assert (parts.subdomain, parts.domain, parts.name, parts.suffix) == ("secure", "login.example", "login", "example")
    assert (parts.path, parts.query, parts.fragment) == ("/xac-thuc", "ref=sms", "top")
    assert [kind for kind, _ in parts.pieces() if kind != "punctuation"] == [
        "scheme", "userinfo", "subdomain", "name", "suffix", "port", "path", "query", "fragment"]
    assert "".join(text for _, text in parts.pieces()) == "https://vietcombank.com.vn@secure.login.example:8443/xac-thuc?ref=sms#top"


@pytest.mark.parametrize("host, domain, suffix", [
    ("www.vietcombank.com.vn", "vietcombank.com.vn", "com.vn"),   # the longest suffix wins: com.vn, not vn
    ("vietcombank.online", "vietcombank.online", "online"),       # the full Public Suffix List: every real ending
    ("zalo.com.vn.example.cm", "example.cm", "cm"),
    ("hoc.vietcombank.com.cm", "vietcombank.com.cm", "com.cm"),
    ("someone.github.io", "someone.github.io", "github.io"),      # private suffixes: each user owns their own site
    ("chinhphu.vn", "chinhphu.vn", "vn"),
    ("bocongan.gov.vn.tra-cuu.example", "tra-cuu.example", "example"),
    ("a.b.c.test", "c.test", "test"),
])
def test_the_registered_domain_comes_from_the_public_suffix_list(host, domain, suffix):
    parts = split_url(f"https://{host}/")
    assert (parts.domain, parts.suffix) == (domain, suffix)


def test_an_unknown_ending_or_a_bare_suffix_has_no_registered_domain():
    assert split_url("https://foo.zzz/").domain == ""
    assert split_url("https://com.vn/").domain == "" and split_url("https://com.vn/").suffix == "com.vn"


def test_a_link_without_a_scheme_is_read_as_a_web_address():
    parts = split_url("vietcombank.com.vn/login")
    assert (parts.scheme, parts.domain, parts.path) == ("", "vietcombank.com.vn", "/login")
    assert split_url("localhost:8080/x").port == 8080


def test_punycode_is_decoded_and_unicode_is_encoded():
    parts = split_url("https://xn--vietcombnk-6qi.example/")
    assert parts.host_unicode == f"vietcomb{CYRILLIC_A}nk.example" and parts.name == f"vietcomb{CYRILLIC_A}nk"
    typed = split_url(f"https://vietcomb{CYRILLIC_A}nk.example/")
    assert typed.host_ascii == "xn--vietcombnk-6qi.example" and typed.domain_unicode == f"vietcomb{CYRILLIC_A}nk.example"
    assert split_url("https://xn--zz.example/").bad_labels == ("xn--zz",)


@pytest.mark.parametrize("url, problem", [("", "empty"), ("https://a b.example", "spaces"), ("https://", "no-host"),
                                          ("https://x.example:99999/", "bad-port"), ("https://a<b.example/", "bad-host"),
                                          ("http://1.2.3.4.5/", "bad-host"), ("https://x.example:8o/", "bad-port")])
def test_unreadable_links_say_why(url, problem):
    assert split_url(url).problem == problem
    assert problem in PROBLEMS


def test_reserved_names_and_documentation_addresses():
    assert is_reserved(split_url("https://x.example/")) and is_reserved(split_url("https://example.com/"))
    assert is_reserved(split_url("http://203.0.113.7/")) and is_reserved(split_url("https://[2001:db8::1]/"))
    assert not is_reserved(split_url("https://vietcombank.com.vn/")) and not is_reserved(split_url("http://8.8.8.8/"))


@pytest.mark.parametrize("name", ["vietcombank", "VietC0mBank", f"vietcomb{CYRILLIC_A}nk", "vietcornbank", "vietcomb\u1ea1nk", "vietc\u03bfmbank"])
def test_the_skeleton_undoes_look_alike_characters(name):
    assert skeleton(name) == skeleton("vietcombank") == "vletcombank"  # i, l, 1 and I look alike: one letter


# Inspecting a link -----------------------------------------------------------------
@pytest.mark.parametrize("url, codes, verdict", [
    ("https://vietcombank.com.vn/", ["trusted"], "trusted"),
    ("https://www.bocongan.gov.vn/tin-tuc", ["trusted"], "trusted"),
    ("http://vietcombank.com.vn/", ["no-https", "trusted"], "trusted"),
    ("https://vietcombank-secure.example/", ["extra-words"], "suspicious"),
    ("https://viet-combank.example/", ["extra-words"], "suspicious"),
    ("https://vietc0mbank.example/", ["swap"], "suspicious"),
    ("https://vietcornbank.example/", ["swap"], "suspicious"),
    ("https://xn--vietcombnk-6qi.example/", ["confusable", "idn"], "suspicious"),
    ("https://vietcomb\u1ea1nk.example/", ["confusable", "idn"], "suspicious"),
    ("https://vietcombank.example/", ["other-suffix"], "suspicious"),
    ("https://vietcombamk.example/", ["typo"], "suspicious"),
    ("https://bocongan.gov.vn.tra-cuu.example/", ["trusted-in-subdomain"], "suspicious"),
    ("https://vietcombank.com.vn@login.example/", ["userinfo", "not-trusted"], "suspicious"),
    ("http://203.0.113.7:8080/", ["ip-address", "no-https", "port"], "suspicious"),
    ("https://xn--zz.example/", ["bad-punycode", "not-trusted"], "suspicious"),
    ("javascript:alert(1)", ["odd-scheme"], "suspicious"),
    ("https://meet.phonghop.test/r/1", ["not-trusted"], "unknown"),
    ("https://foo.zzz/", ["unknown-suffix"], "unknown"),
    ("https://sh.example/nowhere", ["short-link-unknown"], "suspicious"),
    ("https://a b", ["unreadable-spaces"], "invalid"),
])
def test_each_trick_is_found_and_judged(links, url, codes, verdict):
    inspection = inspect_url(url, links)
    assert [f.code for f in inspection.findings] == codes
    assert inspection.verdict == verdict


def test_findings_name_the_imitated_site_and_the_real_owner(links):
    inspection = inspect_url("https://vietc0mbank.example/otp", links)
    assert inspection.imitates.domain == "vietcombank.com.vn" and inspection.trusted is None
    swap = inspection.findings[0]
    assert swap.rule == "must-verify" and swap.severity == "danger"
    assert swap.values == {"swaps": "0 → o", "domain": "vietc0mbank.example", "trusted": "vietcombank.com.vn"}
    assert "vietc0mbank.example" in swap.explain("en") and "0 → o" in swap.explain("vi")
    confusable = inspect_url("https://xn--vietcombnk-6qi.example/", links).findings[0]
    assert "U+0430 CYRILLIC SMALL LETTER A" in confusable.values["chars"]


def test_short_links_are_resolved_from_the_local_table_hop_by_hop(links):
    inspection = inspect_url("https://sh.example/a", links)
    assert [step.url for step in inspection.chain()] == [
        "https://sh.example/a", "https://sh.example/b", "https://vietcombank-secure.example/login"]
    assert inspection.codes == ["short-link", "short-link", "extra-words"]
    assert inspection.verdict == "suspicious" and inspection.imitates.domain == "vietcombank.com.vn"
    assert inspect_url("https://sh.example/real/", links).verdict == "trusted"  # a trailing slash is the same short link


def test_a_stranger_link_with_no_trick_still_points_to_the_no_strangers_rule(links):
    finding = inspect_url("https://meet.phonghop.test/", links).findings[0]
    assert (finding.code, finding.rule, finding.severity) == ("not-trusted", "no-strangers", "warning")


@pytest.mark.parametrize("language", available_languages())
def test_every_finding_part_and_verdict_has_text_in_every_language(language):
    strings = ui_strings(language)
    keys = [f"url_finding_{code.replace('-', '_')}" for code in FINDINGS]
    keys += [f"url_verdict_{v}" for v in ("trusted", "unknown", "suspicious", "invalid")]
    keys += [f"url_advice_{v}" for v in ("trusted", "unknown", "suspicious", "invalid")]
    keys += [f"url_part_{kind}" for kind in ("scheme", "userinfo", "subdomain", "name", "suffix", "host", "port", "path", "query", "fragment")]
    assert not [key for key in keys if key not in strings]


def test_the_model_takes_triggers_and_tells_its_observers(links):
    model, calls = UrlInspector(links), []
    model.observe(lambda: calls.append(model.current.url))
    model.pick_example(1)
    assert model.picked == 1 and model.current.url == "https://sh.example/a"
    model.inspect("https://vietcombank.com.vn/")
    assert model.picked is None and calls == ["https://sh.example/a", "https://vietcombank.com.vn/"]
    assert [i.verdict for i in model.history] == ["suspicious", "trusted"]
    with pytest.raises(IndexError, match="expected 0 to 2"):
        model.pick_example(3)


def test_the_model_does_not_need_ipywidgets_or_the_network():
    code = ("import sys, socket; sys.modules['ipywidgets'] = None\n"
            "def no_network(*a, **k): raise AssertionError('network used')\n"
            "socket.socket.connect = no_network; socket.getaddrinfo = no_network\n"
            "from widgets.url_inspector import UrlInspector, load_links\n"
            f"model = UrlInspector(load_links({str(LINKS)!r}))\n"
            "print(model.pick_example(1).verdict)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "suspicious"


@pytest.mark.parametrize("path", sorted((REPO / "lessons").rglob("*.links.yaml")) + sorted((REPO / "assessments" / "source").rglob("*.links.yaml")),
                         ids=lambda p: p.name)
def test_the_course_links_files_load(path):
    links = load_links(path)
    assert all(inspect_url(example.url, links).verdict != "invalid" for example in links.examples)


# Bad content files -------------------------------------------------------------------
def line_of(text: str, needle: str) -> int:
    return next(number for number, line in enumerate(text.splitlines(), 1) if needle in line)


CASES = {
    # name: (old, new, expected field path, line anchor in the broken text, expected words)
    "real-site-example": ('  - url: "https://vietcombank.com.vn@login.example/otp"', '  - url: "https://www.some-real-site.com/otp"',
                          "examples[2].url", "some-real-site.com", "neither a trusted site of this file nor a reserved name"),
    "real-site-target": ('target: "https://vietcombank-secure.example/login"', 'target: "https://vietcombank-secure.com/login"',
                         "shorteners.links[1].target", "vietcombank-secure.com", "neither a trusted site"),
    "unknown-ending": ("  - domain: bocongan.gov.vn", "  - domain: bocongan.gov.zz", "trusted[1].domain", "bocongan.gov.zz",
                       "does not end in a real public suffix"),
    "trusted-subdomain": ("  - domain: bocongan.gov.vn", "  - domain: www.bocongan.gov.vn", "trusted[1].domain", "www.bocongan",
                          "list its registered domain 'bocongan.gov.vn'"),
    "reserved-trusted": ("  - domain: bocongan.gov.vn", "  - domain: police.example", "trusted[1].domain", "police.example",
                         "a trusted site must be a real official site"),
    "duplicate-trusted": ("  - domain: bocongan.gov.vn", "  - domain: vietcombank.com.vn", "trusted[1].domain", ("domain: vietcombank", 2),
                          "is listed twice"),
    "real-shortener": ("hosts: [sh.example]", "hosts: [sh.example, bit.ly]", "shorteners.hosts[1]", "bit.ly", "link shorteners in the course are made up"),
    "short-link-elsewhere": ('    - url: "https://sh.example/real"', '    - url: "https://go.example/real"', "shorteners.links[2].url",
                             "go.example/real", "is not a link on one of shorteners.hosts"),
    "circle": ('target: "https://vietcombank-secure.example/login"', 'target: "https://sh.example/a"', "shorteners.links[0].target",
               'target: "https://sh.example/b"', "short links lead in a circle: sh.example/a -> sh.example/b -> sh.example/a"),
    "unreadable": ('  - url: "https://sh.example/a"\n  - url: "https://vietcombank.com.vn@', '  - url: "https://sh.example/a b"\n  - url: "https://vietcombank.com.vn@',
                   "examples[1].url", "/a b", "it contains spaces"),
    "unreadable-short-link": ('    - url: "https://sh.example/real"', '    - url: "https://sh.example:x/real"', "shorteners.links[2].url",
                              "sh.example:x", "its port is not a number"),
    "bad-domain": ("  - domain: bocongan.gov.vn", "  - domain: Bocongan.gov.vn", "trusted[1].domain", "Bocongan", "a lower-case domain name"),
    "unknown-field": ("intro: {en", "photo: me.jpg\nintro: {en", "photo", "photo: me.jpg", "expected only: examples, id, intro, shorteners, title, trusted"),
    "missing-translation": ('context: {en: "From a stranger", vi: "Từ người lạ"}', 'context: {en: "From a stranger"}', "examples[2].context",
                            'context: {en: "From a stranger"}', "missing the 'vi' translation"),
    "no-examples": ('examples:\n  - url: "https://vietcombank.com.vn/"\n    context: {en: "Typed yourself", vi: "Bạn tự gõ"}\n'
                    '  - url: "https://sh.example/a"\n  - url: "https://vietcombank.com.vn@login.example/otp"\n'
                    '    context: {en: "From a stranger", vi: "Từ người lạ"}\n', "examples: []\n", "examples", "examples: []",
                    "expected at least 1 item(s), found 0"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_links_errors_name_file_place_and_expectation(tmp_path, case):
    old, new, where, anchor, words = CASES[case]
    assert old in TINY, f"test setup: {old!r} not in the fixture"
    text = TINY.replace(old, new, 1)
    path = tmp_path / "broken.links.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_links(path)
    assert "broken.links.yaml" in str(caught.value)
    problem = next((p for p in caught.value.problems if words in p.message), None)
    assert problem is not None, str(caught.value)
    assert problem.where == where
    needle, occurrence = anchor if isinstance(anchor, tuple) else (anchor, 1)
    hits = [n for n, line in enumerate(text.splitlines(), 1) if needle in line]
    assert problem.line == hits[occurrence - 1], str(caught.value)


def test_a_yaml_syntax_error_names_the_line(tmp_path):
    path = tmp_path / "broken.links.yaml"
    path.write_text(TINY.replace("hosts: [sh.example]", "hosts: [sh.example"), encoding="utf-8")
    with pytest.raises(ContentError, match=r"broken.links.yaml:\d+: invalid YAML"):
        load_links(path)


# The view, headless ----------------------------------------------------------------------
def show(language="en"):
    from widgets.views.url_inspector import show_url_inspector
    return show_url_inspector(LINKS, language=language)


def test_clicking_an_example_shows_the_breakdown_findings_and_verdict(dummy_comm):
    view = show()
    assert "Type or paste a link" in view._result.value
    view._example_buttons[2].click()
    result = view._result.value
    assert view._input.value == "https://vietcombank.com.vn@login.example/otp"
    assert "notalone-url-part-userinfo" in result and "before @: NOT the site" in result
    assert "Everything before @ (vietcombank.com.vn) is NOT the website" in result
    assert "notalone-url-verdict-suspicious" in result and "Suspicious: do not open" in result
    assert "Verify information" in result  # the rule of the userinfo finding
    assert view._example_buttons[2].button_style == "info"
    assert any(kwargs or args for c in dummy_comm for args, kwargs in c.messages), "state changes reach the front end"


def test_typing_a_link_and_pressing_inspect(dummy_comm):
    view = show()
    view._input.value = "https://xn--vietcombnk-6qi.example/"
    view._button.click()
    result = view._result.value
    assert view.model.current.verdict == "suspicious"
    assert "notalone-url-decoded" in result and f"vietcomb{CYRILLIC_A}nk.example" in result
    assert "CYRILLIC SMALL LETTER A" in result
    assert f"class='notalone-url-odd-letter' title='U+0430 CYRILLIC SMALL LETTER A'>{CYRILLIC_A}</mark>" in result
    assert all(b.button_style == "" for b in view._example_buttons)


def test_a_short_link_shows_where_it_leads(dummy_comm):
    view = show()
    view.pick_example(1)
    result = view._result.value
    assert result.count("class='notalone-url-breakdown'") == 3
    assert "This short link leads to" in result and "vietcombank-secure" in result


def test_the_language_can_be_switched(dummy_comm):
    view = show("vi")
    assert view._button.description == "Soi link"
    view.inspect("https://vietcombank.com.vn/")
    assert "Có trong danh sách tin cậy" in view._result.value and "Một ngân hàng" in view._result.value
    view._picker.value = "en"
    assert view._button.description == "Inspect" and "On the trusted list" in view._result.value


def test_links_and_content_are_escaped(dummy_comm, tmp_path):
    hostile = tmp_path / "hostile.links.yaml"
    hostile.write_text(TINY.replace('title: {en: "Inspector"', 'title: {en: "<script>alert(1)</script>"'), encoding="utf-8")
    from widgets.views.url_inspector import show_url_inspector
    view = show_url_inspector(hostile, language="en")
    assert "<script>" not in view._title.value and "&lt;script&gt;" in view._title.value
    view.inspect("https://x.example/<img src=x onerror=alert(1)>")
    assert "<img" not in view._result.value and "&lt;img" in view._result.value


# Real links (issue 14): browsers' parsing, every real ending, Unicode's confusables -------------
VN_SITES = FIXTURES / "vn-sites.links.yaml"


@pytest.fixture(scope="module")
def vn_sites():
    return load_links(VN_SITES)


# (link, the trusted site it imitates, a finding it must have). Each is "suspicious".
LOOKALIKES = [
    # the trusted name under another real ending (the full Public Suffix List)
    ("https://vietcombank.online/dang-nhap", "vietcombank.com.vn", "other-suffix"),
    ("https://vietcombank.co/otp", "vietcombank.com.vn", "other-suffix"),
    ("https://shopee.com.cm/flash-sale", "shopee.vn", "other-suffix"),
    ("https://tiktok.com.vn/nhan-xu", "tiktok.com", "other-suffix"),
    # the whole trusted domain in front of another registered domain
    ("https://zalo.com.vn.example.cm/login", "zalo.me", "trusted-in-subdomain"),
    ("https://techcombank.com.vn.xac-thuc.online/", "techcombank.com", "trusted-in-subdomain"),
    ("https://vietcombank.com.vn.cm/", "vietcombank.com.vn", "trusted-in-subdomain"),
    ("https://dichvucong.gov.vn.hoso.example/", "dichvucong.gov.vn", "trusted-in-subdomain"),
    ("https://hust.edu.vn.tuyen-sinh.example/", "hust.edu.vn", "trusted-in-subdomain"),
    ("https://www.facebook.com-profile.example/", "facebook.com", "trusted-in-subdomain"),
    ("https://shopee.vn-khuyenmai.shop/", "shopee.vn", "trusted-in-subdomain"),
    ("https://zalo.verify-account.cm/", "zalo.me", "trusted-in-subdomain"),
    ("https://tiktko.com.nhan-qua.example/", "tiktok.com", "trusted-in-subdomain"),   # misspelt, in front
    # two neighbouring letters swapped
    ("https://vietcombnak.com.vn/", "vietcombank.com.vn", "transposed"),
    ("https://tiktko.com/", "tiktok.com", "transposed"),
    ("https://faecbook.com/login", "facebook.com", "transposed"),
    ("https://mbbnak.vn/", "mbbank.com.vn", "transposed"),
    # a trusted name split by hyphens or dots
    ("https://viet-com-bank.online/", "vietcombank.com.vn", "extra-words"),
    ("https://face-book.com.login-check.example/", "facebook.com", "trusted-in-subdomain"),
    ("https://mb-bank.vn-otp.example/", "mbbank.com.vn", "trusted-in-subdomain"),
    ("https://dich-vu-cong.gov-vn.online/", "dichvucong.gov.vn", "trusted-in-subdomain"),
    ("https://vietcom.bank.cm/", "vietcombank.com.vn", "split-name"),
    ("https://tik.tok.example/", "tiktok.com", "split-name"),
    # look-alike letters from other alphabets (Unicode's full confusables data)
    ("https://f\u0430cebook.com/", "facebook.com", "confusable"),            # Cyrillic а
    ("https://tikt\u03bfk.com/", "tiktok.com", "confusable"),               # Greek ο
    ("https://zal\u043e.me/", "zalo.me", "confusable"),                     # Cyrillic о
    ("https://xn--tktok-n2e.com/", "tiktok.com", "confusable"),             # Cyrillic і, as punycode
    ("https://\uff56ietcombank.com.vn.\uff4c\uff4f\uff47\uff49\uff4e.example/", "vietcombank.com.vn", "trusted-in-subdomain"),  # full-width letters
    # one letter wrong, added or missing
    ("https://vietcombak.com.vn/", "vietcombank.com.vn", "typo"),
    ("https://techcombankk.com/", "techcombank.com", "typo"),
    ("https://shoppe.vn/", "shopee.vn", "typo"),
    ("https://dichvucog.online/", "dichvucong.gov.vn", "typo"),
    ("https://tiktok1.com/", "tiktok.com", "typo"),
    # ASCII swaps: digits for letters, rn for m
    ("https://faceb00k.com/", "facebook.com", "swap"),
    ("https://rnbbank.com.vn/", "mbbank.com.vn", "swap"),
    ("https://techcornbank.com/", "techcombank.com", "swap"),
    ("https://vletcombank.com.vn/", "vietcombank.com.vn", "swap"),          # l for i
    # extra words, also around a misspelt name
    ("https://vietcombank-secure.com.vn/", "vietcombank.com.vn", "extra-words"),
    ("https://tiktok-rewards.online/", "tiktok.com", "extra-words"),
    ("https://xac-minh-vietcombnak.example/", "vietcombank.com.vn", "extra-words"),
    # what browsers really open: '\' is '/', %-codes are decoded
    ("https://evil.example\\@vietcombank.com.vn", "vietcombank.com.vn", "trusted-in-path"),
    ("https:\\\\vietcombank-secure.example\\dang-nhap", "vietcombank.com.vn", "extra-words"),
    ("https://%76ietcombank.com.vn.login.example/", "vietcombank.com.vn", "trusted-in-subdomain"),
    ("https://vietcombank%2Ecom%2Evn.xac-minh.example/", "vietcombank.com.vn", "trusted-in-subdomain"),
    ("https://login-secure.example/www.vietcombank.com.vn/dang-nhap", "vietcombank.com.vn", "trusted-in-path"),
]


@pytest.mark.parametrize("url, imitated, code", LOOKALIKES, ids=[case[0] for case in LOOKALIKES])
def test_real_world_lookalikes_are_caught(vn_sites, url, imitated, code):
    inspection = inspect_url(url, vn_sites)
    assert inspection.verdict == "suspicious", inspection.codes
    assert code in inspection.codes
    assert inspection.imitates is not None and inspection.imitates.domain == imitated
    assert inspection.trusted is None


@pytest.mark.parametrize("url, written, address", [
    ("http://3232235777/vietcombank", "3232235777", "192.168.1.1"),      # one number
    ("http://0xC0A80101/login", "0xc0a80101", "192.168.1.1"),            # hexadecimal
    ("http://0300.0250.0.1/", "0300.0250.0.1", "192.168.0.1"),           # octal
    ("http://192.168.257/", "192.168.257", "192.168.1.1"),               # three parts: the last fills two bytes
    ("http://0x7f.1/", "0x7f.1", "127.0.0.1"),                           # mixed
    ("https://0xcb.0x0.0x71.7/zalo", "0xcb.0x0.0x71.7", "203.0.113.7"),
])
def test_numbers_browsers_open_as_ip_addresses_are_flagged(vn_sites, url, written, address):
    parts = split_url(url)
    assert parts.is_ip and parts.host_ascii == address and parts.ip_written == written
    inspection = inspect_url(url, vn_sites)
    assert inspection.verdict == "suspicious"
    assert {"ip-disguised", "ip-address"} <= set(inspection.codes)
    assert address in inspection.findings[0].explain("vi") and written in inspection.findings[0].explain("en")


def test_plain_ip_addresses_are_flagged_without_a_disguise(vn_sites):
    for url in ("http://203.0.113.7/", "http://[::ffff:c0a8:101]/", "http://203.0.113.7./"):
        inspection = inspect_url(url, vn_sites)
        assert "ip-address" in inspection.codes and "ip-disguised" not in inspection.codes, url
        assert inspection.verdict == "suspicious"


GENUINE = [
    "https://www.vietcombank.com.vn/",
    "HTTPS://WWW.VIETCOMBANK.COM.VN/KhachHang",                 # upper case
    "https://vietcombank.com.vn./",                             # a trailing dot
    "https://vietcombank.com.vn:443/",                          # the default port written out
    "http://mbbank.com.vn:80/",
    "https://www.facebook.com/groups/lop10a1?ref=share",        # a query string
    "https://www.tiktok.com/@truonghoc.official/video/123",     # @ in the path
    "https://shopee.vn/search?keyword=ao#@top",                 # @ in the fragment
    "https://vietcombank.com.vn/vi-VN?x=a@b",                   # @ in the query
    "https://chat.zalo.me/?phone=0900000000",
    "https://ID.ZALO.ME.:443/account?continue=https%3A%2F%2Fchat.zalo.me",
    "https://dichvucong.gov.vn/p/home/dvc-trang-chu.html",
    "https://ctt.hust.edu.vn/",                                 # a school's subdomain
    "https://www.techcombank.com/khach-hang-ca-nhan",
    "facebook.com/profile",                                     # no scheme
    "https:www.facebook.com/",                                  # browsers add the slashes
]


@pytest.mark.parametrize("url", GENUINE)
def test_genuine_addresses_stay_trusted(vn_sites, url):
    inspection = inspect_url(url, vn_sites)
    assert inspection.verdict == "trusted", inspection.codes
    assert not [f.code for f in inspection.findings if f.severity in ("danger", "warning")]


@pytest.mark.parametrize("url", ["https://vnexpress.net/", "https://thanhnien.vn/giao-duc", "https://www.youtube.com/watch?v=abc",
                                 "https://www.google.com/search?q=vietcombank", "https://dichvucong.hanoi.gov.vn/",
                                 "https://hocmai.vn/", "https://vtv.vn/"])
def test_ordinary_sites_not_on_the_list_are_unknown_not_suspicious(vn_sites, url):
    inspection = inspect_url(url, vn_sites)
    assert inspection.codes == ["not-trusted"] and inspection.verdict == "unknown"


@pytest.mark.parametrize("url, host, path", [
    ("https://vietcombank.com.vn\\@evil.example", "vietcombank.com.vn", "/@evil.example"),   # '\' ends the host in browsers
    ("https:/\\evil.example/a", "evil.example", "/a"),
    ("https:evil.example", "evil.example", ""),
    ("https:///evil.example", "evil.example", ""),
    ("https://%65vil.example/", "evil.example", "/"),
    ("https://EVIL.example\u3002test/", "evil.example.test", "/"),
    ("https://user:pass@evil.example:8080/", "evil.example", "/"),
    ("https://b\u00fccher.example/", "b\u00fccher.example", "/"),
])
def test_links_are_split_the_way_browsers_split_them(url, host, path):
    parts = split_url(url)
    assert parts.valid and parts.host_unicode == host and parts.path == path


def test_hosts_browsers_refuse_are_unreadable():
    for url in ("http://1.2.3.4.5/", "http://256.256.256.256/", "http://0x100000000/", "https://[::1/", "https://%zz.example/",
                "https://a%00b.example/", "https://ex%2Fample.test/"):
        assert split_url(url).problem == "bad-host", url


def test_a_mixed_script_name_is_flagged_even_when_it_imitates_nothing(vn_sites):
    inspection = inspect_url("https://hocb\u043eng-2025.example/", vn_sites)
    finding = next(f for f in inspection.findings if f.code == "mixed-script")
    assert finding.values["scripts"] == "Latin, Cyrillic" and "U+043E CYRILLIC SMALL LETTER O" in finding.values["chars"]
    assert inspection.verdict == "suspicious"


def test_the_confusables_come_from_unicode_not_a_short_hand_list():
    # letters the old hand-written table did not have: Armenian, Cherokee, mathematical, full-width, small-capital
    for text in ("\u0585", "\u13a0", "\U0001d41a", "\uff41", "\u1d04"):
        assert skeleton(text).isascii(), text
    assert skeleton("\u0585") == "o" and skeleton("\U0001d41a") == "a"


def test_the_bundled_data_is_used_offline():
    code = ("import socket, urllib.request\n"
            "def no_network(*a, **k): raise AssertionError('network used')\n"
            "socket.socket.connect = no_network; socket.getaddrinfo = no_network; urllib.request.urlopen = no_network\n"
            "from widgets.url_inspector import public_suffix_list, confusable_characters, split_url\n"
            "print(len(confusable_characters()) > 1000, public_suffix_list().publicsuffix('x.online'), split_url('https://a.b.com.cm/').domain)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "online", "b.com.cm"]


def test_every_new_finding_names_a_campaign_rule_and_explains_itself_in_both_languages(vn_sites):
    from widgets.rules import rules
    urls = [case[0] for case in LOOKALIKES] + ["http://3232235777/", "https://hocb\u043eng.example/", "https://x.example\\a"]
    seen = set()
    for url in urls:
        for finding in inspect_url(url, vn_sites).findings:
            seen.add(finding.code)
            assert finding.rule in rules()
            english, vietnamese = finding.explain("en"), finding.explain("vi")
            assert english and vietnamese and english != vietnamese and "{" not in english + vietnamese
    assert {"transposed", "split-name", "trusted-in-path", "ip-disguised", "mixed-script", "encoded-host", "backslash"} <= seen


# The view: Enter runs the check; the result sits under the text box; honest limits -------
def test_pressing_enter_in_the_text_box_runs_the_check(dummy_comm):
    view = show()
    assert view._input.continuous_update is False  # the value arrives when Enter is pressed
    view.submit("https://vietc0mbank.example/")
    assert view.model.current.url == "https://vietc0mbank.example/" and "notalone-url-verdict-suspicious" in view._result.value
    view._input.value = "https://vietcombank.com.vn/"  # what the front end sends on Enter
    assert view.model.current.verdict == "trusted" and len(view.model.history) == 2
    view.pick_example(1)  # writing the example into the box does not inspect it a second time
    view.inspect("https://sh.example/real")
    assert len(view.model.history) == 4
    view._input.value = ""  # clearing the box is not a check
    assert len(view.model.history) == 4


def test_the_result_appears_right_under_the_text_box(dummy_comm):
    view = show()
    children = list(view.children)
    row = next(i for i, c in enumerate(children) if view._input in getattr(c, "children", ()))
    assert children.index(view._result) < children.index(view._examples)
    assert children.index(view._result) in (row + 1, row + 2)  # at most the one-line "never opened" note between


@pytest.mark.parametrize("language, words", [
    ("en", ["\"Nothing found\" does not mean \"safe\"", "a way you already know", "trusted adult", "block and report"]),
    ("vi", ["\"Không thấy gì\" không có nghĩa là \"an toàn\"", "xác minh", "người lớn đáng tin cậy", "chặn và báo cáo"]),
])
def test_the_inspector_says_what_it_cannot_tell(dummy_comm, language, words):
    view = show(language)
    view.inspect("https://meet.phonghop.test/")
    assert view.model.current.verdict == "unknown"
    text = html.unescape(view._limits.value)
    for word in words:
        assert word in text, word
