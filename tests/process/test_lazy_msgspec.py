"""The BaseLayer's msgspec imports its submodules on first use (layers/lazy_msgspec.py), and works
as the installed one does."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import msgspec

from tests.support.layers import LAYERS

SUBMODULES = ("inspect", "json", "msgpack", "structs", "toml", "yaml")

USE = """
import json, sys
import msgspec
untouched = sorted(m for m in sys.modules if m.startswith("msgspec."))
from msgspec import inspect
class Greeting(msgspec.Struct):
    name: str
answers = [
    msgspec.json.decode(msgspec.json.encode(Greeting("Ada")), type=Greeting).name,
    msgspec.msgpack.decode(msgspec.msgpack.encode([1, 2])),
    [field.name for field in msgspec.structs.fields(Greeting)],
    type(inspect.type_info(Greeting)).__name__,
    msgspec.json.schema(Greeting)["$defs"]["Greeting"]["required"],
    msgspec.toml.decode(b"a = 1"),
    msgspec.__version__,
]
try:
    msgspec.not_there
except AttributeError as error:
    answers.append(str(error))
print(json.dumps([untouched, answers]))
"""


def test_the_layer_build_runs_the_rewrite_on_msgspec():
    makefile = (LAYERS / "Makefile").read_text()
    recipe = makefile.split("build-BaseLayer:")[1].split("\nbuild-")[0]
    assert 'lazy_msgspec.py "$(TARGET)/msgspec/__init__.py"' in recipe


def test_rewritten_msgspec_loads_only_its_core_and_answers_as_before(tmp_path):
    # GIVEN the installed msgspec (the version the BaseLayer pins), rewritten by the build step
    package = tmp_path / "msgspec"
    shutil.copytree(Path(msgspec.__file__).parent, package, ignore=shutil.ignore_patterns("__pycache__"))
    done = subprocess.run(
        [sys.executable, str(LAYERS / "lazy_msgspec.py"), str(package / "__init__.py")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    # WHEN a fresh interpreter imports it, then uses each submodule
    run = subprocess.run(
        [sys.executable, "-c", USE],
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path)},
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    untouched, answers = json.loads(run.stdout)
    # THEN the import loaded none of the submodules, and each answers once used
    assert {m.removeprefix("msgspec.") for m in untouched}.isdisjoint(SUBMODULES)
    assert answers == [
        "Ada",
        [1, 2],
        ["name"],
        "StructType",
        ["name"],
        {"a": 1},
        msgspec.__version__,
        "module 'msgspec' has no attribute 'not_there'",
    ]


def test_a_msgspec_without_the_expected_line_fails_the_build(tmp_path):
    init = tmp_path / "__init__.py"
    init.write_text("from ._core import Struct\nfrom . import json\n")
    done = subprocess.run(
        [sys.executable, str(LAYERS / "lazy_msgspec.py"), str(init)], capture_output=True, text=True
    )
    assert done.returncode == 1
    assert "does not import its submodules as expected" in done.stderr
    assert init.read_text() == "from ._core import Struct\nfrom . import json\n"
