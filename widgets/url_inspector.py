"""The URL inspector: take a link apart without opening it, and spot the tricks that make it look official.

The data (LinkSet, read from a `*.links.yaml` file) and the pure model of one student's use of it
(UrlInspector). No ipywidgets and no network here: a link is only read, never fetched. Short
links are resolved from the content file's own table. Pure Python only (it runs in Pyodide too).

What a link is made of, and what the inspector checks:

    https://vietcombank.com.vn@secure.login.example:8443/otp?ref=sms
    scheme  userinfo (NOT the site) subdomain  |     port  path query
                                     registered domain = name + public suffix

- a link is split the way browsers do, by the WHATWG URL standard (https://url.spec.whatwg.org):
  '\\' counts as '/', the host is percent-decoded, mapped to lower case and plain letters and
  punycoded (IDNA, with the standard library), and a host ending in a number is an IPv4 address however it is written
  (3232235777, 0xC0A80101, 0300.0250.1.1, 192.168.257);
- the registered domain is one label more than the public suffix, from the full Public Suffix
  List (the `publicsuffixlist` package, which ships the list), plus the reserved test endings of
  widgets/data/reserved-names.yaml;
- a name is compared with each trusted name through its "skeleton" (accents removed, look-alike
  characters replaced from Unicode's confusables data, UTS #39, shipped by `confusable_homoglyphs`),
  which reveals confusables, mixed scripts, swaps (0 for o, rn for m), extra words or hyphens,
  two letters swapped, a one-letter typo, a different ending, and a trusted name hidden in the
  subdomain, split by dots or hyphens, or written in the path.

Every finding names a campaign rule (no-strangers or must-verify); its explanation is a
user-interface string (widgets/locales/<language>.url_inspector.yaml), filled in with the
finding's parameters.
"""

from __future__ import annotations

import difflib
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
from confusable_homoglyphs import categories as unicode_scripts
from confusable_homoglyphs.utils import load as load_unicode_data
from publicsuffixlist import PublicSuffixList

from .content import Document, load_content
from .errors import Problem
from .i18n import ui

SEVERITIES = ("danger", "warning", "info", "ok")  # most serious first
VERDICTS = ("trusted", "unknown", "suspicious", "invalid")
WEB_SCHEMES = ("http", "https", "")
SPECIAL_SCHEMES = ("http", "https", "ws", "wss", "ftp", "file")  # WHATWG "special" schemes: "\\" is "/" there
DEFAULT_PORTS = {"http": 80, "https": 443, "": 443}
MAX_SHORT_LINK_HOPS = 5

# code -> (severity, rule). The explanation is the UI string "url_finding_<code with _>".
PROBLEMS = ("empty", "spaces", "no-host", "bad-port", "bad-host")  # why a link cannot be read
FINDINGS = {
    **{f"unreadable-{problem}": ("danger", "must-verify") for problem in PROBLEMS},
    "odd-scheme": ("danger", "no-strangers"),
    "no-https": ("info", "must-verify"),
    "backslash": ("info", "must-verify"),
    "userinfo": ("danger", "must-verify"),
    "ip-address": ("danger", "must-verify"),
    "ip-disguised": ("danger", "must-verify"),
    "port": ("info", "must-verify"),
    "encoded-host": ("warning", "must-verify"),
    "short-link": ("warning", "must-verify"),
    "short-link-unknown": ("danger", "no-strangers"),
    "idn": ("warning", "must-verify"),
    "bad-punycode": ("danger", "must-verify"),
    "mixed-script": ("danger", "must-verify"),
    "confusable": ("danger", "must-verify"),
    "swap": ("danger", "must-verify"),
    "other-suffix": ("danger", "must-verify"),
    "extra-words": ("danger", "must-verify"),
    "transposed": ("danger", "must-verify"),
    "typo": ("danger", "must-verify"),
    "trusted-in-subdomain": ("danger", "must-verify"),
    "split-name": ("danger", "must-verify"),
    "trusted-in-path": ("danger", "must-verify"),
    "unknown-suffix": ("warning", "must-verify"),
    "not-trusted": ("warning", "no-strangers"),
    "trusted": ("ok", "must-verify"),
}


