"""Importing question banks from files (GIFT, Moodle XML, Aiken, the Excel template) and
exporting a category to them.

An import is two steps. ``import_preview`` parses a file and says what it holds (counts
per type and per category, each bad question with its line or row, the unsupported types);
it writes nothing. ``import_commit`` stores the good questions of a preview, all or
nothing, in one transaction: the bad ones were shown to the trainer, who confirmed
importing the rest without them.

Between the two steps of the admin screen the upload waits in private storage
(``default_storage`` under ``question-imports/``, never a served URL), found again by a
signed token bound to the user that expires in an hour (``import_upload_keep`` /
``import_upload_confirm``); the confirmation parses the file again and deletes it once
imported, so a second confirmation imports nothing.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.search.backends import get_search_backends

from . import formats
from . import spec as qspec
from .bank import (
    category_descendant_ids,
    category_ensure_path,
    question_default_name,
    question_search_text,
)
from .formats.base import FormatError, ParsedQuestion, ParseProblem
from .models import Question, QuestionCategory, QuestionVersion
from .validation import spec_errors

logger = logging.getLogger(__name__)

#: The largest file an import accepts (a 10,000-question bank is a few MB).
MAX_FILE_BYTES = 20 * 1024 * 1024
#: Formats a category can be exported to (Aiken holds single choice only).
EXPORT_FORMATS = ("moodlexml", "xlsx", "gift")
#: The file name extension of each format's export.
EXTENSIONS = {"moodlexml": "xml", "xlsx": "xlsx", "gift": "txt", "aiken": "txt"}
#: Types a format has no form for: its export leaves them out.
NOT_EXPORTED = {
    "gift": frozenset({qspec.GAPFILL, qspec.ORDERING}),
    "aiken": frozenset(set(qspec.QUESTION_TYPES) - {qspec.SINGLE}),
}

UPLOAD_FOLDER = "question-imports"
UPLOAD_MAX_AGE_SECONDS = 60 * 60
_SIGNING_SALT = "exams.quizzes.importing.upload"
_BATCH = 500


class ImportRefused(Exception):
    """The file cannot be imported: ``message`` (translated) says why, ``status`` is the
    HTTP status an admin view answers with, ``problems`` the bad questions when the file
    held no good one."""

    def __init__(
        self, message: str, *, status: int = 400, problems: Sequence[ParseProblem] = ()
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.problems = tuple(problems)


def _path_label(path: Sequence[str]) -> str:
    return " / ".join(path)


@dataclass(frozen=True)
class ImportPreview:
    """What a file holds. ``questions`` are the good ones, in file order; ``problems``
    the questions that will be skipped, with their line or row."""

    filename: str
    fmt: str
    questions: tuple[ParsedQuestion, ...]
    problems: tuple[ParseProblem, ...]
    unsupported: dict[str, int] = field(default_factory=dict)

    @property
    def by_type(self) -> dict[str, int]:
        """Good questions per type, in the platform's order of types."""
        counts = Counter(parsed.spec.qtype for parsed in self.questions)
        return {qtype: counts[qtype] for qtype in qspec.QUESTION_TYPES if counts[qtype]}

    @property
    def by_category(self) -> dict[str, int]:
        """Good questions per category path of the file ("" = none given)."""
        return dict(Counter(_path_label(parsed.category) for parsed in self.questions))


@dataclass(frozen=True)
class ImportReport:
    """What ``import_commit`` stored. ``by_category`` is keyed by the full category path."""

    created: int
    by_type: dict[str, int]
    by_category: dict[str, int]
    categories_created: int
    skipped: tuple[ParseProblem, ...]


def _problem_sort_key(problem: ParseProblem) -> tuple[int, int]:
    return (0, problem.line) if problem.line is not None else (1, 0)


