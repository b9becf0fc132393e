"""Range checks for the numbers stages are given, shared by the library and the CLI.

The CLI states the same bounds to typer (``min=``/``max=``) so a bad option is a usage
error before anything starts; the library checks again because DAG tasks and scripts
call it directly, and a zero chunk size or a billion workers must be a clear error,
never a traceback or a machine brought to its knees.
"""

from __future__ import annotations

from common.errors import ValueOutOfRange


def check_int(name: str, value: object, *, low: int, high: int) -> int:
    """``value`` as an int when it is a whole number within ``low..high``, else
    ValueOutOfRange naming ``name``, the value and the range."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueOutOfRange(f"{name} must be a whole number, not {value!r}")
    if not low <= value <= high:
        raise ValueOutOfRange(f"{name} must be between {low} and {high}, not {_shown(value)}")
    return value


def _shown(value: int) -> str:
    """The number, or its size when it is too long to print (Python refuses to turn
    an int of more than 4,300 digits into text at all)."""
    if value.bit_length() <= 128:
        return str(value)
    return f"a {'negative ' if value < 0 else ''}number of {value.bit_length()} bits"
