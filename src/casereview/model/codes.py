"""Code sets: every controlled vocabulary casereview uses, each member with a one-line definition.

The definitions are shown by the docs, the reports and the web app. Values are stored in the
database as the enum's string value, so a value never changes once data has been written.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

__all__ = [
    "AuditAction",
    "CodeSet",
    "ConcernFactor",
    "DecisionKind",
    "DecisionOutcome",
    "DobPrecision",
    "EthnicityGroup",
    "FindingCode",
    "IndicatorCode",
    "IngestNote",
    "LocationType",
    "MatchJudgement",
    "MentionRole",
    "ObjectKind",
    "OutcomeType",
    "QuarantineReason",
    "QuarantineScope",
    "RecordType",
    "ReviewStatus",
    "RunStatus",
    "Sex",
    "SourceKind",
    "SubjectType",
    "Typology",
    "UserRole",
    "all_code_sets",
]


class CodeSet(StrEnum):
    """A string enum whose members carry a one-line definition: `Member = ("value", "definition")`."""

    definition: str

    def __new__(cls, value: str, definition: str = "") -> CodeSet:
        member = str.__new__(cls, value)
        member._value_ = value
        member.definition = definition
        return member

    @classmethod
    def describe(cls) -> list[tuple[str, str]]:
        """Every (value, definition) pair in declaration order."""
        return [(m.value, m.definition) for m in cls]

    @classmethod
    def parse(cls, value: Any) -> CodeSet | None:
        """The member for `value` (its value or its name, any case), or None."""
        if value is None:
            return None
        text = str(value).strip()
        for member in cls:
            if text == member.value or text.lower() == member.value.lower():
                return member
            if text.upper() == member.name:
                return member
        return None


class SourceKind(CodeSet):
    """What kind of organisation a source system belongs to."""

    POLICE = ("police", "A police force system: crime, incident, custody or intelligence records")
    LOCAL_AUTHORITY = ("local_authority", "A local authority children's social care system")
    HEALTH = ("health", "An NHS or other health provider system")
    EDUCATION = ("education", "A school, college or education service system")
    OTHER = ("other", "Any other agency (voluntary sector, youth offending, housing)")


class RecordType(CodeSet):
    """What a record (an event in POLE terms) is."""

    CRIME = ("crime", "A crime report recorded under the Home Office Counting Rules")
    INCIDENT = ("incident", "A police incident that was not (or not yet) recorded as a crime")
    INTELLIGENCE = ("intelligence", "An intelligence report (e.g. a 5x5x5 / 3x5x2 log entry)")
    REFERRAL = ("referral", "A referral or contact to children's social care")
    ASSESSMENT = ("assessment", "A social care assessment (single, child and family, section 47)")
    MISSING_EPISODE = ("missing_episode", "A period when a child was reported missing or absent")
    STRATEGY_MEETING = ("strategy_meeting", "A multi-agency strategy meeting or discussion")
    ARREST = ("arrest", "An arrest or custody record")
    OTHER = ("other", "Any other kind of record")


class MentionRole(CodeSet):
    """The part a person plays in one record."""

    VICTIM = ("victim", "The person harmed, or at risk of harm, in the record")
    SUSPECT = ("suspect", "A person suspected of, arrested for or charged with an offence in it")
    WITNESS = ("witness", "A person who saw or heard something relevant")
    REPORTER = ("reporter", "The person or professional who reported or referred")
    SUBJECT = ("subject", "The subject of an intelligence report, referral or missing episode")
    ASSOCIATE = ("associate", "A person named as associating with the subject")
    PARENT_CARER = ("parent_carer", "A parent, carer or person with parental responsibility")
    OTHER = ("other", "Any other part")


class Sex(CodeSet):
    """Sex as recorded in the source."""

    FEMALE = ("female", "Recorded as female")
    MALE = ("male", "Recorded as male")
    OTHER = ("other", "Recorded as another sex or gender")
    UNKNOWN = ("unknown", "Not recorded or not known")


class EthnicityGroup(CodeSet):
    """Broad ethnic group (ONS 2021 top level). Recorded and reported on; never an input."""

    WHITE = (
        "white",
        "White: English, Welsh, Scottish, Northern Irish, British, Irish, Gypsy or Irish Traveller, Roma, any other White background",
    )
    MIXED = ("mixed", "Mixed or Multiple ethnic groups")
    ASIAN = (
        "asian",
        "Asian or Asian British: Indian, Pakistani, Bangladeshi, Chinese, any other Asian background",
    )
    BLACK = ("black", "Black, Black British, Caribbean or African")
    OTHER = ("other", "Other ethnic group, including Arab")
    NOT_STATED = ("not_stated", "Not recorded, not stated or not known")


class DobPrecision(CodeSet):
    """How much of a date of birth the source gave."""

    DAY = ("day", "A full date of birth")
    MONTH = ("month", "Month and year only")
    YEAR = ("year", "Year only")
    AGE = ("age", "An age at the event instead of a date of birth")
    NONE = ("none", "No date of birth or age")


class Typology(CodeSet):
    """How an exploitation case is organised. A record may carry several."""

    GROUP_BASED = (
        "group_based",
        "Two or more people known to or associated with one another involved in the exploitation (IICSA working definition)",
    )
    GANG_ASSOCIATED = (
        "gang_associated",
        "Exploitation linked to a street gang or its activity (e.g. county lines)",
    )
    INTRA_FAMILIAL = (
        "intra_familial",
        "The offender is a family member or lives in the child's household",
    )
    PEER_ON_PEER = ("peer_on_peer", "The offender is also under 18")
    INSTITUTIONAL = (
        "institutional",
        "The offender is linked to an institution the child attends or lives in (care home, school, club)",
    )
    ONLINE_FACILITATED = (
        "online_facilitated",
        "Contact, grooming or exploitation took place online or through online identifiers",
    )
    LONE_OFFENDER = (
        "lone_offender",
        "A single adult offender with no known associates in the exploitation",
    )
    CSE_LIKELY = (
        "cse_likely",
        "The record's evidence indicates child sexual exploitation, whatever its organisation",
    )


class ConcernFactor(CodeSet):
    """Canonical concern factors; local factor codes translate to these in a mapping."""

    CSE = ("cse", "Child sexual exploitation")
    CCE = ("cce", "Child criminal exploitation (including county lines)")
    MISSING = ("missing", "Going or being missing")
    GANGS = ("gangs", "Gangs or serious youth violence")
    TRAFFICKING = ("trafficking", "Trafficking or modern slavery")
    SEXUAL_ABUSE = ("sexual_abuse", "Sexual abuse (not exploitation)")
    SUBSTANCE_MISUSE = ("substance_misuse", "Alcohol or drug misuse by the child")
    SELF_HARM = ("self_harm", "Self-harm")
    DOMESTIC_ABUSE = ("domestic_abuse", "Domestic abuse in the household")
    NEGLECT = ("neglect", "Neglect")
    ONLINE = ("online", "Online harm or grooming")
    OTHER = ("other", "Any other factor")


class OutcomeType(CodeSet):
    """Home Office crime outcome framework (outcome types 1-22)."""

    CHARGED = ("1", "Charged/Summonsed")
    CHARGED_ALTERNATIVE = ("1A", "Charged/Summonsed - alternative offence")
    CAUTION_YOUTH = ("2", "Caution - youths")
    CAUTION_ADULT = ("3", "Caution - adults")
    TIC = ("4", "Taken into consideration")
    OFFENDER_DIED = ("5", "The offender has died")
    PND = ("6", "Penalty Notice for Disorder")
    CANNABIS_WARNING = ("7", "Cannabis/Khat warning")
    COMMUNITY_RESOLUTION = ("8", "Community Resolution")
    CPS_NOT_PUBLIC_INTEREST = ("9", "Prosecution not in the public interest (CPS)")
    POLICE_NOT_PUBLIC_INTEREST = (
        "10",
        "Formal action against the offender is not in the public interest (Police)",
    )
    UNDER_AGE = ("11", "Prosecution prevented - suspect below the age of criminal responsibility")
    SUSPECT_TOO_ILL = ("12", "Prosecution prevented - suspect too ill to prosecute")
    VICTIM_TOO_ILL = (
        "13",
        "Prosecution prevented - victim or key witness dead or too ill to give evidence",
    )
    VICTIM_DECLINES_NO_SUSPECT = (
        "14",
        "Evidential difficulties: suspect not identified; victim does not support further action",
    )
    EVIDENTIAL_DIFFICULTIES = (
        "15",
        "Evidential difficulties: suspect identified; victim supports action but evidence prevents further action",
    )
    VICTIM_DECLINES = (
        "16",
        "Evidential difficulties: suspect identified; victim does not support (or has withdrawn support from) police action",
    )
    TIME_LIMIT = ("17", "Prosecution time limit expired")
    NO_SUSPECT = ("18", "Investigation complete - no suspect identified")
    NFIB = ("19", "National Fraud Intelligence Bureau filed")
    OTHER_AGENCY = (
        "20",
        "Further action resulting from the crime report will be undertaken by another body or agency",
    )
    NOT_PUBLIC_INTEREST_FURTHER = (
        "21",
        "Further investigation to support formal action not in the public interest (Police)",
    )
    DIVERSIONARY = (
        "22",
        "Diversionary, educational or intervention activity; no further action in the public interest",
    )

    @property
    def closed_without_charge(self) -> bool:
        """True for every outcome other than a charge, caution or other sanction."""
        return self.value not in {"1", "1A", "2", "3", "4", "6", "7", "8"}


class FindingCode(CodeSet):
    """Flag-consistency findings raised by the classify stage."""

    MISSING_CSE_FLAG = (
        "missing_cse_flag",
        "The record's evidence indicates CSE and its source did not flag it",
    )
    WRONG_CSE_FLAG = (
        "wrong_cse_flag",
        "Flagged CSE where the evidence indicates something else (e.g. criminal exploitation only)",
    )
    POLICE_LA_MISMATCH = (
        "police_la_mismatch",
        "For the same child, one agency recorded a CSE concern and the other has no CSE record within the window",
    )


class IndicatorCode(CodeSet):
    """Missed-opportunity indicators raised by the review stage."""

    REPEAT_MISSING = (
        "repeat_missing",
        "A child missing three or more times in 12 months around exploitation concerns",
    )
    REPEAT_MISSING_NO_REFERRAL = (
        "repeat_missing_no_referral",
        "Repeat missing episodes with no referral to children's social care following them",
    )
    UNLINKED_REPEAT_SUSPECT = (
        "unlinked_repeat_suspect",
        "One resolved suspect named in two or more police crimes (any outcome) that were never all linked",
    )
    CLOSED_DESPITE_GROUP_LINK = (
        "closed_despite_group_link",
        "Closed (outcome 14, 15, 16 or 21) while the suspect belongs to a detected group or reappears later",
    )
    AGE_GAP_PARTNER = (
        "age_gap_partner",
        "An adult described as the partner or 'boyfriend' of a child under 16",
    )
    VICTIM_TREATED_AS_SUSPECT = (
        "victim_treated_as_suspect",
        "A child victim recorded as suspect or arrested around the time of exploitation concerns",
    )
    SHARED_OBJECT_ACROSS_VICTIMS = (
        "shared_object_across_victims",
        "A vehicle, phone or address recurring across different victims' records",
    )
    UNLINKED_INTELLIGENCE = (
        "unlinked_intelligence",
        "Intelligence naming a resolved suspect that is not linked to that suspect's crime records",
    )
    LA_CONCERN_NO_POLICE_RECORD = (
        "la_concern_no_police_record",
        "A local-authority CSE concern about a child no police record names",
    )
    POLICE_CONCERN_NO_LA_RECORD = (
        "police_concern_no_la_record",
        "A police record flagged CSE about a child no local-authority record names",
    )
    NAMED_ASSOCIATE_NOT_INVESTIGATED = (
        "named_associate_not_investigated",
        "An adult named as associate of a child in a social-care exploitation record, never a suspect in a police record about that child",
    )


class SubjectType(CodeSet):
    """What a review item, indicator or note is about."""

    RECORD = ("record", "A single source record")
    PERSON = ("person", "A resolved person")
    GROUP = ("group", "A detected offender group")


class ReviewStatus(CodeSet):
    """Where a review item stands in the workflow."""

    NEW = ("new", "Built by the review stage; nobody is working on it yet")
    ASSIGNED = ("assigned", "Allocated to a reviewer by a supervisor")
    IN_REVIEW = ("in_review", "The reviewer has started work on it")
    AWAITING_SIGN_OFF = (
        "awaiting_sign_off",
        "The reviewer has recorded a decision; a supervisor must sign it off",
    )
    CLOSED = ("closed", "The decision was signed off")
    REOPENED = ("reopened", "A closed item opened again (new evidence or a supervisor's request)")


class DecisionOutcome(CodeSet):
    """What a reviewer decided about a review item."""

    NO_FURTHER_ACTION = ("no_further_action", "No further action: the original handling stands")
    FURTHER_INVESTIGATION = (
        "further_investigation",
        "A new or missed line of enquiry to investigate",
    )
    SAFEGUARDING_REFERRAL = (
        "safeguarding_referral",
        "Refer for safeguarding: an extant risk to a child",
    )
    LINK_TO_GROUP = ("link_to_group", "Link to an offender group or an existing operation")
    REFER_OTHER_AGENCY = (
        "refer_other_agency",
        "Refer to another agency (local authority, NCA, another force)",
    )


class DecisionKind(CodeSet):
    """The kind of entry in an item's decision history."""

    DECISION = ("decision", "A reviewer's decision with its rationale")
    SIGN_OFF = ("sign_off", "A supervisor signed the decision off")
    RETURN = ("return", "A supervisor returned the decision to the reviewer")
    SECOND_REVIEW = ("second_review", "A blind second reviewer's independent decision")
    NOTE = ("note", "A note that is not a decision")


