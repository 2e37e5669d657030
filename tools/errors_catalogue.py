"""Rewrite the messages in docs/errors.md from what srcad prints now.

    python tools/errors_catalogue.py          # show the examples whose message changed
    python tools/errors_catalogue.py --write  # rewrite them in docs/errors.md

tests/test_error_catalogue.py checks that the catalogue is current.
"""
import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))

import test_error_catalogue as catalogue  # noqa: E402


def main(argv):
    with open(catalogue.CATALOGUE) as fh:
        text = fh.read()
    changed = 0
    for match in reversed(list(catalogue._EXAMPLE.finditer(text))):
        with tempfile.TemporaryDirectory() as folder:
            error, path = catalogue.run_example(match.group(2), folder)
        if error is None:
            print(f"example at offset {match.start()} raised nothing", file=sys.stderr)
            continue
        message = catalogue.normalise(str(error), path) + "\n"
        if message != match.group(3):
            changed += 1
            start, end = match.span(3)
            text = text[:start] + message + text[end:]
    if "--write" in argv:
        with open(catalogue.CATALOGUE, "w") as fh:
            fh.write(text)
    print(f"{changed} message(s) {'rewritten' if '--write' in argv else 'differ'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