# Bundled data ------------------------------------------------------------------
@lru_cache(maxsize=None)
def _data(name: str) -> dict:
    return yaml.safe_load(resources.files("widgets").joinpath("data", name).read_text("utf-8"))


@lru_cache(maxsize=None)
def public_suffix_list() -> PublicSuffixList:
    """The full Public Suffix List shipped inside the `publicsuffixlist` package (never downloaded)."""
    return PublicSuffixList(accept_unknown=False)


def reserved_suffixes() -> frozenset[str]:
    """Endings reserved for examples and tests (example, test, invalid, localhost): never real sites."""
    return frozenset(_data("reserved-names.yaml")["reserved_suffixes"])


def reserved_names() -> tuple[str, ...]:
    """Names no one can own (RFC 2606, RFC 6761): example.com, *.example, *.test, *.invalid, ..."""
    return tuple(_data("reserved-names.yaml")["reserved"])


@lru_cache(maxsize=None)
def reserved_networks() -> tuple:
    return tuple(ipaddress.ip_network(n) for n in _data("reserved-names.yaml")["reserved_networks"])


@lru_cache(maxsize=None)
def confusable_characters() -> dict[str, str]:
    """Character (or sequence) -> the plain ASCII it imitates, from Unicode's confusables (UTS #39).

    The data ships with `confusable_homoglyphs` (both directions: a prototype lists its look-alikes,
    a look-alike lists its prototype); widgets/data/confusables.yaml adds the few ASCII tricks it lacks.
    """
    table: dict[str, str] = {}
    for key, entries in load_unicode_data("confusables.json").items():
        glyphs = [entry["c"].replace("\u200e", "") for entry in entries]
        if key.isascii() and key.isalpha():  # a Latin prototype and its look-alikes
            for glyph in glyphs:
                if glyph and not glyph.isascii():
                    table.setdefault(glyph, key.lower())
                elif glyph.isalnum() and not (len(glyph) == 1 and glyph.islower()):
                    table.setdefault(glyph, key.lower())  # 0 -> o, 1 -> l, rn -> m (never one small letter for another)
        elif not key.isascii() and len(glyphs) == 1 and glyphs[0].isascii() and glyphs[0].isalnum():
            table[key] = glyphs[0].lower()
    extra = _data("confusables.yaml")
    table.update({str(k): str(v) for k, v in extra["characters"].items()})
    table.update({str(k): str(v) for k, v in extra["swaps"].items()})
    return table


@lru_cache(maxsize=None)
def _sequences() -> tuple[tuple[str, str], ...]:
    """Multi-character tricks ('rn' -> 'm'), longest first."""
    pairs = [(k, v) for k, v in confusable_characters().items() if len(k) > 1 and k.isascii()]
    return tuple(sorted(pairs, key=lambda item: (-len(item[0]), item[0])))


def skeleton(text: str) -> str:
    """What `text` looks like: lower case, accents removed, look-alike characters and swaps replaced.

    skeleton("Vietc0mbаnk") == skeleton("vietcombank") == "vletcombank" (a zero, a Cyrillic а;
    i, l, 1 and I all look alike, so they share one letter).
    """
    characters = confusable_characters()
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(characters.get(c) or characters.get(c.lower()) or characters.get(c.upper()) or c
                    for c in decomposed if not unicodedata.combining(c)).lower()
    for old, new in _sequences():
        plain = plain.replace(old, new)
    return plain.replace("i", "l")


def scripts(text: str) -> list[str]:
    """The writing systems of the letters in `text` (LATIN, CYRILLIC, GREEK, ...), digits and '-' left out."""
    found = []
    for c in text:
        script = unicode_scripts.alias(c) if c.isalpha() else "COMMON"
        if script not in ("COMMON", "INHERITED") and script not in found:
            found.append(script)
    return found


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance: how many single-letter edits turn a into b."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def is_transposition(a: str, b: str) -> bool:
    """True when a is b with two neighbouring letters swapped (vietcombnak, vietcombank)."""
    if len(a) != len(b) or a == b:
        return False
    diffs = [i for i, (x, y) in enumerate(zip(a, b)) if x != y]
    return len(diffs) == 2 and diffs[1] == diffs[0] + 1 and a[diffs[0]] == b[diffs[1]] and a[diffs[1]] == b[diffs[0]]