def import_preview(*, filename: str, data: bytes, fmt: str | None = None) -> ImportPreview:
    """Parse ``data`` (format ``fmt``, or detected from the content and the name) and say
    what it holds. Writes nothing. Raises ``ImportRefused`` for an empty or too large
    file, a file not in the format it claims, and a file without one good question."""
    if not data or not data.strip():
        raise ImportRefused(_("The file is empty."))
    if len(data) > MAX_FILE_BYTES:
        raise ImportRefused(
            _("The file is larger than %(size)d MB; split it into smaller files.")
            % {"size": MAX_FILE_BYTES // (1024 * 1024)}
        )
    if fmt and fmt not in formats.FORMATS:
        raise ImportRefused(_("Unknown format: %(format)s.") % {"format": fmt})
    try:
        fmt, result = formats.parse_any(filename, data, fmt or None)
    except FormatError as error:
        raise ImportRefused(str(error)) from error
    except Exception as error:  # a parser's bug must not become a 500 for the trainer
        logger.exception("parsing %r as %s failed", filename, fmt)
        raise ImportRefused(
            _("The file could not be read. Check that it is a question file of a supported format.")
        ) from error
    good: list[ParsedQuestion] = []
    problems = list(result.problems)
    for parsed in result.questions:
        errors = spec_errors(parsed.spec)
        if errors:
            problems.append(
                ParseProblem(line=parsed.line, message=" ".join(errors), qtype=parsed.spec.qtype)
            )
        else:
            good.append(parsed)
    problems.sort(key=_problem_sort_key)
    if not good:
        raise ImportRefused(
            _("No question in this file can be imported.")
            if problems
            else _("No questions were found in this file."),
            problems=problems,
        )
    return ImportPreview(
        filename=filename,
        fmt=fmt,
        questions=tuple(good),
        problems=tuple(problems),
        unsupported=dict(result.unsupported),
    )


def default_import_category_name(*, now: datetime | None = None) -> str:
    """The top category that takes the questions of a file that names none."""
    local = timezone.localtime(now or timezone.now())
    return _("Imported %(when)s") % {"when": local.strftime("%Y-%m-%d %H:%M")}


class _Categories:
    """Category paths of a file → categories, each looked up or created once."""

    def __init__(self, *, into: QuestionCategory | None, now: datetime | None) -> None:
        self.into = into
        self.now = now
        self.cache: dict[tuple[str, ...], QuestionCategory] = {}

    def get(self, path: tuple[str, ...]) -> QuestionCategory:
        names = tuple(name.strip() for name in path if name and name.strip())
        found = self.cache.get(names)
        if found is None:
            if names:
                found = category_ensure_path(names=names, parent=self.into)
            elif self.into is not None:
                found = self.into
            else:
                found = category_ensure_path(names=[default_import_category_name(now=self.now)])
            self.cache[names] = found
        return found


def category_paths() -> dict[int, tuple[str, ...]]:
    """Every category's path of names from the top, in one query."""
    rows = {
        pk: (name, parent_id)
        for pk, name, parent_id in QuestionCategory.objects.values_list("pk", "name", "parent_id")
    }
    paths: dict[int, tuple[str, ...]] = {}

    def path_of(pk: int, seen: frozenset[int] = frozenset()) -> tuple[str, ...]:
        if pk in paths:
            return paths[pk]
        name, parent_id = rows[pk]
        if parent_id is None or parent_id in seen or parent_id not in rows:
            result = (name,)
        else:
            result = (*path_of(parent_id, seen | {pk}), name)
        paths[pk] = result
        return result

    for pk in rows:
        path_of(pk)
    return paths


def split_path(path: str) -> list[str]:
    """ "Safety / Fire" or "Safety/Fire" → ["Safety", "Fire"]."""
    return [name.strip() for name in (path or "").split("/") if name.strip()]


def category_by_path(*, names: Sequence[str]) -> QuestionCategory | None:
    """The existing category at ``names[0] / names[1] …`` from the top, or None."""
    node = None
    for name in names:
        node = QuestionCategory.objects.filter(parent=node, name=name).first()
        if node is None:
            return None
    return node


def _creator(user: AbstractBaseUser | AnonymousUser | None) -> AbstractBaseUser | None:
    return user if user is not None and user.is_authenticated else None


def import_commit(
    *,
    preview: ImportPreview,
    into: QuestionCategory | None,
    user: AbstractBaseUser | AnonymousUser | None,
    now: datetime | None = None,
) -> ImportReport:
    """Store the good questions of ``preview``, all or nothing.

    The file's categories become categories under ``into`` (at the top without it); a
    question without a category goes into ``into``, or without it into a new top
    category "Imported <date time>". Each question gets its first version, as
    ``bank.question_create`` makes it, but in bulk: a few statements per 500 questions.
    """
    for parsed in preview.questions:  # the preview may not come from import_preview
        errors = spec_errors(parsed.spec)
        if errors:
            raise ImportRefused(
                _("Line %(line)s: %(errors)s")
                % {
                    "line": parsed.line if parsed.line is not None else "?",
                    "errors": " ".join(errors),
                }
            )
    creator = _creator(user)
    with transaction.atomic():
        categories_before = QuestionCategory.objects.count()
        categories = _Categories(into=into, now=now)
        questions: list[Question] = []
        for parsed in preview.questions:
            try:
                category = categories.get(parsed.category)
            except ValidationError as error:
                raise ImportRefused(" ".join(error.messages)) from error
            questions.append(
                Question(
                    category=category,
                    qtype=parsed.spec.qtype,
                    name=question_default_name(parsed.spec),
                    search_text=question_search_text(parsed.spec),
                    created_by=creator,
                )
            )
        Question.objects.bulk_create(questions, batch_size=_BATCH)
        versions = [
            QuestionVersion(
                question=question,
                number=1,
                spec=qspec.spec_to_dict(parsed.spec),
                created_by=creator,
            )
            for question, parsed in zip(questions, preview.questions, strict=True)
        ]
        QuestionVersion.objects.bulk_create(versions, batch_size=_BATCH)
        first_version = QuestionVersion.objects.filter(question=OuterRef("pk"), number=1)
        for start in range(0, len(questions), _BATCH):
            ids = [question.pk for question in questions[start : start + _BATCH]]
            Question.objects.filter(pk__in=ids).update(
                current_version=Subquery(first_version.values("pk")[:1])
            )
        for question, version in zip(questions, versions, strict=True):
            question.current_version = version
        transaction.on_commit(lambda: questions_index(questions=questions))
        categories_created = QuestionCategory.objects.count() - categories_before
    paths = {category.pk: category.path for category in categories.cache.values()}
    return ImportReport(
        created=len(questions),
        by_type=preview.by_type,
        by_category=dict(Counter(paths[question.category_id] for question in questions)),
        categories_created=categories_created,
        skipped=preview.problems,
    )


def questions_index(*, questions: Sequence[Question]) -> None:
    """Add imported questions to the search index, as saving one by one would have
    (bulk inserts send no ``post_save``). Run after the import commits: the index is
    derived data (``manage.py update_index`` rebuilds it) and, on PostgreSQL, the slowest
    part of a large import."""
    for backend in get_search_backends(with_auto_update=True):
        for start in range(0, len(questions), _BATCH):
            backend.add_bulk(Question, questions[start : start + _BATCH])


# --- the upload kept between preview and confirmation ---------------------------------


@dataclass(frozen=True)
class PendingImport:
    upload_id: str
    filename: str
    fmt: str
    into_id: int | None
    user_id: int

    @property
    def storage_name(self) -> str:
        return f"{UPLOAD_FOLDER}/{self.upload_id}"


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=_SIGNING_SALT)


