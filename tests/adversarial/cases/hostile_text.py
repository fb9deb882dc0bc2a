"""Exception and code names with terminal markup, escape sequences, bidi overrides and a lone
surrogate: printed escaped, the results file always written."""


class Boom(Exception):
    pass


Boom.__name__ = "[bold red]Boom[/][/]\x1b[2J"
Boom.__qualname__ = Boom.__name__


def _raise():
    raise Boom("\x1b[31m[link=file:///etc/passwd]click[/link]\u202e\udcff\x07")


# the frame's code name (shown as "in <name>") holds markup and a lone surrogate
_raise.__code__ = _raise.__code__.replace(co_name="[/]\udc80\x1b]0;pwned\x07")


def add(a, b):
    _raise()


class Cell:
    pass


Cell.__name__ = "[/]\x1b]0;pwned\x07"


def scale(a, k):
    return Cell()
