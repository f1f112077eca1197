"""Build import files in memory for the tests (nothing is committed as a fixture file)."""

import csv
import io

from openpyxl import Workbook

HEADER_EN = ["username", "full name", "unit code", "role", "e-mail", "phone"]
HEADER_ZH = ["用户名", "姓名", "单位代码", "角色", "邮箱", "手机"]


def csv_bytes(rows: list[list[str]], header=HEADER_EN, encoding: str = "utf-8") -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    if header is not None:
        writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list], header=HEADER_EN) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    if header is not None:
        sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def member_rows(count: int, unit_code: str, prefix: str = "imp") -> list[list[str]]:
    return [
        [f"{prefix}{n:05d}", f"Name {n}", unit_code, "member", f"{prefix}{n}@example.org", ""]
        for n in range(count)
    ]
