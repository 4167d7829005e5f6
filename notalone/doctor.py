"""`notalone doctor`: what grading needs on this machine, and the exact command for whatever is missing.

It asks the grading sandbox itself (notalone.sandbox) rather than guessing: Bubblewrap installed and
usable from this account (unprivileged user namespaces, which Debian, Ubuntu's AppArmor or a zero
namespace limit can switch off), then the protections an actual sandbox gets here (cgroups,
seccomp, a user id per kernel), and, optionally, fonts with Vietnamese letters for reading reports.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

SYSCTLS = {
    "kernel.unprivileged_userns_clone": "/proc/sys/kernel/unprivileged_userns_clone",  # Debian
    "kernel.apparmor_restrict_unprivileged_userns": "/proc/sys/kernel/apparmor_restrict_unprivileged_userns",  # Ubuntu
    "user.max_user_namespaces": "/proc/sys/user/max_user_namespaces",
}
USERNS_ENABLED = {"kernel.unprivileged_userns_clone": "1", "kernel.apparmor_restrict_unprivileged_userns": "0",
                  "user.max_user_namespaces": "15000"}


@dataclass(frozen=True)
class Finding:
    name: str
    ok: bool
    detail: str
    fix: str = ""  # the exact command(s) to run, one per line
    required: bool = True  # grading cannot run without it

    def lines(self) -> list[str]:
        status = "ok     " if self.ok else "MISSING" if self.required else "missing (optional)"
        lines = [f"{status}  {self.name}: {self.detail}"]
        if not self.ok and self.fix:
            lines += ["           To fix, run:"] + [f"             {command}" for command in self.fix.splitlines()]
        return lines


def as_root(command: str) -> str:
    return command if os.geteuid() == 0 else f"sudo {command}"


def read_sysctls() -> dict[str, str | None]:
    values = {}
    for name, path in SYSCTLS.items():
        try:
            values[name] = Path(path).read_text().strip()
        except OSError:
            values[name] = None  # this kernel has no such switch
    return values


def userns_fix(sysctls: dict[str, str | None]) -> str:
    """The commands that turn on unprivileged user namespaces, now and after a restart; "" when none is off."""
    commands = []
    for name, wanted in USERNS_ENABLED.items():
        value = sysctls.get(name)
        if value is None or value == wanted or (name == "user.max_user_namespaces" and value != "0"):
            continue
        commands += [as_root(f"sysctl -w {name}={wanted}"),
                     f"echo {name}={wanted} | {as_root('tee')} /etc/sysctl.d/90-notalone-userns.conf"]
    return "\n".join(commands)


def bubblewrap_installed() -> Finding:
    path = shutil.which("bwrap")
    if path:
        return Finding("bubblewrap", True, f"installed ({path})")
    return Finding("bubblewrap", False, "not installed: `notalone grade` runs each notebook in a Bubblewrap sandbox",
                   as_root("apt-get install bubblewrap"))


def bubblewrap_usable() -> Finding:
    """Bubblewrap can make a sandbox from this account (the same trial run the grader makes)."""
    from .sandbox import bwrap_problem

    problem = bwrap_problem()
    if problem is None:
        return Finding("sandbox from this account", True, "Bubblewrap makes a sandbox here")
    fix = "" if os.geteuid() == 0 else userns_fix(read_sysctls())
    if os.geteuid() != 0:
        fix = "\n".join(filter(None, [fix, "(or grade as root: sudo .venv/bin/notalone grade ...)"]))
    return Finding("sandbox from this account", False, problem.split(" Pass --no-sandbox")[0], fix)


def sandbox_protections() -> list[Finding]:
    """Start the real grading sandbox once and report each protection it has here."""
    from .sandbox import Limits, SandboxUnavailable, open_sandbox

    try:
        sandbox = open_sandbox(Limits())
    except SandboxUnavailable as error:
        return [Finding("grading sandbox", False, str(error), "" if os.geteuid() == 0 else userns_fix(read_sysctls()))]
    try:
        found = [Finding("grading sandbox", True, "starts, and confines a kernel")]
        for mechanism in sandbox.mechanisms:
            found.append(Finding(mechanism.name, mechanism.active, mechanism.detail, mechanism.how_to_get, required=False))
        return found
    finally:
        sandbox.close()


def vietnamese_fonts() -> Finding:
    """Fonts with Vietnamese letters, for reading reports and feedback on this machine (optional)."""
    fix = as_root("apt-get install fonts-noto-core")
    if not shutil.which("fc-list"):
        return Finding("fonts", False, "fontconfig is missing, so fonts cannot be checked", as_root("apt-get install fontconfig fonts-noto-core"),
                       required=False)
    families = subprocess.run(["fc-list", ":lang=vi", "family"], capture_output=True, text=True).stdout.strip()
    if families:
        return Finding("fonts", True, f"{len(families.splitlines())} font families with Vietnamese letters")
    return Finding("fonts", False, "no font with Vietnamese letters: reports may show boxes", fix, required=False)


def diagnose() -> list[Finding]:
    installed = bubblewrap_installed()
    findings = [installed]
    if installed.ok:
        usable = bubblewrap_usable()
        findings.append(usable)
        if usable.ok:
            findings += sandbox_protections()
    return findings + [vietnamese_fonts()]


def run(args=None) -> int:
    """Print every finding; 1 when something grading needs is missing."""
    print("notalone doctor: what grading needs on this machine")
    findings = diagnose()
    for finding in findings:
        print("\n".join("  " + line for line in finding.lines()))
    missing = [f for f in findings if f.required and not f.ok]
    if missing:
        print(f"\n{len(missing)} thing(s) grading needs are missing: run the commands above, then `notalone doctor` again.")
        return 1
    print("\nEverything grading needs is here.")
    return 0


__all__ = ["Finding", "diagnose", "run", "userns_fix", "read_sysctls", "bubblewrap_installed", "bubblewrap_usable"]
