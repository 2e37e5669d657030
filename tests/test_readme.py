"""The generated code shown in the README is what srcad generates (golden tests), and the
README's table of supported functions is current."""
import pathlib
import re
import sys

import srcad

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "examples"))

import logistic_map  # noqa: E402
import quickstart  # noqa: E402


def readme_blocks():
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    session = re.search(r">>> print\(jvp_f.source\)\n(.*?)```", text, re.S).group(1)
    return [b for b in blocks if b.startswith("def ")] + [session]


def shown(first_line):
    matches = [b for b in readme_blocks() if b.splitlines()[0] == first_line]
    assert len(matches) >= 1, first_line
    return matches


def test_readme_shows_the_textbook_and_the_optimised_derivative():
    raw = srcad.grad(quickstart.f, wrt=(0, 1), optimize=False)
    fast = srcad.grad(quickstart.f, wrt=(0, 1))
    raw(2.0, 5.0)
    fast(2.0, 5.0)
    blocks = shown("def grad_f(x1, x2, vbar_5=1.0):")
    assert raw.source in blocks
    assert fast.source in blocks


def test_readme_loop_example(monkeypatch):
    monkeypatch.setattr(srcad.api, "DEBUG", False)   # no stack assertion in the README
    blocks = shown("def grad_logistic(l, r, n, vbar_4=1.0):")
    for wrt in (0, ("l", "r")):       # carried, then recorded
        df = srcad.grad(logistic_map.logistic, wrt=wrt)
        df(0.3, 3.2, 10)
        assert df.source in blocks


def test_readme_forward_mode_example():
    jvp_f = srcad.jvp(quickstart.f, wrt=(0, 1))
    jvp_f(2.0, 5.0, (1.0, 0.0))
    assert jvp_f.source in shown("def jvp_f(x1, x2, vdot_m1, vdot_0):")
