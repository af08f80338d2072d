"""Statutory assessments a pupil has had by now, given their year group.

Reception ends with the EYFS profile, Year 1 the phonics check, Year 2 the
KS1 teacher assessment, Year 4 the multiplication tables check, Year 6 the
KS2 tests, Year 11 GCSEs and Year 13 A levels. One ability score per pupil
keeps a child's results consistent with one another.
"""

from __future__ import annotations

from datetime import date, timedelta

from app.demo.context import Context

ASSESSMENT_COLUMNS = (
    "id", "pupil_id", "academic_year", "key_stage", "subject", "method", "result", "assessed_on",
    "recorded_by",
)

_GCSE_CORE = ("English Language", "English Literature", "Mathematics", "Combined Science")
_GCSE_OPTIONS = ("History", "Geography", "French", "Spanish", "Religious Studies", "Art and Design",
                 "Computer Science", "Music", "Design and Technology", "Business")
_A_LEVELS = ("Mathematics", "Biology", "Chemistry", "Psychology", "English Literature", "History",
             "Sociology", "Economics", "Art and Design", "Physics")
_BOARDS = ("AQA", "Pearson Edexcel", "OCR", "WJEC Eduqas")
_STA = "Standards and Testing Agency"


def _weekday(day: date, weekday: int) -> date:
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def _grade(ability: float, scale: tuple[str, ...]) -> str:
    """Map an ability score (about -2..2) onto a grade scale, best first."""
    position = int((1.0 - (ability + 2.0) / 4.0) * len(scale))
    return scale[min(len(scale) - 1, max(0, position))]


def assessment_rows(
    ctx: Context,
    pupil_id: str,
    offset_now: int,
    year_now: int,
    joined_year: int,
    data_until: date,
    teacher: str,
    secondary: bool,
) -> list[tuple]:
    """Rows for each statutory assessment from ``joined_year`` to
    ``year_now``; a secondary school also holds the KS2 results it received."""
    rng = ctx.rng
    ability = max(-2.0, min(2.0, rng.gauss(0.0, 0.8)))
    rows: list[tuple] = []
    first = min(joined_year, year_now - (offset_now - 6)) if secondary else joined_year
    for year in range(first, year_now + 1):
        offset = offset_now - (year_now - year)
        label = f"{year}/{year + 1}"
        june = date(year + 1, 6, 1)
        held_here = year >= joined_year
        if offset == 0 and held_here:
            day = _weekday(date(year + 1, 6, 20), 4)
            for area in ("Communication and language", "Literacy", "Mathematics"):
                result = "Expected" if ability + rng.gauss(0, 0.6) > -0.8 else "Emerging"
                rows.append((label, "EYFS", area, "teacher assessment", result, day, teacher))
        elif offset == 1 and held_here:
            score = max(0, min(40, round(33 + ability * 5 + rng.gauss(0, 3))))
            result = f"{score}/40 ({'Wa' if score >= 32 else 'Wt'})"
            rows.append((label, "KS1", "Phonics screening check", "check", result,
                         _weekday(june + timedelta(days=7), 0), teacher))
        elif offset == 2 and held_here:
            day = _weekday(date(year + 1, 6, 24), 4)
            for subject in ("Reading", "Writing", "Mathematics"):
                result = _grade(ability + rng.gauss(0, 0.4), ("GDS", "EXS", "EXS", "WTS", "PK"))
                rows.append((label, "KS1", subject, "teacher assessment", result, day, teacher))
        elif offset == 4 and held_here:
            score = max(0, min(25, round(20 + ability * 4 + rng.gauss(0, 2))))
            rows.append((label, "KS2", "Multiplication tables check", "check", f"{score}/25",
                         _weekday(june + timedelta(days=2), 0), teacher))
        elif offset == 6:
            tests = _weekday(date(year + 1, 5, 8), 0)
            source = _STA if held_here else "Common transfer file"
            for subject in ("Reading", "Mathematics", "Grammar, punctuation and spelling"):
                scaled = max(80, min(120, round(104 + ability * 6 + rng.gauss(0, 3))))
                rows.append((label, "KS2", subject, "test", str(scaled), tests, source))
            rows.append((label, "KS2", "Writing", "teacher assessment",
                         _grade(ability + rng.gauss(0, 0.4), ("GDS", "EXS", "EXS", "WTS")), tests,
                         teacher if held_here else source))
        elif offset == 11 and held_here:
            results_day = _weekday(date(year + 1, 8, 18), 3)
            subjects = list(_GCSE_CORE) + rng.sample(_GCSE_OPTIONS, 4)
            for subject in subjects:
                grade = _grade(ability + rng.gauss(0, 0.5), ("9", "8", "7", "6", "5", "4", "3", "2", "1"))
                if subject == "Combined Science":
                    lower = str(max(1, int(grade) - rng.randint(0, 1)))
                    grade = f"{grade}-{lower}"
                rows.append((label, "KS4", subject, "exam", grade, results_day, rng.choice(_BOARDS)))
        elif offset == 13 and held_here:
            results_day = _weekday(date(year + 1, 8, 11), 3)
            for subject in rng.sample(_A_LEVELS, 3):
                grade = _grade(ability + rng.gauss(0, 0.5), ("A*", "A", "B", "C", "D", "E"))
                rows.append((label, "KS5", subject, "exam", grade, results_day, rng.choice(_BOARDS)))
    ids = ctx.ids
    return [(ids(), pupil_id, *row) for row in rows if row[5] <= data_until]
