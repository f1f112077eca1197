"""Fuzzing the parsers of user input with hypothesis.

Each module feeds one parser files made from valid ones, mutated (bytes flipped,
inserted or deleted, truncated, text spliced in other encodings, a member of a zip
workbook mutated), and files made from scratch (random bytes, random text in random
encodings). The property is always the same: the parser answers, or refuses with its
documented error and a non-empty message, and a refused input stores nothing.

The strategies below are shared; the examples are bounded so that the whole folder runs
in well under a minute on SQLite.
"""

import io
import zipfile

from hypothesis import HealthCheck
from hypothesis import strategies as st

ENCODINGS = ("utf-8", "utf-8-sig", "gb18030", "utf-16", "latin-1", "big5", "shift_jis")

#: For tests that take pytest-django's database fixtures: the examples share the test's
#: transaction, and each one compares counts before and after itself.
FUZZ_HEALTH = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]

_interesting_text = st.sampled_from(
    [
        "",
        ",",
        ";",
        "\t",
        '"',
        '""',
        "\n",
        "\r\n",
        "\x00",
        "\ufeff",
        "{",
        "}",
        "=",
        "~",
        "#",
        "<",
        ">",
        "&",
        "]]>",
        "ANSWER: A",
        "A. ",
        "$CATEGORY:",
        "用户名",
        "学员",
        "::",
        "%",
    ]
)


def encoded_text(max_size: int = 300) -> st.SearchStrategy[bytes]:
    """Random text, in a random encoding (unencodable characters replaced)."""
    return st.tuples(
        st.one_of(st.text(max_size=max_size), _interesting_text), st.sampled_from(ENCODINGS)
    ).map(lambda pair: pair[0].encode(pair[1], errors="replace"))


@st.composite
def mutated(draw, seeds: list[bytes], max_steps: int = 4) -> bytes:
    """One of ``seeds`` after a few random edits."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(min_value=1, max_value=max_steps))):
        edit = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "splice"]))
        at = draw(st.integers(min_value=0, max_value=len(data)))
        if edit == "flip" and data:
            at = min(at, len(data) - 1)
            data[at] ^= draw(st.integers(min_value=1, max_value=255))
        elif edit == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif edit == "delete":
            del data[at : at + draw(st.integers(min_value=1, max_value=16))]
        elif edit == "truncate":
            del data[at:]
        else:
            data[at:at] = draw(encoded_text(max_size=40))
    return bytes(data)


@st.composite
def zip_member_mutated(draw, seeds: list[bytes]) -> bytes:
    """A zip file of ``seeds`` (an XLSX workbook) with one of its members mutated, and
    rezipped: the zip is sound, the XML inside is not."""
    source = zipfile.ZipFile(io.BytesIO(draw(st.sampled_from(seeds))))
    names = source.namelist()
    target = draw(st.sampled_from(names))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as rebuilt:
        for name in names:
            content = source.read(name)
            if name == target:
                content = draw(mutated([content]))
            rebuilt.writestr(name, content)
    return out.getvalue()


def files_from(seeds: list[bytes]) -> st.SearchStrategy[bytes]:
    """Valid files mutated, and files from scratch."""
    return st.one_of(
        mutated(seeds),
        mutated(seeds),
        st.binary(max_size=600),
        encoded_text(),
    )