class MatchJudgement(CodeSet):
    """A human's judgement on whether two mentions are the same person."""

    SAME = ("same", "The two mentions are the same person")
    NOT_SAME = ("not_same", "The two mentions are different people; always outranks the model")
    UNSURE = ("unsure", "The reviewer cannot tell; recorded, changes nothing")


class ObjectKind(CodeSet):
    """Kinds of POLE object."""

    PHONE = ("phone", "A telephone number, in E.164 form")
    VEHICLE = ("vehicle", "A vehicle, by its registration mark (VRM)")
    ONLINE_ID = ("online_id", "An online identifier: a handle, profile name or e-mail address")


class LocationType(CodeSet):
    """What kind of place a location is."""

    RESIDENTIAL = ("residential", "A home address")
    HOTEL = ("hotel", "A hotel, B&B or short-let")
    TAKEAWAY = ("takeaway", "A takeaway or fast-food shop")
    SHISHA_BAR = ("shisha_bar", "A shisha bar or late-night venue")
    PARK = ("park", "A park or open space")
    CARE_HOME = ("care_home", "A children's home or supported accommodation")
    SCHOOL = ("school", "A school or college")
    YOUTH_CLUB = ("youth_club", "A youth club or sports club")
    VEHICLE = ("vehicle", "Inside a vehicle")
    ONLINE = ("online", "Online: no physical place")
    TRANSPORT = ("transport", "A station, bus stop or transport hub")
    OTHER = ("other", "Any other or unknown place")


