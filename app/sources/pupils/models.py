"""Pupil records as a school MIS holds them."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, CreatedAt, EncryptedText, UUIDPrimaryKey, str_enum


class Pupil(UUIDPrimaryKey, CreatedAt, Base):
    __tablename__ = "pupils"
    __table_args__ = (
        Index("ix_pupils_org_surname_key_dob", "organisation_id", "surname_key", "date_of_birth"),
        Index("ix_pupils_surname_key_dob", "surname_key", "date_of_birth"),
        Index("ix_pupils_forename_key_dob", "forename_key", "date_of_birth"),
        # Identity search: everyone born on a day within the organisations,
        # among whom typos and preferred or swapped names are scored.
        Index("ix_pupils_org_dob", "organisation_id", "date_of_birth"),
    )

    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    upn: Mapped[str] = mapped_column(String(13), index=True)
    former_upn: Mapped[str | None] = mapped_column(String(13), index=True)
    legal_forename: Mapped[str] = mapped_column(String(100))
    middle_names: Mapped[str | None] = mapped_column(String(200))
    legal_surname: Mapped[str] = mapped_column(String(100))
    preferred_forename: Mapped[str | None] = mapped_column(String(100))
    preferred_surname: Mapped[str | None] = mapped_column(String(100))
    # Normalised keys (app.sources.names.name_key) for index lookups.
    surname_key: Mapped[str] = mapped_column(String(100))
    forename_key: Mapped[str] = mapped_column(String(100))
    date_of_birth: Mapped[date]
    # DfE census gender codes: M, F (and U for not known).
    gender: Mapped[str] = mapped_column(String(1))
    address_line1: Mapped[str | None] = mapped_column(String(200))
    address_line2: Mapped[str | None] = mapped_column(String(200))
    town: Mapped[str | None] = mapped_column(String(100))
    postcode: Mapped[str | None] = mapped_column(String(10), index=True)
    # DfE ethnicity and first-language codes (e.g. WBRI, ENG).
    ethnicity: Mapped[str | None] = mapped_column(String(4))
    first_language: Mapped[str | None] = mapped_column(String(4))
    fsm_eligible: Mapped[bool] = mapped_column(default=False)
    # Set by the retention sweeper; identifying fields are blanked then.
    anonymised_at: Mapped[date | None]

    enrolments: Mapped[list[Enrolment]] = relationship(
        back_populates="pupil", order_by="Enrolment.on_roll_date"
    )


class Enrolment(UUIDPrimaryKey, Base):
    __tablename__ = "enrolments"
    __table_args__ = (
        CheckConstraint("leaving_date IS NULL OR leaving_date >= on_roll_date", name="dates_ordered"),
    )

    pupil_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pupils.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    on_roll_date: Mapped[date]
    leaving_date: Mapped[date | None] = mapped_column(index=True)
    # National curriculum year: N1, N2, R, 1..13.
    year_group: Mapped[str] = mapped_column(String(3))
    leaving_reason: Mapped[str | None] = mapped_column(String(100))

    pupil: Mapped[Pupil] = relationship(back_populates="enrolments")


class Session(enum.StrEnum):
    AM = "AM"
    PM = "PM"


# The DfE attendance and absence codes in force from August 2024.
ATTENDANCE_CODES: dict[str, str] = {
    "/": "Present (AM)",
    "\\": "Present (PM)",
    "L": "Late, arrived before the register closed",
    "K": "Attending education provision arranged by the local authority",
    "V": "Attending an educational visit or trip",
    "P": "Participating in a supervised sporting activity",
    "W": "Attending work experience",
    "B": "Attending any other approved educational activity",
    "D": "Dual registered, at another school",
    "C1": "Leave of absence: regulated performance or employment abroad",
    "M": "Leave of absence: medical or dental appointment",
    "J1": "Leave of absence: interview",
    "S": "Leave of absence: study leave",
    "X": "Not required to attend (non-compulsory school age)",
    "C2": "Leave of absence: part-time timetable",
    "C": "Leave of absence: exceptional circumstances",
    "T": "Parent travelling for occupational purposes",
    "R": "Religious observance",
    "I": "Illness",
    "E": "Suspended or permanently excluded",
    "Y1": "Unable to attend: transport not provided",
    "Y2": "Unable to attend: widespread travel disruption",
    "Y3": "Unable to attend: part of the school premises closed",
    "Y4": "Unable to attend: whole school site unexpectedly closed",
    "Y5": "Unable to attend: criminal justice detention",
    "Y6": "Unable to attend: public health guidance or law",
    "Y7": "Unable to attend: any other unavoidable cause",
    "G": "Holiday not granted by the school",
    "N": "Reason for absence not yet provided",
    "O": "Absent in other or unknown circumstances",
    "U": "Arrived after the register closed",
    "Z": "Prospective pupil not on the admission register",
    "#": "Planned whole-school closure",
}

SLOT_WIDTH = 2
SESSIONS_PER_WEEK = 10  # Monday AM .. Friday PM
_NO_SESSION = "  "


@dataclass(frozen=True)
class AttendanceMark:
    date: date
    session: Session
    code: str

    @property
    def meaning(self) -> str:
        return ATTENDANCE_CODES[self.code]


def encode_week(marks: dict[tuple[int, Session], str]) -> str:
    """Pack ``{(weekday 0-4, session): code}`` into the stored slot string."""
    slots = [_NO_SESSION] * SESSIONS_PER_WEEK
    for (weekday, session), code in marks.items():
        if code not in ATTENDANCE_CODES:
            raise ValueError(f"attendance code: {code!r} is not a DfE attendance code")
        if not 0 <= weekday <= 4:
            raise ValueError(f"attendance date: weekday {weekday} is not a school day")
        slots[weekday * 2 + (session is Session.PM)] = code.ljust(SLOT_WIDTH)
    return "".join(slots)


class AttendanceWeek(Base):
    """One register week of one pupil: ten session slots, Monday AM to Friday PM.

    Marks are stored a week to a row, two characters a session, rather than a
    row per mark: a school year of marks for a million pupils is 380 million
    marks, which as separate rows costs tens of gigabytes of heap and index;
    a week to a row is a tenth of the rows and of the index, and it is the
    shape registers are read in. ``marks()`` gives the individual marks back.
    """

    __tablename__ = "attendance_weeks"

    pupil_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pupils.id", ondelete="CASCADE"), primary_key=True)
    week_start: Mapped[date] = mapped_column(primary_key=True)
    slots: Mapped[str] = mapped_column(String(SESSIONS_PER_WEEK * SLOT_WIDTH))

    def marks(self) -> list[AttendanceMark]:
        found = []
        for index in range(SESSIONS_PER_WEEK):
            code = self.slots[index * SLOT_WIDTH : (index + 1) * SLOT_WIDTH].rstrip()
            if code:
                found.append(
                    AttendanceMark(
                        date=self.week_start + timedelta(days=index // 2),
                        session=Session.PM if index % 2 else Session.AM,
                        code=code,
                    )
                )
        return found


class Assessment(UUIDPrimaryKey, Base):
    __tablename__ = "assessments"

    pupil_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pupils.id", ondelete="CASCADE"), index=True)
    academic_year: Mapped[str] = mapped_column(String(9))  # e.g. 2025/2026
    key_stage: Mapped[str] = mapped_column(String(4))  # EYFS, KS1, KS2, KS3, KS4
    subject: Mapped[str] = mapped_column(String(60))
    method: Mapped[str] = mapped_column(String(30))  # teacher assessment, test, check
    result: Mapped[str] = mapped_column(String(30))
    assessed_on: Mapped[date]
    recorded_by: Mapped[str | None] = mapped_column(String(200))


class SendProvision(enum.StrEnum):
    SEN_SUPPORT = "K"
    EHC_PLAN = "E"


class SendRecord(UUIDPrimaryKey, Base):
    __tablename__ = "send_records"
    __table_args__ = (CheckConstraint("end_date IS NULL OR end_date >= start_date", name="dates_ordered"),)

    pupil_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pupils.id", ondelete="CASCADE"), index=True)
    provision: Mapped[SendProvision] = mapped_column(str_enum(SendProvision, "send_provision", 1))
    # DfE primary need codes: SPLD, MLD, SLD, PMLD, SEMH, SLCN, HI, VI, MSI, PD, ASD, OTH.
    primary_need: Mapped[str] = mapped_column(String(4))
    start_date: Mapped[date]
    end_date: Mapped[date | None]
    review_date: Mapped[date | None]
    # Health and needs narrative: special-category data, sealed at rest.
    notes: Mapped[str | None] = mapped_column(EncryptedText("send_records.notes"))
