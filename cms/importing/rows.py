"""What an import is made of: rows, the problems found in them, and the report."""

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Problem:
    """A reason a file or a row cannot be imported: a stable code and a translated message."""

    code: str
    message: str


@dataclass
class ImportRow:
    line: int  # the row number the user sees in the spreadsheet; the header is row 1
    username: str = ""
    full_name: str = ""
    unit_code: str = ""
    role: str = ""
    email: str = ""
    phone: str = ""
    errors: list[Problem] = field(default_factory=list)
    # Filled in by validation, never read from a file or a stored import.
    unit_id: int | None = field(default=None, repr=False)
    group_name: str | None = field(default=None, repr=False)

    @property
    def is_valid(self) -> bool:
        return not self.errors

    def to_data(self) -> dict[str, Any]:
        """The row as the file gave it, for storing between preview and confirm."""
        data = asdict(self)
        for key in ("errors", "unit_id", "group_name"):
            data.pop(key)
        return data

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> "ImportRow":
        return cls(
            line=int(data["line"]),
            **{key: str(data.get(key) or "") for key in cls._text_fields()},
        )

    @staticmethod
    def _text_fields() -> tuple[str, ...]:
        return ("username", "full_name", "unit_code", "role", "email", "phone")


@dataclass
class ImportReport:
    rows: list[ImportRow] = field(default_factory=list)
    file_errors: list[Problem] = field(default_factory=list)

    @property
    def valid_rows(self) -> list[ImportRow]:
        return [row for row in self.rows if row.is_valid]

    @property
    def invalid_rows(self) -> list[ImportRow]:
        return [row for row in self.rows if not row.is_valid]

    @property
    def is_readable(self) -> bool:
        return not self.file_errors

    @property
    def is_clean(self) -> bool:
        """Readable, with at least one row and no bad row: "import all" may go ahead."""
        return self.is_readable and bool(self.rows) and not self.invalid_rows


@dataclass(frozen=True)
class ImportResult:
    created: int
    skipped: int
