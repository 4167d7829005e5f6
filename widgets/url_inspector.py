"""The URL inspector: take a link apart without opening it, and spot the tricks that make it look official.

The data (LinkSet, read from a `*.links.yaml` file) and the pure model of one student's use of it
(UrlInspector). No ipywidgets and no network here: a link is only read, never fetched. Short
links are resolved from the content file's own table.

What a link is made of, and what the inspector checks:

    https://vietcombank.com.vn@secure.login.example:8443/otp?ref=sms
    scheme  userinfo (NOT the site) subdomain  |     port  path query
                                     registered domain = name + public suffix

- the registered domain is one label more than the longest public suffix that matches
  (widgets/data/public-suffixes.yaml): the part someone had to register, the site's owner;
- `xn--` labels are punycode (IDNA) and are decoded with Python's `encodings.idna`;
- a name is compared with each trusted name through its "skeleton" (accents removed with
  unicodedata, look-alike characters and digit swaps replaced from widgets/data/confusables.yaml),
  which reveals confusables (Cyrillic 'а' for Latin 'a'), swaps (0 for o, rn for m), extra words
  or hyphens (vietcombank-secure), a different ending, a one-letter typo, and a trusted name
  hidden in the subdomain.

Every finding names a campaign rule (no-strangers or must-verify); its explanation is a
user-interface string (widgets/locales/<language>.url_inspector.yaml), filled in with the
finding's parameters.
"""

from __future__ import annotations

import encodings.idna
import ipaddress
import re
import unicodedata
import urllib.parse
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Callable

import yaml

from .content import Document, load_content
from .errors import Problem
from .i18n import ui

SEVERITIES = ("danger", "warning", "info", "ok")  # most serious first
VERDICTS = ("trusted", "unknown", "suspicious", "invalid")
WEB_SCHEMES = ("http", "https", "")
DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_SHORT_LINK_HOPS = 5

# code -> (severity, rule). The explanation is the UI string "url_finding_<code with _>".
PROBLEMS = ("empty", "spaces", "no-host", "bad-port", "bad-host")  # why a link cannot be read
FINDINGS = {
    **{f"unreadable-{problem}": ("danger", "must-verify") for problem in PROBLEMS},
    "odd-scheme": ("danger", "no-strangers"),
    "no-https": ("info", "must-verify"),
    "userinfo": ("danger", "must-verify"),
    "ip-address": ("danger", "must-verify"),
    "port": ("info", "must-verify"),
    "short-link": ("warning", "must-verify"),
    "short-link-unknown": ("danger", "no-strangers"),
    "idn": ("warning", "must-verify"),
    "bad-punycode": ("danger", "must-verify"),
    "confusable": ("danger", "must-verify"),
    "swap": ("danger", "must-verify"),
    "other-suffix": ("danger", "must-verify"),
    "extra-words": ("danger", "must-verify"),
    "typo": ("danger", "must-verify"),
    "trusted-in-subdomain": ("danger", "must-verify"),
    "unknown-suffix": ("warning", "must-verify"),
    "not-trusted": ("warning", "no-strangers"),
    "trusted": ("ok", "must-verify"),
}


# Bundled data ------------------------------------------------------------------
@lru_cache(maxsize=None)
def _data(name: str) -> dict:
    return yaml.safe_load(resources.files("widgets").joinpath("data", name).read_text("utf-8"))


def public_suffixes() -> frozenset[str]:
    """The endings under which names are registered (widgets/data/public-suffixes.yaml)."""
    return frozenset(_data("public-suffixes.yaml")["suffixes"])


def reserved_names() -> tuple[str, ...]:
    """Names no one can own (RFC 2606, RFC 6761): example.com, *.example, *.test, *.invalid, ..."""
    return tuple(_data("public-suffixes.yaml")["reserved"])


@lru_cache(maxsize=None)
def reserved_networks() -> tuple:
    return tuple(ipaddress.ip_network(n) for n in _data("public-suffixes.yaml")["reserved_networks"])


def confusable_characters() -> dict[str, str]:
    """Character -> the Latin letter it imitates (widgets/data/confusables.yaml)."""
    return dict(_data("confusables.yaml")["characters"])


