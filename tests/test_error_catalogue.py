"""docs/errors.md is executable: every example raises the error and prints the message shown.

The catalogue lists, for each error class, examples written as

    <!-- raises: ClassName -->
    ```python
    ...a complete file...
    ```
    ```text
    ...the message...
    ```

Each example is written to a fresh `example.py` in a temporary folder and
imported; the test checks that it raises exactly `srcad.ClassName` and that
`str(error)` equals the text block, with the temporary path replaced by
`example.py` and memory addresses by `0x...`. For messages that point at the
user's code it also checks the structure: the `file:line:col` prefix names the
example's real file and line, the next line is that source line, the caret sits
under the column, and a `hint:` line follows.
"""
import importlib.util
import os
import re
import sys

import pytest

import srcad

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CATALOGUE = os.path.join(ROOT, "docs", "errors.md")

_EXAMPLE = re.compile(r"<!-- raises: (\w+) -->\s*```python\n(.*?)```\s*```text\n(.*?)```",
                      re.DOTALL)


def examples():
    with open(CATALOGUE) as fh:
        text = fh.read()
    found = []
    for match in _EXAMPLE.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        found.append((f"errors.md:{line}", match.group(1), match.group(2),
                      match.group(3).rstrip("\n")))
    return found


def normalise(message, path):
    message = message.replace(path, "example.py")
    return re.sub(r"0x[0-9a-fA-F]+", "0x...", message)


def run_example(source, folder):
    """Import `source` as example.py in `folder`; the SrcadError it raises (or None)."""
    path = os.path.join(folder, "example.py")
    with open(path, "w") as fh:
        fh.write(source)
    name = "example"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except srcad.SrcadError as exc:
        return exc, path
    finally:
        sys.modules.pop(name, None)
    return None, path


def test_catalogue_has_every_error_class():
    classes = {cls for _, cls, _, _ in examples()}
    assert classes >= {"UnsupportedError", "MissingRuleError", "SourceError", "WrtError",
                       "NonScalarOutputError", "RuleError", "GradientCheckError"}
    assert len(examples()) >= 15


@pytest.mark.parametrize("where, cls, source, expected", examples(),
                         ids=[e[0] for e in examples()])
def test_example_raises_documented_message(tmp_path, where, cls, source, expected):
    error, path = run_example(source, str(tmp_path))
    assert error is not None, f"{where}: the example raised nothing"
    assert type(error).__name__ == cls, f"{where}: raised {type(error).__name__}: {error}"
    assert isinstance(error, getattr(srcad, cls))
    actual = normalise(str(error), path)
    assert actual == expected, f"{where}: message differs"

    head = actual.split("\n")
    m = re.match(r"example\.py:(\d+):(\d+): ", head[0])
    if m:
        # file, line, source line, caret, hint
        line, col = int(m.group(1)), int(m.group(2))
        assert error.location is not None and error.location.filename == path
        source_line = source.split("\n")[line - 1]
        assert head[1] == "    " + source_line.rstrip()
        assert head[2] == "    " + " " * col + "^"
        assert source_line[col:].strip(), "the caret points past the end of the line"
        assert any(h.startswith("    hint: ") for h in head[3:]), "no hint"
