"""Whole numbers written in text (a flag, a header, a stored key), checked before ``int()`` reads them."""

__all__ = ["is_decimal"]


def is_decimal(text: str) -> bool:
    """True for a non-empty run of the ASCII digits 0-9.

    ``str.isdigit`` alone is also true for ``'²'`` (which ``int()`` refuses with a ValueError) and for other
    scripts' digits (which ``int()`` reads), so every place that checks text before ``int()`` asks this instead.
    """
    return text.isascii() and text.isdigit()