@lru_cache(maxsize=None)
def confusable_swaps() -> tuple[tuple[str, str], ...]:
    """ASCII tricks ('0' -> 'o', 'rn' -> 'm'), longest first."""
    swaps = {str(k): str(v) for k, v in _data("confusables.yaml")["swaps"].items()}
    return tuple(sorted(swaps.items(), key=lambda item: (-len(item[0]), item[0])))


def skeleton(text: str) -> str:
    """What `text` looks like: lower case, accents removed, look-alike characters and swaps replaced.

    skeleton("Vietc0mbаnk") == skeleton("vietcombank") == "vietcombank" (a zero, a Cyrillic а).
    """
    characters = confusable_characters()
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(characters.get(c, c) for c in decomposed if not unicodedata.combining(c))
    for old, new in confusable_swaps():
        plain = plain.replace(old, new)
    return plain


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance: how many single-letter edits turn a into b."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


# Taking a link apart ---------------------------------------------------------------
@dataclass(frozen=True)
class UrlParts:
    """A link split into its parts. `problem` says why it cannot be read (None when it can)."""

    url: str
    scheme: str = ""
    userinfo: str = ""
    host: str = ""            # as written, lower case (punycode stays punycode)
    host_ascii: str = ""      # IDNA form: every label a-z, 0-9, - (xn-- for the others)
    host_unicode: str = ""    # xn-- labels decoded
    port: int | None = None
    path: str = ""
    query: str = ""
    fragment: str = ""
    subdomain: str = ""       # the labels before the registered domain, as written
    domain: str = ""          # the registered domain, as written ('' when the ending is unknown)
    domain_ascii: str = ""
    name: str = ""            # the registered domain's own label, decoded (vietcombank)
    suffix: str = ""          # the public suffix (com.vn)
    is_ip: bool = False
    bad_labels: tuple[str, ...] = ()  # xn-- labels that are not valid punycode
    problem: str | None = None

    @property
    def valid(self) -> bool:
        return self.problem is None

    @property
    def subdomain_unicode(self) -> str:
        count = len(self.subdomain.split(".")) if self.subdomain else 0
        return ".".join(self.host_unicode.split(".")[:count])

    @property
    def domain_unicode(self) -> str:
        """The registered domain with xn-- labels decoded ('' when the ending is unknown)."""
        count = len(self.domain.split(".")) if self.domain else 0
        return ".".join(self.host_unicode.split(".")[-count:]) if count else ""

    def pieces(self) -> list[tuple[str, str]]:
        """(kind, text) pieces that spell the link again, for a coloured breakdown.

        Kinds: scheme, userinfo, subdomain, name, suffix, host (an IP or unknown ending), port,
        path, query, fragment, punctuation, text (a link that cannot be read).
        """
        if not self.valid or not self.host:
            return [("text", self.url)]
        pieces: list[tuple[str, str]] = []
        if self.scheme:
            pieces += [("scheme", self.scheme), ("punctuation", "://")]
        if self.userinfo:
            pieces += [("userinfo", self.userinfo), ("punctuation", "@")]
        if self.domain:
            written = self.host.split(".")
            suffix_count = len(self.suffix.split("."))
            sub = written[:-suffix_count - 1]
            if sub:
                pieces += [("subdomain", ".".join(sub)), ("punctuation", ".")]
            pieces += [("name", written[-suffix_count - 1]), ("punctuation", "."), ("suffix", ".".join(written[-suffix_count:]))]
        else:
            pieces.append(("host", f"[{self.host}]" if ":" in self.host else self.host))
        if self.port is not None:
            pieces += [("punctuation", ":"), ("port", str(self.port))]
        if self.path:
            pieces.append(("path", self.path))
        if self.query:
            pieces += [("punctuation", "?"), ("query", self.query)]
        if self.fragment:
            pieces += [("punctuation", "#"), ("fragment", self.fragment)]
        return pieces


_ASCII_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")


