"""Reading a roster file (.xlsx or .csv) into plain rows; no database, no validation of values.

The header row is matched case-insensitively against Russian and English column names, so a
coordinator's own spreadsheet works as long as its headings say what the columns hold.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

ROSTER_EXTENSIONS = (".xlsx", ".csv")
HEADER_SEARCH_ROWS = 10
# A region's roster is about 25,000 rows of six columns; what lies beyond these bounds is not a
# roster, and reading it would only cost time: a sheet may declare (or pad itself to) a million
# rows and sixteen thousand columns in a file of two kilobytes.
MAX_ROWS = 50_000
MAX_COLUMNS = 100
# An .xlsx is a zip: its parts may unpack to at most this many times the upload limit, and no
# large part may be packed more than MAX_COMPRESSION_RATIO times (real sheets pack about 10
# times; a zip bomb thousands of times). A small part's ratio does not matter.
UNPACKED_PER_UPLOADED = 10
MAX_COMPRESSION_RATIO = 100
RATIO_CHECKED_FROM_BYTES = 1024 * 1024
# Characters no cell of a roster may hold (a NUL in a name cannot be stored by PostgreSQL);
# the whitespace ones among them are already turned into spaces.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")

# Column vocabulary: what people write in a header cell, compared without case, spaces or
# punctuation ("Ф.И.О." == "фио"). The keys are the fields of a roster row.
PEOPLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "full_name": ("фио", "фамилияимяотчество", "fullname", "name", "participant"),
    "phone": ("телефон", "тел", "номертелефона", "мобильныйтелефон", "phone", "phonenumber"),
    "school": ("школа", "оо", "образовательнаяорганизация", "организация", "school"),
    "role": ("роль", "роли", "должность", "role", "roles", "position"),
    "subjects": ("предметы", "предмет", "subjects", "subject"),
    "tutor": ("наставник", "куратор", "тьютор", "tutor", "mentor", "curator"),
}
REQUIRED_PEOPLE_COLUMNS = ("full_name",)

SCHOOL_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("название", "полноеназвание", "школа", "name", "fullname", "school"),
    "short_name": ("краткоеназвание", "короткоеназвание", "shortname"),
    "low_results": ("шнор", "нро", "lowresults"),
    "unfavourable_conditions": ("шнсу", "шфнсу", "нсу", "unfavourableconditions"),
    "is_leader": ("школалидер", "лидер", "leaderschool", "leader"),
}
SCHOOL_SHEET_NAMES = ("школы", "schools")


class RosterFileError(Exception):
    """The file cannot be read as a spreadsheet at all; `key` names the locale message."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


@dataclass(frozen=True)
class RosterRow:
    row: int
    full_name: str
    phone: str
    school: str
    role: str
    subjects: str
    tutor: str
    # Some cell held control characters; they are removed here and the row is reported.
    control_characters: bool = False


@dataclass(frozen=True)
class SchoolRow:
    row: int
    name: str
    short_name: str
    low_results: str
    unfavourable_conditions: str
    is_leader: str
    control_characters: bool = False


@dataclass
class ParsedRoster:
    rows: list[RosterRow] = field(default_factory=list)
    schools: list[SchoolRow] = field(default_factory=list)
    missing_columns: list[str] = field(default_factory=list)
    # The «Школы» sheet exists but has no column naming the school.
    schools_sheet_unusable: bool = False


def header_key(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.lower().replace("ё", "е"))


def has_roster_extension(filename: str) -> bool:
    return filename.lower().endswith(ROSTER_EXTENSIONS)


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "да" if value else "нет"
    if isinstance(value, float) and value.is_integer():
        # Phones typed into Excel become numbers: 79181234567.0 must read as 79181234567.
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return " ".join(str(value).split())


def parse_roster(content: bytes, filename: str, *, max_upload_bytes: int) -> ParsedRoster:
    """`max_upload_bytes` is the roster's upload limit; an .xlsx may unpack to a bounded
    multiple of it."""
    name = filename.lower()
    if name.endswith(".xlsx"):
        check_unpacked_size(content, max_upload_bytes * UNPACKED_PER_UPLOADED)
        return _parse_xlsx(content)
    if name.endswith(".csv"):
        return _parse_people(_bounded(_csv_rows(content)))
    raise RosterFileError("roster.file_wrong_type")


