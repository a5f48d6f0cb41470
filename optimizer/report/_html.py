"""HTML pieces of the report: escaping, sections, figures, tables and score formatting (95 % intervals)."""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Mapping, Sequence
from typing import Any

from optimizer.report._plots import PlotUnavailable, ScoreInterval

__all__ = ["PAGE", "Z95", "as_float", "confidence_interval", "escape", "figure", "figure_section", "finite",
           "html_table", "interval_text", "num", "score_interval", "section"]

Z95 = 1.96
"""Standard-normal quantile of a two-sided 95 % interval: ``mean ± 1.96 · stderr``."""


def confidence_interval(score: Mapping[str, Any]) -> tuple[float, float]:
    """The 95 % confidence interval of a ``{mean, stderr, n[, ci95]}`` score, in the score's units.

    A stored ``ci95: [low, high]`` (held-out re-validation writes one) is used as given; otherwise the normal
    approximation ``mean ± 1.96 · stderr``, where ``stderr`` is the standard error over the clips (sample
    standard deviation / sqrt(n)). With few clips the normal approximation is narrower than a Student-t
    interval would be.

    Raises:
        ValueError: ``mean`` or ``stderr`` is missing or not a finite number.
    """
    stored = score.get("ci95")
    if isinstance(stored, (list, tuple)) and len(stored) == 2 and all(finite(v) for v in stored):
        return float(stored[0]), float(stored[1])
    mean, stderr = score.get("mean"), score.get("stderr")
    if not (isinstance(mean, (int, float)) and isinstance(stderr, (int, float)) and finite(mean)
            and finite(stderr)):
        raise ValueError(f"a score needs finite mean and stderr but got {dict(score)!r}.")
    return mean - Z95 * stderr, mean + Z95 * stderr


def figure_section(anchor: str, title: str, render, caption: str) -> str:
    return section(anchor, title, figure(anchor, render, caption))


def figure(anchor: str, render, caption: str) -> str:
    try:
        png = render()
    except PlotUnavailable as exc:
        return f"<p class='missing' id='{escape(anchor)}'>{escape(str(exc))}</p>"
    data = base64.b64encode(png).decode("ascii")
    return (f"<figure id='{escape(anchor)}'><img alt='{escape(anchor)}' src='data:image/png;base64,{data}'>"
            f"<figcaption>{escape(caption)}</figcaption></figure>")


def section(anchor: str, title: str, body: str) -> str:
    # "sec-": a section and its only figure would otherwise share an id, which HTML forbids.
    return f"<section id='sec-{escape(anchor)}'>\n<h2>{escape(title)}</h2>\n{body}\n</section>"


def html_table(head: Sequence[str], rows: Sequence[Sequence[str]], *, css: str) -> str:
    header = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table class='{escape(css)}'><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>"


def score_interval(label: str, score: Any) -> ScoreInterval | None:
    if not isinstance(score, Mapping) or not finite(score.get("mean")):
        return None
    try:
        low, high = confidence_interval(score)
    except ValueError:
        return None
    return ScoreInterval(label=label, mean=float(score["mean"]), low=low, high=high)


def interval_text(score: Any) -> str:
    interval = score_interval("", score)
    if interval is None:
        return "-"
    n = score.get("n")
    return f"{interval.mean:.3f} [{interval.low:.3f}, {interval.high:.3f}]" + (f" n={n}" if isinstance(n, int) else "")


def num(value: Any, digits: int) -> str:
    return f"{float(value):.{digits}f}" if finite(value) else "-"


def as_float(value: Any) -> float:
    return float(value) if finite(value) else math.nan


def finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def escape(text: str) -> str:
    return html.escape(text, quote=True)


PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">{meta}<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }}
table {{ border-collapse: collapse; margin: 1em 0; font-size: 0.9em; max-width: 100%; }}
th, td {{ border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }}
td {{ font-variant-numeric: tabular-nums; overflow-wrap: anywhere; }}
figure {{ margin: 1em 0; }} img {{ max-width: 100%; }}
figcaption {{ color: #555; font-size: 0.9em; }}
.missing {{ color: #a60; font-style: italic; }}
</style></head>
<body>
{body}
</body></html>
"""
