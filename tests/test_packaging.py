"""environment.yml (conda) and pyproject.toml (pip) declare the same dependencies."""

import tomllib

import yaml
from packaging.requirements import Requirement

from support import REPO


def normalized(spec: str) -> tuple[str, str]:
    requirement = Requirement(spec.replace(" ", ""))
    return requirement.name.lower().replace("_", "-"), str(requirement.specifier)


def test_conda_and_pip_agree():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    pip_side = {normalized(s) for s in project["dependencies"]}
    for extra in project["optional-dependencies"].values():
        pip_side |= {normalized(s) for s in extra}
    pip_side.add(normalized(f"python{project['requires-python']}"))

    environment = yaml.safe_load((REPO / "environment.yml").read_text())
    conda_side = set()
    for entry in environment["dependencies"]:
        if isinstance(entry, dict):
            conda_side |= {normalized(s) for s in entry["pip"] if not s.startswith("-e")}
        elif entry != "pip":
            conda_side.add(normalized(entry))
    assert environment["channels"] == ["conda-forge"]
    assert conda_side == pip_side, f"only in environment.yml: {conda_side - pip_side}; only in pyproject.toml: {pip_side - conda_side}"


def test_environment_installs_the_repo_itself():
    environment = yaml.safe_load((REPO / "environment.yml").read_text())
    pip_entries = next(entry["pip"] for entry in environment["dependencies"] if isinstance(entry, dict))
    assert "-e ." in pip_entries


# Declared but not imported: the app the course runs in and its Vietnamese menus.
NOT_IMPORTED = {"jupyterlab", "jupyterlab-language-pack-vi-vn"}
# Imported only by `notalone lite build`, from the lite extra.
LITE_ONLY = "notalone/lite.py"


def imported_distributions() -> dict[str, set[str]]:
    """Distribution -> the files of notalone/ and widgets/ that import it (absolute imports of other packages)."""
    import ast
    import importlib.metadata
    import sys

    providers = importlib.metadata.packages_distributions()
    found: dict[str, set[str]] = {}
    for path in sorted([*(REPO / "notalone").rglob("*.py"), *(REPO / "widgets").rglob("*.py")]):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.split(".")[0]
                if top in sys.stdlib_module_names or top in ("notalone", "widgets"):
                    continue
                assert top in providers, f"{path.relative_to(REPO)} imports {top}, which no installed distribution provides"
                for distribution in providers[top]:
                    found.setdefault(distribution.lower().replace("_", "-"), set()).add(str(path.relative_to(REPO)))
    return found


def test_runtime_dependencies_are_exactly_what_the_code_imports():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    declared = {normalized(spec)[0] for spec in project["dependencies"]}
    lite = {normalized(spec)[0] for spec in project["optional-dependencies"]["lite"]}
    imported = imported_distributions()
    assert all(imported[d] == {LITE_ONLY} for d in lite & set(imported)), "the lite extra serves notalone/lite.py only"
    imported = {d: files for d, files in imported.items() if d not in lite}
    assert set(imported) - declared == set(), {d: sorted(imported[d]) for d in set(imported) - declared}
    assert declared - set(imported) - NOT_IMPORTED == set(), "declared but imported nowhere in notalone/ or widgets/"
    tools = {normalized(spec)[0] for spec in project["optional-dependencies"]["test"]}
    assert {"pytest", "nbval", "playwright"} <= tools and not tools & declared, "test tools belong in the test extra only"


def test_the_test_command_installs_the_test_extra_and_start_installs_bubblewrap():
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert "test" in extras and '-e ".[test,lite]"' in (REPO / "scripts" / "test.sh").read_text()
    start = (REPO / "scripts" / "start.sh").read_text()
    assert "apt-get install -y -qq bubblewrap" in start and "sudo apt-get install bubblewrap" in start
