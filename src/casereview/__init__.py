"""casereview: historic review of child sexual exploitation case records.

Ingest exports of police and local-authority systems, recognise the same people, phones,
vehicles and places across them, classify every record by one explicit typology, find
offender groups, surface missed opportunities with their evidence, run the review as an
audited workflow, and publish statistics that cannot identify a child.
"""

__version__ = "0.1.0"
