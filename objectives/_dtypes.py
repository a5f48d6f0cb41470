"""The number formats a MusicGen's language model can run in, by name (torch-free, for the command line)."""

__all__ = ["DTYPE_NAMES"]

DTYPE_NAMES = ("float32", "bfloat16", "float16")
"""torch dtype names the text encoder and decoder can be loaded in (``auto`` picks one per device:
:func:`objectives.generation.default_dtype`)."""
