"""Neutral, non-graphic case-note sentences for the free-text fields.

The wording carries the signals a classifier can use (older male, hotel, lifts,
gifts, county lines, found out of area) and nothing explicit. Slots are filled
from the story; no real person or place name appears.
"""

from __future__ import annotations

import random

__all__ = ["Narrator"]

_CSE_CRIME = (
    "IP ({sex}, {age}) reported missing overnight, returned stating {she} had been driven to a "
    "{venue} by an older male known as '{alias}'. Phone top-up provided by him.",
    "IP ({sex}, {age}) disclosed to school staff that {she} has been meeting older males at a "
    "{venue}. Given alcohol and cannabis. Suspect known as '{alias}' collects {her} in a car.",
    "Concern raised by carer: IP ({sex}, {age}) returning late with new clothes and a new phone, "
    "says a 'boyfriend' aged about {oage} buys them. Sexual activity disclosed. Referred to CSE team.",
    "IP ({sex}, {age}) found in a vehicle with two adult males in the early hours near a {venue}. "
    "Disclosed sexual activity with one of them. Males known to each other.",
    "Third-party report that IP ({sex}, {age}) is being taken to addresses by a group of males and "
    "introduced to their friends. IP does not wish to support police action.",
    "IP ({sex}, {age}) states she met suspect '{alias}' through a friend; he gave lifts and food "
    "at a {venue} and later expected sexual activity in return.",
)
_INTRA = (
    "IP ({sex}, {age}) disclosed to teacher that a family member ({rel}) living at the home address "
    "has been engaging in sexual activity with {her}. Strategy meeting held.",
    "Mother reports that IP ({sex}, {age}) disclosed sexual abuse by {rel}. Suspect lives in the "
    "household. Section 47 enquiry started.",
)
_PEER = (
    "IP ({sex}, {age}) reports that a boy from school ({oage}) pressured {her} into sexual "
    "activity and shared images with others.",
    "Report from school: IP ({sex}, {age}) and a {oage}-year-old peer; IP says {she} was "
    "pressured into sexual activity at a party. Images circulated on social media.",
)
_INSTITUTIONAL = (
    "IP ({sex}, {age}), resident at {venue}, disclosed that a member of staff has been giving {her} "
    "gifts and asking to meet outside work, with sexual contact. Staff member suspended.",
    "Concern raised by designated safeguarding lead at {venue}: adult ({rel}) messaging IP "
    "({sex}, {age}) late at night and arranging to meet alone. Sexual activity disclosed.",
)
_ONLINE = (
    "IP ({sex}, {age}) contacted online by user '{handle}' who claimed to be 16. Asked for images "
    "and later arranged to meet. Parents found messages.",
    "IP ({sex}, {age}) groomed via social media by adult using handle '{handle}'; sent images "
    "after gifts of phone credit. Suspect identified via account data.",
)
_CCE = (
    "IP ({sex}, {age}) arrested in {town} in possession of wraps of class A drugs and a deal "
    "line phone. Believed to be running a county line for an older male known as '{alias}'.",
    "Child ({age}) found in a trap house in {town}, reported missing from London two days "
    "earlier. Cash and drugs recovered. Older males directing him.",
    "Stop and search: IP ({sex}, {age}) in possession of cash and two phones; states he is "
    "holding them for '{alias}'. Concerns of criminal exploitation.",
)
_ARREST = (
    "Child ({age}) arrested for {offence_l} at {venue}. Appeared tired and withdrawn; known to be "
    "missing frequently. Dealt with by youth outcome.",
    "Arrested following disturbance at {venue}; {offence_l}. Staff report {she} has been going "
    "missing and returning with items {she} cannot account for.",
)
_OTHER = (
    "Victim reports {offence_l} near {venue}. Suspect described as {odesc}. Enquiries made.",
    "{offence} reported by victim. No CCTV available. Suspect left the scene.",
    "Altercation outside {venue}; {offence_l}. Parties known to each other.",
    "{offence} at home address. Parties spoken to; victim provided account.",
)
_MISSING_CSE = (
    "Reported missing by {reporter}. Returned next day, would not say where {she} had been. "
    "Seen getting into a car with older males. New phone.",
    "Missing overnight. Found at a {venue} with an adult male who left on police arrival.",
    "Missing after school. Returned with alcohol on breath; says {she} was with '{alias}'.",
)
_MISSING_CCE = (
    "Missing for three days. Located in {town} by local police at an address linked to drug supply.",
    "Missing, found at {town} railway station with another London child. Cash found.",
)
_MISSING_PLAIN = (
    "Reported missing by {reporter} after an argument at home. Returned of own accord.",
    "Did not return to placement. Found at a friend's address, safe and well.",
    "Missing after school, stayed with a relative. No concerns identified on return.",
)
_INTEL_GROUP = (
    "Information suggests '{alias}' and associates use {venue} to meet young females, some "
    "believed under 16. A vehicle (VRM {vrm}) seen collecting girls from the area.",
    "Subject known as '{alias}' believed to supply alcohol to local girls and take them to a "
    "{venue}. Phone: {phone}.",
    "Group of males including the subjects seen regularly with school-age girls at a {venue}.",
)
_INTEL_CCE = (
    "Subjects believed to run a drugs line from {town}, using local children to deliver.",
    "Subject '{alias}' recruiting children from the estate to travel to {town}.",
)
_INTEL_OTHER = (
    "Subject believed to be involved in the supply of cannabis in the area.",
    "Subject reported to be in possession of a knife when out in the area.",
    "Subject linked to thefts of mopeds in the area.",
)