# Taking a link apart, the way a browser does (WHATWG URL standard) -------------------
@dataclass(frozen=True)
class UrlParts:
    """A link split into its parts. `problem` says why it cannot be read (None when it can)."""

    url: str
    scheme: str = ""
    userinfo: str = ""
    host: str = ""            # as written, lower case, percent-decoded, trailing dot removed
    host_ascii: str = ""      # what the browser opens: every label a-z, 0-9, - (xn-- for the others); IPs in dotted form
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
    ip_written: str = ""      # an IPv4 host as written when that differs from its dotted form (0xC0A80101)
    host_encoded: bool = False  # the host was written with %-codes
    backslash: bool = False   # a '\' that browsers read as '/'
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


# Code points a host can never contain (WHATWG "forbidden domain code point").
_FORBIDDEN_HOST = set("\x00\t\n\r #/:<>?@[\\]^|%\x7f") | {chr(c) for c in range(0x20)}
_C0_AND_SPACE = "".join(chr(c) for c in range(0x21))
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_HOST_AND_PORT = re.compile(r"^[^:/\\?#@]+:\d*([/\\?#]|$)")  # "localhost:8080/x" is a host, not a scheme


class HostError(ValueError):
    """The host cannot be read (the WHATWG host parser returns failure)."""


def _ipv4_number(text: str) -> int:
    """One part of an IPv4 host: decimal, 0x hexadecimal or 0-prefixed octal (WHATWG "IPv4 number parser")."""
    radix = 10
    if text[:2].lower() == "0x":
        text, radix = text[2:], 16
    elif len(text) > 1 and text.startswith("0"):
        text, radix = text[1:], 8
    if text == "":
        return 0
    digits = {10: "0123456789", 16: "0123456789abcdef", 8: "01234567"}[radix]
    if not all(c in digits for c in text.lower()):
        raise HostError(text)
    return int(text, radix)


def _ends_in_a_number(host: str) -> bool:
    parts = host.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    last = parts[-1]
    if last and all(c in "0123456789" for c in last):
        return True
    try:
        _ipv4_number(last)
    except HostError:
        return False
    return last[:2].lower() == "0x"


def parse_ipv4(host: str) -> ipaddress.IPv4Address:
    """The WHATWG IPv4 parser: 1 to 4 numbers, each decimal, hex or octal; the last fills the remaining bytes."""
    parts = host.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    if len(parts) > 4 or "" in parts:
        raise HostError(host)
    numbers = [_ipv4_number(part) for part in parts]
    if any(n > 255 for n in numbers[:-1]) or numbers[-1] >= 256 ** (5 - len(numbers)):
        raise HostError(host)
    value = numbers[-1]
    for index, number in enumerate(numbers[:-1]):
        value += number * 256 ** (3 - index)
    return ipaddress.IPv4Address(value)


def _to_ascii(label: str) -> str:
    """One label mapped like UTS #46 does in browsers (case folded, NFKC: full-width and styled letters become
    plain ones; with the standard library's nameprep), then punycode when it is not ASCII."""
    if label.isascii():
        return label.lower()
    mapped = encodings.idna.nameprep(label)
    if mapped.isascii():
        return mapped
    return "xn--" + mapped.encode("punycode").decode("ascii")


def parse_host(text: str) -> tuple[str, bool]:
    """The WHATWG host parser for web addresses: (host, is_ip). Raises HostError when a browser would refuse it.

    '[...]' is an IPv6 address; otherwise the host is percent-decoded, mapped to lower-case ASCII
    (UTS #46 + punycode), checked for forbidden characters, and read as IPv4 when it ends in a number.
    """
    if text.startswith("["):
        if not text.endswith("]"):
            raise HostError(text)
        try:
            return ipaddress.IPv6Address(text[1:-1]).compressed, True
        except ValueError as error:
            raise HostError(text) from error
    try:
        domain = urllib.parse.unquote(text, errors="strict") if "%" in text else text
    except UnicodeError as error:
        raise HostError(text) from error
    labels = []
    for label in domain.replace("\u3002", ".").replace("\uff0e", ".").replace("\uff61", ".").split("."):
        try:
            labels.append(_to_ascii(label) if label else "")
        except UnicodeError as error:
            raise HostError(text) from error
    ascii_domain = ".".join(labels)
    if not ascii_domain or any(c in _FORBIDDEN_HOST for c in ascii_domain):
        raise HostError(text)
    if _ends_in_a_number(ascii_domain):
        return str(parse_ipv4(ascii_domain)), True
    return ascii_domain, False