def _remove_stale_uploads(*, now: datetime) -> None:
    try:
        _folders, names = default_storage.listdir(UPLOAD_FOLDER)
    except (FileNotFoundError, NotImplementedError):
        return
    for name in names:
        storage_name = f"{UPLOAD_FOLDER}/{name}"
        try:
            age = (now - default_storage.get_modified_time(storage_name)).total_seconds()
            if age > UPLOAD_MAX_AGE_SECONDS + 60:
                default_storage.delete(storage_name)
        except (OSError, NotImplementedError):
            continue


def import_upload_keep(
    *,
    data: bytes,
    filename: str,
    fmt: str,
    into: QuestionCategory | None,
    user: AbstractBaseUser,
) -> str:
    """Keep an uploaded file until its import is confirmed; the token that finds it again
    (signed, for ``user`` only, valid for an hour)."""
    _remove_stale_uploads(now=timezone.now())
    saved = default_storage.save(f"{UPLOAD_FOLDER}/{uuid.uuid4().hex}", ContentFile(data))
    pending = PendingImport(
        upload_id=saved.rsplit("/", 1)[-1],
        filename=filename,
        fmt=fmt,
        into_id=into.pk if into is not None else None,
        user_id=user.pk,
    )
    return _signer().sign_object(
        {
            "id": pending.upload_id,
            "n": pending.filename,
            "f": pending.fmt,
            "c": pending.into_id,
            "u": pending.user_id,
        }
    )