def _registered(labels: list[str]) -> int:
    """How many trailing labels form the longest known public suffix (0: none)."""
    suffixes, best = public_suffixes(), 0
    for count in range(1, len(labels) + 1):
        if ".".join(labels[-count:]) in suffixes:
            best = count
    return best


def split_url(url: str) -> UrlParts:
    """Split a link into scheme, userinfo, host (with subdomain, registered domain and suffix), port, path and query.

    A link without a scheme ("vietcombank.com.vn/login") is read as a web address. Nothing is fetched.
    """
    text = url.strip()
    if not text:
        return UrlParts(url, problem="empty")
    if any(c.isspace() for c in text):
        return UrlParts(url, problem="spaces")
    has_scheme = re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", text) and (
        "://" in text or not re.match(r"^[^:/]+:\d+(/|$)", text))  # host:8080/x has no scheme
    parts = urllib.parse.urlsplit(text if has_scheme else "//" + text)
    scheme = parts.scheme.lower()
    fields = dict(url=url, scheme=scheme, path=parts.path, query=parts.query, fragment=parts.fragment)
    if scheme not in WEB_SCHEMES:
        return UrlParts(**fields)  # mailto:, javascript:, data:, ...: no web host to read
    fields["userinfo"] = parts.netloc.rpartition("@")[0]
    host = (parts.hostname or "")
    for dot in ("\u3002", "\uff0e", "\uff61"):  # ideographic and full-width full stops separate labels too
        host = host.replace(dot, ".")
    host = host.rstrip(".")
    if not host:
        return UrlParts(**fields, problem="no-host")
    try:
        fields["port"] = parts.port
    except ValueError:
        return UrlParts(**fields, host=host, problem="bad-port")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is not None:
        return UrlParts(**fields, host=host, host_ascii=address.compressed, host_unicode=host, is_ip=True)

    labels = host.split(".")
    ascii_labels, unicode_labels, bad = [], [], []
    for label in labels:
        try:
            ascii_label = label if label.isascii() else encodings.idna.ToASCII(label).decode("ascii")
        except UnicodeError:
            return UrlParts(**fields, host=host, problem="bad-host")
        if not _ASCII_LABEL.match(ascii_label):
            return UrlParts(**fields, host=host, problem="bad-host")
        try:
            unicode_label = encodings.idna.ToUnicode(ascii_label) if ascii_label.startswith("xn--") else ascii_label
        except UnicodeError:
            unicode_label = ascii_label
            bad.append(ascii_label)
        ascii_labels.append(ascii_label)
        unicode_labels.append(unicode_label.lower())
    fields.update(host=host, host_ascii=".".join(ascii_labels), host_unicode=".".join(unicode_labels), bad_labels=tuple(bad))
    count = _registered(ascii_labels)
    if count == 0 or count == len(labels):
        return UrlParts(**fields, suffix=".".join(ascii_labels[-count:]) if count else "")
    return UrlParts(**fields, subdomain=".".join(labels[:-count - 1]), domain=".".join(labels[-count - 1:]),
                    domain_ascii=".".join(ascii_labels[-count - 1:]), name=unicode_labels[-count - 1],
                    suffix=".".join(ascii_labels[-count:]))


def is_reserved(parts: UrlParts) -> bool:
    """True when the link's host is a name or address no one can own (example.com, *.test, 192.0.2.x, ...)."""
    if parts.is_ip:
        address = ipaddress.ip_address(parts.host_ascii)
        return any(address in network for network in reserved_networks())
    host = parts.host_ascii
    return bool(host) and any(host == name or host.endswith("." + name) for name in reserved_names())


# The content: trusted sites, short links and examples --------------------------------
@dataclass(frozen=True)
class TrustedSite:
    domain: str
    name: dict


@dataclass(frozen=True)
class Example:
    url: str
    context: dict | None


