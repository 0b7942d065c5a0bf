"""PNG charts: a teacher's self-check profile, entry vs final check, the school × block heat map,
one survey question's answers and a programme share against its target.

Callers pass strings already translated; a chart writes numbers and the caller's words, nothing
of its own, so it never needs `t()`. Every function is pure and returns PNG bytes: the same
input gives the same bytes (no software tag or date in the file, one bundled font).

Thread safety: no pyplot and no rcParams. Each call builds its own `Figure` on an Agg canvas
for the shapes, writes the text with its own Pillow fonts (see `page.Page.png` for why), names
its font files explicitly (DejaVu Sans, shipped inside matplotlib, so Cyrillic renders
everywhere alike) and drops the figure when the bytes are out.

Layout is computed in pixels: labels sit above their bars across the whole width (a phone
has no room for a label column), text is measured with the real font, wrapped, and cut with
«…» beyond a few lines. Characters the font lacks (emoji) are dropped rather than drawn as
boxes; `$` is plain text, not a formula.

One module a part: `text` (the font and measuring), `page` (the layout and drawing every chart
shares), then one a family: `profile` (profile, entry vs final), `heat_map`, `answers`
(a question's answers, programme shares against targets).
"""

from __future__ import annotations

from bot.services.charts.answers import answers_chart, comparison_bar
from bot.services.charts.heat_map import HEAT_MAP_MAX_HEIGHT, HEAT_MAP_MAX_ROWS, heat_map
from bot.services.charts.profile import BlockValue, change_chart, profile_chart

__all__ = [
    "HEAT_MAP_MAX_HEIGHT",
    "HEAT_MAP_MAX_ROWS",
    "BlockValue",
    "answers_chart",
    "change_chart",
    "comparison_bar",
    "heat_map",
    "profile_chart",
]