class UserRole(CodeSet):
    """What a user of casereview may do."""

    REVIEWER = ("reviewer", "Reads cases of their teams and records decisions")
    SUPERVISOR = ("supervisor", "Allocates work, signs decisions off, sees their teams' workload")
    ANALYST = (
        "analyst",
        "Runs stages, reads aggregate reports, makes exports with a stated purpose",
    )
    AUDITOR = ("auditor", "Reads the audit log and verifies its chain; sees no case content")
    ADMIN = ("admin", "Manages users and teams")


class RunStatus(CodeSet):
    """State of a stage run."""

    RUNNING = ("running", "Started and not finished; its process is still at work")
    SUCCEEDED = ("succeeded", "Finished; its output is committed")
    FAILED = ("failed", "Failed; nothing of its output was committed")
    ABANDONED = (
        "abandoned",
        "Its process ended without finishing (killed, or its machine stopped); nothing of its output was committed",
    )


class QuarantineReason(CodeSet):
    """Why a source row was quarantined instead of loaded."""

    MISSING_REQUIRED = ("missing_required", "A required field is empty")
    BAD_DATE = ("bad_date", "A date matches none of the declared formats")
    BAD_NUMBER = ("bad_number", "A number or age cannot be read")
    UNKNOWN_CODE = ("unknown_code", "A code is not in the translation table and the rule is strict")
    BAD_VALUE = ("bad_value", "A value fails its normaliser (phone, postcode, vehicle mark)")
    ORPHAN = ("orphan", "A person row whose record key matches no record")
    DUPLICATE_KEY = ("duplicate_key", "The same key appears twice in one file")
    MALFORMED_ROW = ("malformed_row", "The row cannot be parsed (wrong field count, bad JSON)")
    MALFORMED_QUOTING = (
        "malformed_quoting",
        "A quote opens a CSV field that does not close on its line, in a column not declared multi-line",
    )
    BAD_ENCODING = ("bad_encoding", "The row's bytes are not text in the file's encoding")
    FIELD_TOO_LARGE = (
        "field_too_large",
        "A field or line is larger than the ingest.max_field_bytes setting",
    )