def check_unpacked_size(content: bytes, max_unpacked_bytes: int) -> None:
    """Refuse a zip bomb before anything unpacks it: the sizes the zip declares for its parts
    are what zipfile would unpack (it stops at the declared size), so they can be trusted."""
    try:
        members = zipfile.ZipFile(io.BytesIO(content)).infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise RosterFileError("roster.file_broken") from error
    limit_mb = max(1, max_unpacked_bytes // (1024 * 1024))
    if sum(member.file_size for member in members) > max_unpacked_bytes:
        raise RosterFileError("roster.file_unpacks_too_big", max_mb=limit_mb)
    for member in members:
        if (
            member.file_size >= RATIO_CHECKED_FROM_BYTES
            and member.file_size > member.compress_size * MAX_COMPRESSION_RATIO
        ):
            raise RosterFileError("roster.file_unpacks_too_big", max_mb=limit_mb)


def _parse_xlsx(content: bytes) -> ParsedRoster:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:
        # openpyxl fails on garbage with anything from BadZipFile to KeyError; all mean the same.
        raise RosterFileError("roster.file_broken") from error
    try:
        sheets = list(workbook.worksheets)
        schools_sheet = next((s for s in sheets if header_key(s.title) in SCHOOL_SHEET_NAMES), None)
        people_sheet = next((s for s in sheets if s is not schools_sheet), None)
        if people_sheet is None:
            raise RosterFileError("roster.file_empty")
        try:
            parsed = _parse_people(_sheet_rows(people_sheet))
            if schools_sheet is not None:
                schools = _parse_schools(_sheet_rows(schools_sheet))
                parsed.schools = schools or []
                parsed.schools_sheet_unusable = schools is None
        except RosterFileError:
            raise
        except Exception as error:
            raise RosterFileError("roster.file_broken") from error
        return parsed
    finally:
        workbook.close()


def _sheet_rows(sheet: Any) -> Iterator[list[str]]:
    """The sheet's rows as they come, never the range it declares: a file may declare
    A1:XFD1048576 (or place one cell there) and openpyxl would pad every row to it."""
    sheet.reset_dimensions()
    # One row past the limit is read, so that a longer roster is refused, not cut.
    rows = sheet.iter_rows(max_row=MAX_ROWS + 1, max_col=MAX_COLUMNS, values_only=True)
    return _bounded([cell_text(value) for value in _filled_part(values)] for values in rows)


def _filled_part(values: tuple[Any, ...]) -> tuple[Any, ...]:
    """The row without its trailing empty cells: openpyxl pads every row to MAX_COLUMNS, and
    rows the file skips come as padding only."""
    if values.count(None) == len(values):  # counted in C: most padding is whole empty rows
        return ()
    end = len(values)
    while values[end - 1] is None:
        end -= 1
    return values[:end]


def _bounded(rows: Iterable[list[str]]) -> Iterator[list[str]]:
    """At most MAX_ROWS rows of MAX_COLUMNS cells; a filled row beyond refuses the file."""
    for number, values in enumerate(rows, start=1):
        if number > MAX_ROWS:
            if any(values):
                raise RosterFileError("roster.file_too_many_rows", max=MAX_ROWS)
            continue
        yield values[:MAX_COLUMNS]


def _decode(content: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise RosterFileError("roster.file_broken")


def _csv_rows(content: bytes) -> Iterator[list[str]]:
    if b"\x00" in content[:4096]:
        raise RosterFileError("roster.file_broken")
    text = _decode(content)
    first_line = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first_line.count)
    try:
        for values in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            yield [cell_text(value) for value in values]
    except csv.Error as error:
        raise RosterFileError("roster.file_broken") from error


def _find_header(
    rows: Iterator[list[str]], columns: dict[str, tuple[str, ...]]
) -> tuple[int, dict[str, int]]:
    """The first row (within the first few) naming any known column, and where each column is."""
    for number, values in enumerate(rows, start=1):
        positions = _positions([header_key(value) for value in values], columns)
        if positions or number >= HEADER_SEARCH_ROWS:
            return number, positions
    return 0, {}


def _positions(keys: list[str], columns: dict[str, tuple[str, ...]]) -> dict[str, int]:
    """Exact names first, then headings that start with a name ("ФИО педагога")."""
    positions: dict[str, int] = {}
    taken: set[int] = set()
    for exact in (True, False):
        for field_name, aliases in columns.items():
            if field_name in positions:
                continue
            for index, key in enumerate(keys):
                if index in taken or not key:
                    continue
                if (
                    key in aliases
                    if exact
                    else any(len(alias) >= 3 and key.startswith(alias) for alias in aliases)
                ):
                    positions[field_name] = index
                    taken.add(index)
                    break
    return positions


def _pick(values: Sequence[str], position: int | None) -> str:
    if position is None or position >= len(values):
        return ""
    return values[position]


def _data_rows(rows: Iterator[list[str]], header_row: int) -> Iterable[tuple[int, list[str], bool]]:
    """Non-empty rows with their numbers, without control characters; the flag tells whether
    any were removed."""
    for number, values in enumerate(rows, start=header_row + 1):
        if any(values):
            cleaned = [CONTROL_CHARACTERS.sub("", value) for value in values]
            yield number, cleaned, cleaned != values


def _parse_people(rows: Iterator[list[str]]) -> ParsedRoster:
    header_row, positions = _find_header(rows, PEOPLE_COLUMNS)
    parsed = ParsedRoster()
    parsed.missing_columns = [c for c in REQUIRED_PEOPLE_COLUMNS if c not in positions]
    if parsed.missing_columns:
        return parsed
    get = positions.get
    parsed.rows = [
        RosterRow(
            row=number,
            full_name=_pick(values, get("full_name")),
            phone=_pick(values, get("phone")),
            school=_pick(values, get("school")),
            role=_pick(values, get("role")),
            subjects=_pick(values, get("subjects")),
            tutor=_pick(values, get("tutor")),
            control_characters=control_characters,
        )
        for number, values, control_characters in _data_rows(rows, header_row)
    ]
    return parsed


def _parse_schools(rows: Iterator[list[str]]) -> list[SchoolRow] | None:
    header_row, positions = _find_header(rows, SCHOOL_COLUMNS)
    if "name" not in positions:
        return None
    get = positions.get
    return [
        SchoolRow(
            row=number,
            name=_pick(values, get("name")),
            short_name=_pick(values, get("short_name")),
            low_results=_pick(values, get("low_results")),
            unfavourable_conditions=_pick(values, get("unfavourable_conditions")),
            is_leader=_pick(values, get("is_leader")),
            control_characters=control_characters,
        )
        for number, values, control_characters in _data_rows(rows, header_row)
    ]
