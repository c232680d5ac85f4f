"""The pip lock, environment.yml, pyproject.toml and the installed packages agree."""
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s;#]+)$")


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def lock_pins() -> dict:
    pins = {}
    for line in (ROOT / "requirements" / "lock.txt").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = PIN.match(line)
        assert match, f"lock line is not an exact pin: {line!r}"
        pins[_normalise(match[1])] = match[2]
    return pins


def conda_pins() -> tuple[dict, list]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(dep["pip"] for dep in env["dependencies"] if isinstance(dep, dict))
    pins = {}
    for line in pip_section:
        match = PIN.match(line)
        assert match, f"environment.yml pip entry is not an exact pin: {line!r}"
        pins[_normalise(match[1])] = match[2]
    others = [dep for dep in env["dependencies"] if isinstance(dep, str)]
    return pins, others


def test_environment_yml_has_exactly_the_lock_pins():
    lock = lock_pins()
    conda, _ = conda_pins()
    missing = sorted(set(lock) - set(conda))
    extra = sorted(set(conda) - set(lock))
    differ = sorted(n for n in set(lock) & set(conda) if lock[n] != conda[n])
    assert not (missing or extra or differ), (
        f"environment.yml and requirements/lock.txt disagree: missing {missing}, "
        f"extra {extra}, different versions {differ}")


def test_supported_pythons_agree_in_pyproject_environment_yml_and_makefile():
    """3.11-3.13 everywhere: pyproject's range, conda's range, the Makefile's search list."""
    _, others = conda_pins()
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert requires == ">=3.11,<3.14"
    assert "python>=3.11,<3.14" in others
    makefile = (ROOT / "Makefile").read_text()
    searched = re.search(r"^SUPPORTED_PYTHONS := (.+)$", makefile, re.M)[1].split()
    assert searched[0] == "3.11" and sorted(searched) == ["3.11", "3.12", "3.13"]
    assert "(3, 11) <= sys.version_info[:2] <= (3, 13)" in makefile


def test_every_direct_dependency_is_pinned_and_torch_is_2_13():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lock = lock_pins()
    direct = project["dependencies"] + project["optional-dependencies"]["test"]
    for requirement in direct:
        name = _normalise(re.split(r"[<>=!~\[ ;]", requirement)[0])
        assert name in lock, f"{name} is a dependency but not pinned in the lock"
    assert lock["torch"] == "2.13.0"


def test_installed_packages_match_the_lock():
    """The environment the tests run in is the pinned one (stored outputs rely on it)."""
    lock = lock_pins()
    wrong = []
    for name, version in lock.items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            wrong.append(f"{name} not installed")
            continue
        if installed.split("+")[0] != version:
            wrong.append(f"{name} {installed} != {version}")
    assert not wrong, "run `make setup` again: " + ", ".join(wrong)
    assert sys.version_info[:2] == (3, 11)
