"""The number formats a MusicGen's language model can run in, by name (torch-free, for the command line)."""

__all__ = ["DTYPE_NAMES", "check_dtype_name"]

DTYPE_NAMES = ("float32", "bfloat16", "float16")
"""torch dtype names the text encoder and decoder can be loaded in (``auto`` picks one per device:
:func:`objectives.generation.default_dtype`)."""


def check_dtype_name(name: str, *, option: str = "the dtype") -> None:
    """Refuse a number format that is neither ``auto`` nor one of :data:`DTYPE_NAMES`: the one sentence every
    layer words it with (``option`` names what was given, e.g. ``--dtype``).

    Raises:
        ValueError: any other name (case matters: torch's names are lower case).
    """
    if name != "auto" and name not in DTYPE_NAMES:
        raise ValueError(f"{option} must be auto, {', '.join(DTYPE_NAMES)} but got {name!r}.")
