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