# LocationType values as a case note would say them.
_VENUE_WORDS = {
    "residential": "flat",
    "shisha_bar": "shisha bar",
    "vehicle": "car park",
    "care_home": "children's home",
    "youth_club": "youth club",
    "transport": "station",
    "online": "online chat",
}

_TOWNS = (
    "Southend",
    "Margate",
    "Norwich",
    "Ipswich",
    "Reading",
    "Swindon",
    "Bournemouth",
    "Hastings",
    "Luton",
    "Chelmsford",
    "Aberystwyth",
    "Exeter",
)


class Narrator:
    """Fills the templates for one chunk's RNG."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def town(self) -> str:
        """A town outside London at the end of a county line."""
        return self._rng.choice(_TOWNS)

    def _fill(self, templates: tuple[str, ...], **slots: object) -> str:
        sex = slots.get("sex", "F")
        slots.setdefault("she", "she" if sex == "F" else "he")
        slots.setdefault("her", "her" if sex == "F" else "him")
        for key in (
            "venue",
            "alias",
            "rel",
            "handle",
            "town",
            "reporter",
            "vrm",
            "phone",
            "odesc",
            "offence",
            "offence_l",
        ):
            slots.setdefault(key, "")
        slots["venue"] = _VENUE_WORDS.get(str(slots["venue"]), slots["venue"]) or "local address"
        if not slots["alias"]:
            slots["alias"] = "J"
        if not slots["town"]:
            slots["town"] = self.town()
        slots.setdefault("oage", self._rng.randint(19, 35))
        slots.setdefault("age", 14)
        return self._rng.choice(templates).format(**slots)

    def cse_crime(self, kind: str, **slots: object) -> str:
        """Crime narrative for a CSE record of a typology."""
        table = {
            "intra": _INTRA,
            "peer": _PEER,
            "institutional": _INSTITUTIONAL,
            "online": _ONLINE,
        }.get(kind, _CSE_CRIME)
        return self._fill(table, **slots)

    def cce_crime(self, **slots: object) -> str:
        """Crime narrative for criminal exploitation."""
        return self._fill(_CCE, **slots)

    def arrest(self, **slots: object) -> str:
        """Narrative of a child victim arrested for something else."""
        return self._fill(_ARREST, **slots)

    def other_crime(self, **slots: object) -> str:
        """Narrative of an ordinary crime."""
        return self._fill(_OTHER, **slots)

    def missing(self, kind: str, **slots: object) -> str:
        """Narrative of a missing episode: cse, cce or plain."""
        table = {"cse": _MISSING_CSE, "cce": _MISSING_CCE}.get(kind, _MISSING_PLAIN)
        return self._fill(table, **slots)

    def intel(self, kind: str, **slots: object) -> str:
        """Text of an intelligence report: group, cce or other."""
        table = {"group": _INTEL_GROUP, "cce": _INTEL_CCE}.get(kind, _INTEL_OTHER)
        return self._fill(table, **slots)