@dataclass(frozen=True)
class LinkSet:
    id: str
    title: dict
    intro: dict | None
    trusted: tuple[TrustedSite, ...]
    shortener_hosts: frozenset[str]
    short_links: dict  # short_key(parts) -> target url
    examples: tuple[Example, ...]
    source: str

    def trusted_site(self, domain_ascii: str) -> TrustedSite | None:
        return next((site for site in self.trusted if site.domain == domain_ascii), None)

    def is_shortener(self, parts: UrlParts) -> bool:
        return parts.host_ascii in self.shortener_hosts

    def resolve(self, parts: UrlParts) -> str | None:
        """Where a short link leads, from the local table only (None when it is not in the table)."""
        return self.short_links.get(short_key(parts))


def short_key(parts: UrlParts) -> str:
    return parts.host_ascii + (parts.path.rstrip("/") or "")


_READABLE = {"empty": "it is empty", "spaces": "it contains spaces", "no-host": "it has no host name",
             "bad-port": "its port is not a number from 0 to 65535", "bad-host": "its host name has characters a domain cannot have"}


def links_problems(document: Document) -> list[Problem]:
    """Problems a schema cannot see: unknown endings, real sites that are not trusted, short links that go nowhere."""
    data = document.data
    reserved_list = ", ".join(reserved_names())
    problems: list[Problem] = []
    trusted: set[str] = set()
    for index, site in enumerate(data["trusted"]):
        where, domain = ("trusted", index, "domain"), site["domain"]
        parts = split_url(f"https://{domain}/")
        if domain in trusted:
            problems.append(document.problem(where, f"{domain!r} is listed twice"))
        trusted.add(domain)
        if is_reserved(parts):
            problems.append(document.problem(where, f"{domain!r} is a reserved name ({reserved_list}): a trusted site must be a real official site"))
        elif not parts.domain:
            problems.append(document.problem(where, f"{domain!r} does not end in a known public suffix; add its ending to widgets/data/public-suffixes.yaml if it is a real one"))
        elif parts.domain_ascii != domain:
            problems.append(document.problem(where, f"{domain!r} is a subdomain: list its registered domain {parts.domain_ascii!r}"))

    def link_problem(where: tuple, url: str) -> None:
        parts = split_url(url)
        if not parts.valid:
            problems.append(document.problem(where, f"{url!r} cannot be read as a link: {_READABLE[parts.problem]}"))
        elif parts.host and not (is_reserved(parts) or parts.domain_ascii in trusted):
            problems.append(document.problem(where, f"{url!r} opens {parts.host_ascii!r}, which is neither a trusted site of this file nor a reserved name: "
                                                    f"made-up sites must use {reserved_list} (or end in one of them)"))

    shorteners = data.get("shorteners") or {}
    hosts = shorteners.get("hosts", [])
    for index, host in enumerate(hosts):
        if not is_reserved(split_url(f"https://{host}/")):
            problems.append(document.problem(("shorteners", "hosts", index), f"{host!r} is not a reserved name: link shorteners in the course are made up ({reserved_list})"))
    table: dict[str, tuple[int, str]] = {}
    for index, link in enumerate(shorteners.get("links", [])):
        where = ("shorteners", "links", index)
        parts = split_url(link["url"])
        if not parts.valid:
            problems.append(document.problem(where + ("url",), f"{link['url']!r} cannot be read as a link: {_READABLE[parts.problem]}"))
        elif parts.host_ascii not in hosts:
            problems.append(document.problem(where + ("url",), f"{link['url']!r} is not a link on one of shorteners.hosts ({', '.join(hosts) or 'none listed'})"))
        else:
            key = short_key(parts)
            if key in table:
                problems.append(document.problem(where + ("url",), f"{link['url']!r} is listed twice"))
            table[key] = (index, link["target"])
        link_problem(where + ("target",), link["target"])
    for key, (index, target) in table.items():  # a -> b -> a would never end
        trail, current = [key], target
        for _ in range(len(table) + 1):
            parts = split_url(current)
            following = short_key(parts) if parts.valid and parts.host_ascii in hosts else None
            if following not in table:
                break
            if following in trail:
                problems.append(document.problem(("shorteners", "links", index, "target"),
                                                 f"short links lead in a circle: {' -> '.join(trail + [following])}"))
                break
            trail.append(following)
            current = table[following][1]
    for index, example in enumerate(data["examples"]):
        link_problem(("examples", index, "url"), example["url"])
    return problems