class QuarantineScope(CodeSet):
    """What a quarantine entry holds back: a whole row, or one nested item of a row that loaded."""

    ROW = ("row", "The whole source row: nothing of it was loaded")
    ITEM = (
        "item",
        "One nested item (a person of a list inside the row); the row and its other items loaded",
    )


class IngestNote(CodeSet):
    """Something an import did to a value that loaded, counted in its reconciliation line."""

    UNKNOWN_CODE = (
        "unknown_code",
        "A code not in its code table was given the table's default, or a value not in its code set was left out",
    )
    UNREADABLE_BOROUGH = (
        "unreadable_borough",
        "A borough that is not a London borough name or code: stored as NULL, the text kept in borough_raw",
    )
    VALUE_DROPPED = (
        "value_dropped",
        "An unreadable value (date, phone, postcode, ...) whose field says on_invalid: null was stored as NULL",
    )
    FUTURE_DOB = (
        "future_dob",
        "A date of birth after the day of the import (often a two-digit year read in the wrong century)",
    )
    AGE_OVER_110 = (
        "age_over_110",
        "An age at the event, or a date of birth, that makes the person older than 110",
    )
    CONTROL_CHARACTERS = (
        "control_characters",
        "A value held NUL or other control characters: they were removed (the raw row keeps them, escaped)",
    )
    LOOKUP_UNMATCHED = (
        "lookup_unmatched",
        "A row whose lookup key matched no row of the looked-up file",
    )


class AuditAction(CodeSet):
    """Operations written to the audit log (DPA 2018 s.62: collection, alteration, consultation, disclosure, combination, erasure)."""

    COLLECT = ("collect", "Data collected: a file imported")
    ALTER = ("alter", "Data altered: a record, decision, assignment or setting changed")
    CONSULT = ("consult", "Data consulted: a record, person or group viewed")
    SEARCH = ("search", "A search was run")
    DISCLOSE = ("disclose", "Data disclosed: an export or report, with purpose and recipient")
    COMBINE = ("combine", "Data combined: linkage run or a match judgement")
    ERASE = ("erase", "Data erased (metadata only)")
    STAGE_RUN = ("stage_run", "A pipeline stage ran")
    SIGN_IN = ("sign_in", "A user signed in")
    SIGN_IN_FAILED = ("sign_in_failed", "A sign-in attempt failed")
    SIGN_OUT = ("sign_out", "A user signed out")
    DENIED = ("denied", "An access was refused")
    ADMIN = ("admin", "A user or team was created, changed or disabled")
    VERIFY = ("verify", "The audit chain was verified")


def all_code_sets() -> list[type[CodeSet]]:
    """Every code set, for documentation and the web app."""
    return [cls for cls in CodeSet.__subclasses__()]
