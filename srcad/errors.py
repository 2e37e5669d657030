"""The error classes srcad raises, each with its message template.

Every error a user can trigger is a :class:`SrcadError`. Errors that concern a
place in the user's code carry a :class:`Location` and print it the way
compilers do::

    model.py:12:4: 'with' is not supported by srcad
        with open(path) as fh:
        ^
    hint: move it outside the differentiated function
"""


class Location:
    """A place in the user's source: file, 1-based line, 0-based column, text."""

    def __init__(self, filename, line, col, text):
        self.filename = filename
        self.line = line
        self.col = col
        self.text = text

    def __str__(self):
        return f"{self.filename}:{self.line}:{self.col}"

    def excerpt(self):
        if not self.text:
            return ""
        stripped = self.text.rstrip("\n")
        return f"\n    {stripped}\n    {' ' * self.col}^"


class SrcadError(Exception):
    """Base class of every error srcad raises on purpose."""

    def __init__(self, message, location=None, hint=None):
        self.message = message
        self.location = location
        self.hint = hint
        super().__init__(self.render())

    def render(self):
        text = self.message
        if self.location is not None:
            text = f"{self.location}: {text}{self.location.excerpt()}"
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text


class UnsupportedError(SrcadError):
    """A construct srcad cannot differentiate, pointing at the user's line."""


class MissingRuleError(UnsupportedError):
    """A call to a library function for which no derivative rule is registered."""


class SourceError(SrcadError):
    """The source of a function cannot be retrieved (built-ins, exec'd code, a prompt)."""


class WrtError(SrcadError):
    """`wrt` names an argument the function does not have."""


class ArgumentError(SrcadError, TypeError):
    """A derivative called with arguments its function does not take (also a TypeError, as
    Python's own error for such a call is)."""


class NonScalarOutputError(SrcadError):
    """`grad` of a function whose value is not a scalar."""


class RuleError(SrcadError):
    """A derivative rule template that srcad cannot use."""


class GradientCheckError(SrcadError):
    """`check_grad` found the derivative and finite differences disagree."""

    def __init__(self, message, report=None):
        self.report = report
        super().__init__(message)