def load_links(path: str | Path) -> LinkSet:
    """Read and check a `*.links.yaml` file; raise ContentError naming the file, field and line of every problem."""
    document = load_content(path, "links", links_problems)
    data = document.data
    shorteners = data.get("shorteners") or {}
    return LinkSet(
        data["id"], data["title"], data.get("intro"),
        tuple(TrustedSite(site["domain"], site["name"]) for site in data["trusted"]),
        frozenset(shorteners.get("hosts", [])),
        {short_key(split_url(link["url"])): link["target"] for link in shorteners.get("links", [])},
        tuple(Example(example["url"], example.get("context")) for example in data["examples"]),
        document.name)


# Inspecting a link -----------------------------------------------------------------
@dataclass(frozen=True)
class Finding:
    """One thing the inspector noticed, tied to a campaign rule. `explain(language)` says it to the student."""

    code: str
    params: tuple[tuple[str, str], ...] = ()

    @property
    def severity(self) -> str:
        return FINDINGS[self.code][0]

    @property
    def rule(self) -> str:
        return FINDINGS[self.code][1]

    @property
    def values(self) -> dict[str, str]:
        return dict(self.params)

    def explain(self, language: str) -> str:
        return ui("url_finding_" + self.code.replace("-", "_"), language, **self.values)


def _finding(code: str, **params: str) -> Finding:
    return Finding(code, tuple(params.items()))


@dataclass(frozen=True)
class Inspection:
    """Everything the inspector found in one link."""

    parts: UrlParts
    findings: tuple[Finding, ...]
    verdict: str                       # trusted | unknown | suspicious | invalid
    trusted: TrustedSite | None        # the trusted site this link really opens
    imitates: TrustedSite | None       # the trusted site this link pretends to be
    target: "Inspection | None" = None  # where a short link leads (from the local table)

    @property
    def url(self) -> str:
        return self.parts.url

    @property
    def codes(self) -> list[str]:
        """The codes of this link's findings and those of where it leads."""
        return [f.code for f in self.findings] + (self.target.codes if self.target else [])

    def chain(self) -> list["Inspection"]:
        """This link, then each link it leads to."""
        return [self] + (self.target.chain() if self.target else [])


def _chars(text: str) -> str:
    return ", ".join(f"'{c}' (U+{ord(c):04X} {unicodedata.name(c, '?')})" for c in dict.fromkeys(text) if not c.isascii())


def _lookalikes(parts: UrlParts, links: LinkSet) -> tuple[list[Finding], TrustedSite | None]:
    findings: list[Finding] = []
    imitated: TrustedSite | None = None
    name, name_skeleton = parts.name, skeleton(parts.name)
    subdomain_skeleton = skeleton(parts.subdomain_unicode)
    for site in links.trusted:
        trusted_name = site.domain.split(".")[0]
        target = skeleton(trusted_name)
        found: list[Finding] = []
        shown = dict(domain=parts.domain_unicode, trusted=site.domain)
        if name_skeleton == target and name != trusted_name:
            if not name.isascii():
                found.append(_finding("confusable", chars=_chars(name), **shown))
            swaps = [f"{old} → {new}" for old, new in confusable_swaps() if name.count(old) > trusted_name.count(old)]
            if swaps:
                found.append(_finding("swap", swaps=", ".join(swaps), **shown))
            if not found:  # accents only, or upper case
                found.append(_finding("confusable", chars=_chars(name) or name, **shown))
        elif name == trusted_name:
            found.append(_finding("other-suffix", **shown))
        elif target in name_skeleton.replace("-", ""):
            found.append(_finding("extra-words", name=trusted_name, **shown))
        elif len(target) >= 5 and edit_distance(name_skeleton.replace("-", ""), target) == 1:
            found.append(_finding("typo", **shown))
        if target and target in subdomain_skeleton:
            found.append(_finding("trusted-in-subdomain", **shown))
        if found and imitated is None:
            imitated = site
        findings += found
    return findings, imitated


