"""The one way every .xlsx the bot makes puts a value into a cell.

The values are what people typed or pasted: names, topics, school names. Two things about
them break a spreadsheet, and every export must guard against both:
- control characters (a pasted \\x07 or \\x00): openpyxl refuses them with
  IllegalCharacterError and the whole file is lost for one cell;
- text starting with «=»: openpyxl stores it as a formula, so «=HYPERLINK(...) Иван» would become
  a live link in the coordinator's file. Text starting with + - @ is read as a formula by the
  spreadsheet itself once the cell is edited.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell

# What a spreadsheet may read as the start of a formula.
FORMULA_STARTS = ("=", "+", "-", "@")
# Excel's limit of characters in one cell; longer text is cut, not refused.
CELL_TEXT_MAX = 32_767


def clean_text(value: str) -> str:
    """The text without the characters a worksheet cannot hold, at most a cell long."""
    cleaned: str = ILLEGAL_CHARACTERS_RE.sub("", value)
    return cleaned[:CELL_TEXT_MAX]


def safe_cell(sheet: Any, value: object) -> Cell:
    """A cell of `sheet` holding `value`; text always stays text, never a formula.

    Works for ordinary and write-only sheets alike: both take such cells in `append` (the
    write-only sheet needs the row and column a WriteOnlyCell starts with).
    """
    if not isinstance(value, str):
        return WriteOnlyCell(sheet, value=value)
    cell = WriteOnlyCell(sheet, value=clean_text(value))
    # Assigning a str lets openpyxl guess «formula» for a leading «=»; the type is set after
    # the assignment so the guess is overruled, and the quote prefix keeps the spreadsheet from
    # reading it as a formula when the cell is edited.
    cell.data_type = "s"
    if cell.value.startswith(FORMULA_STARTS):
        cell.quotePrefix = True
    return cell


def append_row(sheet: Any, values: Iterable[object]) -> list[Cell]:
    """Append one row of safe cells to `sheet`; the cells are returned for styling."""
    cells = [safe_cell(sheet, value) for value in values]
    sheet.append(cells)
    return cells
