"""The true world's building blocks: people, the records about them, and who appears where.

These objects hold the truth (the real person behind every mention, the real
typology of every record). Rendering adds noise when they are written out; the
truth writers read them directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from casereview.synth.geo import Place

__all__ = ["Mention", "Person", "Record", "age_at"]

# Sources, as named in truth files.
MET_CRIME = "met_crime"
MET_INTEL = "met_intel"
LA_CSC = "la_csc"
MET_MISSING = "met_missing"
SOURCES = (MET_CRIME, MET_INTEL, LA_CSC, MET_MISSING)


def age_at(birth: date, when: date) -> int:
    """Age in whole years on a day."""
    return when.year - birth.year - ((when.month, when.day) < (birth.month, birth.day))


@dataclass(slots=True)
class Person:
    """A true person. `kind` is the truth label (child, adult_offender, family ...)."""

    pid: str
    kind: str
    sex: str  # "F" or "M"
    birth: date
    given: str
    family: str
    origin: str
    ethnicity: str  # self-defined 16+1 code
    homes: list[tuple[date, Place]]  # (from, place), sorted by date
    phones: list[tuple[date, str]] = field(default_factory=list)  # (from, canonical 07...)
    alias: str = ""  # street name, offenders only
    handle: str = ""  # online handle
    vehicle: str = ""  # canonical VRM of a car they use
    middle: str = (
        ""  # middle names or patronymic, space-separated ("Mohamed" in Idris Mohamed Mohamud)
    )
    middle_usual: bool = False  # whether records usually write the middle names (patronymic names)
    household: str = ""  # truth: children, their parents and siblings at one address share it
    pnc: str = ""  # Police National Computer id, for people the police have arrested before

    def home_at(self, when: date) -> Place:
        """The address the person lived at on a day."""
        current = self.homes[0][1]
        for start, place in self.homes:
            if start <= when:
                current = place
        return current

    def previous_home(self, when: date) -> Place | None:
        """The address before the current one on a day, if any (for stale addresses)."""
        earlier = [place for start, place in self.homes if start <= when]
        return earlier[-2] if len(earlier) >= 2 else None

    def phone_at(self, when: date) -> str:
        """The phone number in use on a day, or empty."""
        current = ""
        for start, number in self.phones:
            if start <= when:
                current = number
        return current or (self.phones[0][1] if self.phones else "")


@dataclass(slots=True)
class Mention:
    """A person as they appear in one record, with their part in it.

    `phone` and `vrm` are what the record shows (already decided, canonical
    form): the failure detector needs to know which objects a reader can see.
    """

    person: Person
    role: str  # crime: V S W R; intel: subject; la: child / associate; missing: child
    relationship: str = ""  # to the victim or child, as the source writes it
    phone: str = ""
    vrm: str = ""
    arrested: bool = False


@dataclass(slots=True)
class Record:
    """One event in one source, with the truth about it."""

    source: str
    ref: str
    when: datetime
    borough: int
    is_cse: bool
    typology: tuple[str, ...] = ()
    group_id: str = ""
    mentions: list[Mention] = field(default_factory=list)
    narrative: str = ""
    place: Place | None = None
    # police crime
    offence: str = ""
    recorded: date | None = None
    cse_flag: str = ""  # Y, N or empty, as exported
    outcome: str = ""  # OutcomeType value, empty while under investigation
    linked: list[str] = field(default_factory=list)
    cce: bool = False  # truth: a criminal-exploitation (county lines) crime
    # intelligence
    grading: str = ""
    vehicles: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    places: list[str] = field(default_factory=list)
    handles: list[str] = field(default_factory=list)
    # social care
    factors: list[str] = field(default_factory=list)  # local factor codes
    cse_concern: bool = False
    la_kind: str = ""  # referral or assessment
    la_outcome: str = ""
    referrer: str = ""
    # missing episode
    returned: datetime | None = None
    found_at: str = ""
    risk: str = ""
    referral_made: str = ""  # Y, N or empty

    def of_role(self, *roles: str) -> list[Person]:
        """People in the record with one of these roles, in mention order."""
        return [m.person for m in self.mentions if m.role in roles]