def inspect_url(url: str, links: LinkSet, _hops: int = 0) -> Inspection:
    """Read a link and report what it really opens, the tricks it uses and a verdict. Nothing is fetched."""
    parts = split_url(url)
    if not parts.valid:
        return Inspection(parts, (_finding(f"unreadable-{parts.problem}"),), "invalid", None, None)
    findings: list[Finding] = []
    if parts.scheme not in WEB_SCHEMES:
        findings.append(_finding("odd-scheme", scheme=parts.scheme))
        return Inspection(parts, tuple(findings), "suspicious", None, None)
    if parts.scheme == "http":
        findings.append(_finding("no-https"))
    if parts.userinfo:
        findings.append(_finding("userinfo", userinfo=parts.userinfo, host=parts.host_unicode))
    if parts.port is not None and parts.port != DEFAULT_PORTS.get(parts.scheme):
        findings.append(_finding("port", port=str(parts.port)))
    if parts.is_ip:
        findings.append(_finding("ip-address", host=parts.host))
        return _finish(parts, findings, None, None, None)
    if parts.host_unicode != parts.host_ascii:
        findings.append(_finding("idn", ascii=parts.host_ascii, unicode=parts.host_unicode))
    for label in parts.bad_labels:
        findings.append(_finding("bad-punycode", label=label))
    if links.is_shortener(parts):
        target_url = links.resolve(parts)
        if target_url is None or _hops >= MAX_SHORT_LINK_HOPS:
            findings.append(_finding("short-link-unknown", host=parts.host_ascii))
            return _finish(parts, findings, None, None, None)
        findings.append(_finding("short-link", host=parts.host_ascii, target=target_url))
        target = inspect_url(target_url, links, _hops + 1)
        return _finish(parts, findings, target.trusted, target.imitates, target)
    if not parts.domain:
        findings.append(_finding("unknown-suffix", suffix=parts.host_ascii.rsplit(".", 1)[-1], host=parts.host))
        return _finish(parts, findings, None, None, None)
    site = links.trusted_site(parts.domain_ascii)
    if site is not None:
        findings.append(_finding("trusted", domain=site.domain))
        return _finish(parts, findings, site, None, None)
    lookalikes, imitated = _lookalikes(parts, links)
    findings += lookalikes
    if not lookalikes:
        findings.append(_finding("not-trusted", domain=parts.domain_unicode))
    return _finish(parts, findings, None, imitated, None)


def _finish(parts, findings, trusted, imitates, target) -> Inspection:
    findings = sorted(findings, key=lambda f: SEVERITIES.index(f.severity))
    dangerous = any(f.severity == "danger" for f in findings) or (target is not None and target.verdict == "suspicious")
    if dangerous:
        verdict = "suspicious"
    elif target is not None:
        verdict = target.verdict
    else:
        verdict = "trusted" if trusted is not None else "unknown"
    return Inspection(parts, tuple(findings), verdict, trusted, imitates, target)


class UrlInspector:
    """One student's use of the inspector. Programmatic triggers: inspect(url), pick_example(index)."""

    def __init__(self, links: LinkSet):
        self.links = links
        self.current: Inspection | None = None
        self.picked: int | None = None  # the example last picked, None after a typed link
        self.history: list[Inspection] = []
        self._listeners: list[Callable[[], None]] = []

    def inspect(self, url: str) -> Inspection:
        """Take apart the link `url` (typed or pasted by the student)."""
        self.picked = None
        return self._inspect(url)

    def pick_example(self, index: int) -> Inspection:
        """Inspect the example link number `index` (0 is the first)."""
        count = len(self.links.examples)
        if not isinstance(index, int) or not 0 <= index < count:
            raise IndexError(f"{index!r} is not an example of {self.links.source}; expected 0 to {count - 1}")
        self.picked = index
        return self._inspect(self.links.examples[index].url)

    def _inspect(self, url: str) -> Inspection:
        self.current = inspect_url(url, self.links)
        self.history.append(self.current)
        self._changed()
        return self.current

    def observe(self, callback: Callable[[], None]) -> None:
        self._listeners.append(callback)

    def _changed(self) -> None:
        for callback in self._listeners:
            callback()
