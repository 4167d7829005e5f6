"""Write the SYNTHETIC "breached passwords" file used by Unit 6 (verify information).

    python scripts/make_synthetic_breach_data.py

The file stands in for a breach-checking service in a lesson that runs offline. It is made
here, from made-up passwords and invented counts: it is NOT real breach data and must never
be replaced by it. Each line is `SHA1:COUNT`: the upper-case SHA-1 of a password and how many
times it "appeared". Around every teaching password the script adds random decoy entries that
share its 5-character prefix, as a real range service returns hundreds of hashes per prefix:
that is what keeps the password private (k-anonymity).

The output is reproducible (fixed seed), so tests can rely on the counts. It is written to
the lesson folder and to the assignment folder, which each need their own copy.
"""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = [ROOT / "lessons" / "unit06-verify" / "synthetic-breach-hashes.txt",
           ROOT / "assessments" / "source" / "unit06-verify" / "synthetic-breach-hashes.txt"]

# Made-up teaching passwords with invented counts. Weak on purpose: each shows a habit to avoid.
PASSWORDS = {
    "123456": 241873, "123456789": 118402, "12345678": 64233, "111111": 40551, "000000": 21876,
    "password": 97310, "P@ssw0rd": 3912, "qwerty": 33014, "abc123": 28761, "iloveyou": 88120,
    "admin": 19375, "zxcvbnm": 6005, "asdfgh": 3770, "1q2w3e4r": 5115, "aaaaaa": 2963, "abcdef": 2577,
    "superman": 11250, "dragon": 16600, "football": 9021, "sunshine": 7804, "princess": 8890,
    "matkhau": 12044, "matkhau123": 5210, "anhyeuem": 15007, "emyeuanh": 9862, "yeuem123": 4127,
    "bongda": 7315, "bongda123": 2211, "hanoi123": 1820, "saigon2010": 377, "vietnam": 25410,
    "vietnam123": 6402, "hoa2009": 211, "Hoa2009": 96, "minhanh2010": 58, "ngocanh123": 143,
    "meocon": 1733, "Meocon@2010": 12, "tuanpro": 804, "Tuan@123": 64,
    "anhyêuem": 37, "mậtkhẩu": 19,
}
HEADER = """\
# SYNTHETIC teaching data for the "Not Alone" course (Unit 6). NOT real breach data.
# Made by scripts/make_synthetic_breach_data.py from made-up passwords and invented counts.
# Each line: the upper-case SHA-1 of a password, a colon, how many times it "appeared".
"""


def sha1(password: str) -> str:
    return hashlib.sha1(password.encode("utf-8")).hexdigest().upper()


def lines(seed: int = 2025) -> list[str]:
    rng = random.Random(seed)
    hexdigits = "0123456789ABCDEF"
    entries = {sha1(password): count for password, count in PASSWORDS.items()}
    for digest in list(entries):
        for _ in range(rng.randint(12, 24)):  # decoys that share the prefix
            entries.setdefault(digest[:5] + "".join(rng.choice(hexdigits) for _ in range(35)), rng.randint(1, 900))
    for _ in range(400):  # and entries under other prefixes
        entries.setdefault("".join(rng.choice(hexdigits) for _ in range(40)), rng.randint(1, 900))
    return [f"{digest}:{count}" for digest, count in sorted(entries.items())]


def main() -> None:
    text = HEADER + "\n".join(lines()) + "\n"
    for target in TARGETS:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        print(f"wrote {target.relative_to(ROOT)} ({len(text.encode('utf-8'))} bytes)")


if __name__ == "__main__":
    main()