def _unicode_label(label: str) -> tuple[str, bool]:
    """A label with its punycode decoded; False when it is broken punycode."""
    if not label.startswith("xn--"):
        return label, True
    try:
        return label[4:].encode("ascii").decode("punycode").lower(), True
    except UnicodeError:
        return label, False


def _registered(labels: list[str]) -> int:
    """How many trailing labels form the public suffix (0: the ending is not a real one)."""
    if labels[-1] in reserved_suffixes():
        return 1
    suffix = public_suffix_list().publicsuffix(".".join(labels))
    return len(suffix.split(".")) if suffix else 0


def _split_authority(text: str, special: bool) -> tuple[str, str]:
    """(authority, the rest): the authority ends at '/', '?', '#' (and '\\' in web addresses)."""
    ends = "/?#\\" if special else "/?#"
    end = next((i for i, c in enumerate(text) if c in ends), len(text))
    return text[:end], text[end:]


def split_url(url: str) -> UrlParts:
    """Split a link into scheme, userinfo, host (with subdomain, registered domain and suffix), port, path and query.

    It follows the WHATWG URL standard, as browsers do. A link without a scheme
    ("vietcombank.com.vn/login") is read as a web address. Nothing is fetched.
    """
    text = url.strip(_C0_AND_SPACE).strip()  # browsers drop control characters and spaces at both ends
    if not text:
        return UrlParts(url, problem="empty")
    if any(c.isspace() for c in text):
        return UrlParts(url, problem="spaces")
    match = _SCHEME.match(text)
    scheme = match.group(1).lower() if match else ""
    if match and scheme not in SPECIAL_SCHEMES and _HOST_AND_PORT.match(text):
        scheme, match = "", None  # host:port/path
    rest = text[match.end():] if match else text
    special = scheme in SPECIAL_SCHEMES or not scheme
    if not special:  # mailto:, javascript:, data:, ...: no web host to read
        path, _, fragment = rest.partition("#")
        path, _, query = path.partition("?")
        return UrlParts(url, scheme=scheme, path=path, query=query, fragment=fragment)
    backslash = "\\" in rest
    if scheme:
        rest = rest.lstrip("/\\")  # browsers skip any number of slashes after http: or https:
    authority, rest = _split_authority(rest, special)
    rest = rest.replace("\\", "/")
    rest, _, fragment = rest.partition("#")
    path, _, query = rest.partition("?")
    userinfo, _, hostport = authority.rpartition("@")
    fields = dict(url=url, scheme=scheme, userinfo=userinfo, path=path, query=query, fragment=fragment, backslash=backslash)
    host_text, port_text = hostport, ""
    if not hostport.endswith("]"):
        colon = hostport.rfind(":")
        if colon >= 0:
            host_text, port_text = hostport[:colon], hostport[colon + 1:]
    if not host_text:
        return UrlParts(**fields, problem="no-host")
    if port_text:
        if not port_text.isascii() or not port_text.isdigit() or int(port_text) > 65535:
            return UrlParts(**fields, host=host_text.lower(), problem="bad-port")
        fields["port"] = int(port_text)
    try:
        host_ascii, is_ip = parse_host(host_text)
    except HostError:
        return UrlParts(**fields, host=host_text.lower(), problem="bad-host")
    written = urllib.parse.unquote(host_text).lower()
    fields["host_encoded"] = "%" in host_text
    if is_ip:
        shown = written.rstrip(".") if not written.startswith("[") else written[1:-1]
        return UrlParts(**fields, host=host_ascii, host_ascii=host_ascii, host_unicode=host_ascii, is_ip=True,
                        ip_written=shown if shown != host_ascii else "")
    ascii_labels = host_ascii.rstrip(".").split(".") if host_ascii != "." else [""]
    if "" in ascii_labels:
        return UrlParts(**fields, host=written, problem="bad-host")
    decoded = [_unicode_label(label) for label in ascii_labels]
    unicode_labels = [label for label, _ in decoded]
    bad = tuple(a for a, (_, ok) in zip(ascii_labels, decoded) if not ok)
    for dot in ("\u3002", "\uff0e", "\uff61"):  # ideographic and full-width full stops separate labels too
        written = written.replace(dot, ".")
    written_labels = written.rstrip(".").split(".")
    if len(written_labels) != len(ascii_labels):
        written_labels = unicode_labels
    host = ".".join(written_labels)
    fields.update(host=host, host_ascii=".".join(ascii_labels), host_unicode=".".join(unicode_labels), bad_labels=bad)
    count = _registered(ascii_labels)
    if count == 0 or count == len(ascii_labels):
        return UrlParts(**fields, suffix=".".join(ascii_labels[-count:]) if count else "")
    return UrlParts(**fields, subdomain=".".join(written_labels[:-count - 1]), domain=".".join(written_labels[-count - 1:]),
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
            problems.append(document.problem(where, f"{domain!r} does not end in a real public suffix (the Public Suffix List): a trusted site must be a real registered domain"))
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


def _swaps(name: str, trusted_name: str) -> str:
    """The characters `name` writes differently from `trusted_name`: '0 → o, rn → m'."""
    matcher = difflib.SequenceMatcher(a=name, b=trusted_name, autojunk=False)
    return ", ".join(f"{name[i1:i2]} → {trusted_name[j1:j2]}" for op, i1, i2, j1, j2 in matcher.get_opcodes() if op != "equal")


def _trusted_name(domain: str) -> str:
    """A trusted domain's own name: the labels before its public suffix (dichvucong for dichvucong.gov.vn)."""
    labels = domain.split(".")
    count = _registered(labels) or 1
    return ".".join(labels[:-count])


def _contains(text: str, target: str) -> bool:
    """`target` is in `text` (short names must be a whole hyphen- or dot-separated word: 'mb' in 'mb-secure')."""
    if len(target) >= 4:
        return target in text.replace("-", "").replace(".", "")
    return target in re.split(r"[-.]", text)


def _fuzzy_contains(text: str, target: str) -> bool:
    """A long name with one letter wrong or two letters swapped, among extra words ('vietcombnak-secure')."""
    if len(target) < 8:  # shorter names match too many ordinary words
        return False
    joined = text.replace("-", "").replace(".", "")
    for size in (len(target) - 1, len(target), len(target) + 1):
        for start in range(0, len(joined) - size + 1):
            window = joined[start:start + size]
            if is_transposition(window, target) or edit_distance(window, target) == 1:
                return True
    return False


# Endings only the state can register under: a trusted name in their subdomains is no trick
# (dichvucong.hanoi.gov.vn is a province's own portal).
STATE_SUFFIXES = ("gov.vn",)
# The strongest evidence first: when several trusted sites match, the closest one is reported.
_EVIDENCE = ("other-suffix", "confusable", "swap", "transposed", "typo", "extra-words", "trusted-in-subdomain",
             "split-name", "trusted-in-path")


def _near(text: str, target: str) -> bool:
    """Two neighbouring letters swapped, or (for names of 5 letters or more) one letter wrong, added or missing."""
    return (len(target) >= 4 and is_transposition(text, target)) or (len(target) >= 5 and edit_distance(text, target) == 1)


def _lookalikes(parts: UrlParts, links: LinkSet) -> tuple[list[Finding], TrustedSite | None]:
    """Compare the host with each trusted site: the name itself, then the subdomain, the whole host and the path.

    Only the trusted site it imitates most closely is reported (with every trick it uses to do so)."""
    best: tuple[tuple[int, int], list[Finding], TrustedSite | None] = ((len(_EVIDENCE), 0), [], None)
    state_owned = parts.suffix in STATE_SUFFIXES
    labels = parts.host_unicode.split(".")
    suffix_count = len(parts.suffix.split(".")) if parts.suffix else 1
    name = parts.name or (labels[-2] if len(labels) > 1 else labels[0])
    domain = parts.domain_unicode or parts.host_unicode
    subdomain = parts.subdomain_unicode if parts.domain else ".".join(labels[:-2])
    before_suffix = ".".join(skeleton(label) for label in labels[:-suffix_count])
    name_skeleton, subdomain_skeleton = skeleton(name), ".".join(skeleton(label) for label in subdomain.split(".") if label)
    plain_name = name_skeleton.replace("-", "")
    for site in links.trusted:
        trusted_name = _trusted_name(site.domain)
        target = skeleton(trusted_name)
        found: list[Finding] = []
        shown = dict(domain=domain, trusted=site.domain)
        if name == trusted_name:
            found.append(_finding("other-suffix", suffix=parts.suffix or labels[-1], **shown))
        elif name_skeleton == target:
            if not name.isascii():
                found.append(_finding("confusable", chars=_chars(name), **shown))
            elif _swaps(name, trusted_name):
                found.append(_finding("swap", swaps=_swaps(name, trusted_name), **shown))
        elif len(target) >= 4 and is_transposition(plain_name, target):
            found.append(_finding("transposed", swaps=_swaps(name, trusted_name), **shown))
        elif len(target) >= 5 and edit_distance(plain_name, target) == 1:
            found.append(_finding("typo", **shown))
        elif _contains(name_skeleton, target):
            found.append(_finding("extra-words", name=trusted_name, **shown))
        elif _fuzzy_contains(name_skeleton, target):
            found.append(_finding("extra-words", name=trusted_name, **shown))
        if not found and not state_owned:
            if subdomain_skeleton and (_contains(subdomain_skeleton, target) or _fuzzy_contains(subdomain_skeleton, target)
                                       or any(_near(label.replace("-", ""), target) for label in subdomain_skeleton.split("."))):
                found.append(_finding("trusted-in-subdomain", **shown))
            elif _contains(before_suffix, target):
                found.append(_finding("split-name", host=parts.host_unicode, name=trusted_name, **shown))
        if not found and re.search(r"(^|[/.@])" + re.escape(site.domain) + r"($|[/?#:])", urllib.parse.unquote(parts.path).lower()):
            found.append(_finding("trusted-in-path", host=parts.host_unicode, **shown))
        rank = (min((_EVIDENCE.index(f.code) for f in found), default=len(_EVIDENCE)), -len(target))
        if rank < best[0]:  # the strongest evidence, then the longest name (zalopay before zalo)
            best = (rank, found, site)
    return best[1], best[2]


def _mixed_scripts(parts: UrlParts) -> list[Finding]:
    """Labels that mix writing systems (Latin with Cyrillic or Greek letters): no real name does that."""
    findings = []
    for label in parts.host_unicode.split("."):
        found = scripts(label)
        if len(found) > 1:
            letters = "".join(c for c in label if c.isalpha() and unicode_scripts.alias(c) != "LATIN")
            findings.append(_finding("mixed-script", label=label, scripts=", ".join(s.title() for s in found), chars=_chars(letters)))
    return findings


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
    if parts.backslash:
        findings.append(_finding("backslash", host=parts.host_unicode))
    if parts.userinfo:
        findings.append(_finding("userinfo", userinfo=parts.userinfo, host=parts.host_unicode))
    if parts.port is not None and parts.port != DEFAULT_PORTS.get(parts.scheme):
        findings.append(_finding("port", port=str(parts.port)))
    if parts.host_encoded:
        findings.append(_finding("encoded-host", host=parts.host_unicode))
    if parts.is_ip:
        if parts.ip_written:
            findings.append(_finding("ip-disguised", written=parts.ip_written, host=parts.host))
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
    site = links.trusted_site(parts.domain_ascii) if parts.domain else None
    if site is not None:
        findings.append(_finding("trusted", domain=site.domain))
        return _finish(parts, findings, site, None, None)
    lookalikes, imitated = _lookalikes(parts, links)
    findings += lookalikes
    if not any(f.code == "confusable" for f in lookalikes):  # a confusable finding already names the letters
        findings += _mixed_scripts(parts)
    if not parts.domain:
        findings.append(_finding("unknown-suffix", suffix=parts.host_ascii.rsplit(".", 1)[-1], host=parts.host))
    elif not lookalikes:
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