def import_upload_open(*, token: str, user: AbstractBaseUser) -> PendingImport:
    """The waiting upload ``token`` names. Raises ``ImportRefused`` when the token is
    forged, expired, or another user's."""
    try:
        data = _signer().unsign_object(token or "", max_age=UPLOAD_MAX_AGE_SECONDS)
    except signing.SignatureExpired as error:
        raise ImportRefused(
            _("This import waited more than an hour and has expired. Upload the file again.")
        ) from error
    except (signing.BadSignature, ValueError, TypeError) as error:
        raise ImportRefused(_("This import link is not valid. Upload the file again.")) from error
    try:
        pending = PendingImport(
            upload_id=str(data["id"]),
            filename=str(data["n"]),
            fmt=str(data["f"]),
            into_id=data["c"],
            user_id=data["u"],
        )
    except (KeyError, TypeError) as error:
        raise ImportRefused(_("This import link is not valid. Upload the file again.")) from error
    if pending.user_id != user.pk:
        raise ImportRefused(_("This import was uploaded by someone else."), status=403)
    return pending


def import_upload_confirm(
    *, token: str, user: AbstractBaseUser, now: datetime | None = None
) -> ImportReport:
    """Import the upload ``token`` names, once: parse it again, store its good questions
    and delete it, in one transaction. A second confirmation (a double click, a replayed
    request) finds nothing and is refused with status 409."""
    pending = import_upload_open(token=token, user=user)
    with transaction.atomic():
        # One confirmation of a user's uploads at a time: the second waits, then finds
        # the file gone.
        list(get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk"))
        if not default_storage.exists(pending.storage_name):
            raise ImportRefused(
                _(
                    "This file is no longer waiting to be imported: it was imported already "
                    "or has expired. Nothing more was imported."
                ),
                status=409,
            )
        into = None
        if pending.into_id is not None:
            into = QuestionCategory.objects.filter(pk=pending.into_id).first()
            if into is None:
                raise ImportRefused(
                    _("The category chosen for this import no longer exists."), status=409
                )
        with default_storage.open(pending.storage_name, "rb") as stored:
            data = stored.read()
        preview = import_preview(filename=pending.filename, data=data, fmt=pending.fmt)
        report = import_commit(preview=preview, into=into, user=user, now=now)
        default_storage.delete(pending.storage_name)
    return report


def import_upload_discard(*, token: str, user: AbstractBaseUser) -> None:
    """Forget a waiting upload (the trainer chose another file)."""
    pending = import_upload_open(token=token, user=user)
    default_storage.delete(pending.storage_name)


# --- export ----------------------------------------------------------------------------


def export_questions(
    *, category: QuestionCategory, include_subcategories: bool = True
) -> list[ParsedQuestion]:
    """The category's questions (not archived) as a format's exporter takes them: each
    with its current spec and its category's full path, grouped by category."""
    ids = category_descendant_ids(category=category) if include_subcategories else [category.pk]
    paths = category_paths()
    questions = (
        Question.objects.filter(category_id__in=ids, archived=False)
        .exclude(current_version=None)
        .select_related("current_version")
        .order_by("pk")
    )
    ordered = sorted(questions, key=lambda question: (paths[question.category_id], question.pk))
    return [
        ParsedQuestion(spec=question.current_version.spec_obj, category=paths[question.category_id])
        for question in ordered
    ]


def export_category(
    *, category: QuestionCategory, fmt: str, include_subcategories: bool = True
) -> bytes:
    """The category's questions as a file of format ``fmt`` (one of ``EXPORT_FORMATS``, or
    aiken). Types the format has no form for (``NOT_EXPORTED``) are left out."""
    if fmt not in formats.FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    parsed = export_questions(category=category, include_subcategories=include_subcategories)
    return formats.FORMATS[fmt].export(parsed)


def export_filename(*, category: QuestionCategory, fmt: str) -> str:
    name = "-".join(category.name.split()) or "questions"
    return f"{name}.{EXTENSIONS.get(fmt, 'txt')}"
