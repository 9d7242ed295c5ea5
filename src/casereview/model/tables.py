"""The canonical schema: every table casereview stores, declared once (SQLAlchemy Core).

POLE as UK policing analysts know it: Person (mentions -> persons), Object (phones, vehicles,
online identifiers), Location, Event (records). Derived tables belong to one stage each and
are replaced when that stage re-runs; human tables (judgements, review items' workflow state,
decisions, notes) refer to stable ids and survive every re-run.

Code-set columns hold the string value of an enum from `model.codes`. JSON columns hold
canonical JSON text so that they compare and hash the same on every database.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

__all__ = ["metadata"]

# Named constraints so that migrations are reproducible on every backend.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# 64-bit ids on PostgreSQL; INTEGER PRIMARY KEY (the rowid alias) on SQLite.
Id = BigInteger().with_variant(Integer(), "sqlite")
UtcTime = DateTime(timezone=True)


def _id() -> Column:
    return Column("id", Id, primary_key=True, autoincrement=True)


def _ref(name: str, target: str, *, nullable: bool = True, ondelete: str | None = None) -> Column:
    return Column(name, Id, ForeignKey(target, ondelete=ondelete), nullable=nullable)


# --------------------------------------------------------------------------- access

users = Table(
    "users",
    metadata,
    _id(),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False),
    Column("role", String(32), nullable=False),
    Column("password_hash", Text, nullable=True),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_at", UtcTime, nullable=False),
    Column("password_changed_at", UtcTime, nullable=True),
)

teams = Table(
    "teams",
    metadata,
    _id(),
    Column("name", String(100), nullable=False, unique=True),
    Column("description", Text, nullable=True),
    Column("created_at", UtcTime, nullable=False),
)

team_members = Table(
    "team_members",
    metadata,
    _ref("team_id", "teams.id", nullable=False, ondelete="CASCADE"),
    _ref("user_id", "users.id", nullable=False, ondelete="CASCADE"),
    Column("added_at", UtcTime, nullable=False),
    UniqueConstraint("team_id", "user_id"),
    Index(None, "user_id"),
)

web_sessions = Table(
    "web_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    _ref("user_id", "users.id", nullable=False, ondelete="CASCADE"),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UtcTime, nullable=False),
    Column("last_seen_at", UtcTime, nullable=False),
    Column("client", String(100), nullable=True),
    Index(None, "user_id"),
)

login_attempts = Table(
    "login_attempts",
    metadata,
    _id(),
    Column("username", String(64), nullable=False),
    Column("client", String(100), nullable=True),
    Column("at", UtcTime, nullable=False),
    Column("success", Boolean, nullable=False),
    Index(None, "username", "at"),
)

# --------------------------------------------------------------------------- accountability

audit_log = Table(
    "audit_log",
    metadata,
    # Gapless sequence assigned under a lock by store.audit, never by the database.
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("at", String(32), nullable=False),  # UTC ISO 8601, exactly as hashed
    Column("actor", String(64), nullable=False),
    Column("action", String(32), nullable=False),
    Column("object_type", String(32), nullable=True),
    Column("object_id", String(200), nullable=True),
    Column("purpose", Text, nullable=True),
    Column("recipient", Text, nullable=True),
    Column("client", String(100), nullable=True),
    Column("details", Text, nullable=False),  # canonical JSON
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index(None, "actor"),
    Index(None, "action"),
    Index(None, "object_type", "object_id"),
)

# One row (id = 1): the last sequence and hash, so that a truncated tail is detected.
audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
    CheckConstraint("id = 1", name="single_row"),
)

runs = Table(
    "runs",
    metadata,
    _id(),
    Column("stage", String(32), nullable=False),
    Column("parameters", Text, nullable=False),  # JSON
    Column("software_version", String(32), nullable=False),
    Column("counts", Text, nullable=True),  # JSON
    Column("status", String(16), nullable=False),
    Column("error", Text, nullable=True),
    Column("started_by", String(64), nullable=True),
    Column("started_at", UtcTime, nullable=False),
    Column("finished_at", UtcTime, nullable=True),
    # The process that runs it (JSON: host, pid, process start time), so that a run whose
    # process was killed is recognised as abandoned instead of shown running forever.
    Column("owner", Text, nullable=True),
    Index(None, "stage", "started_at"),
)

run_artifacts = Table(
    "run_artifacts",
    metadata,
    _ref("run_id", "runs.id", nullable=False, ondelete="CASCADE"),
    Column("name", String(100), nullable=False),
    Column("content", Text, nullable=False),
    UniqueConstraint("run_id", "name"),
)

# --------------------------------------------------------------------------- collection

sources = Table(
    "sources",
    metadata,
    _id(),
    Column("name", String(100), nullable=False, unique=True),
    Column("kind", String(32), nullable=False),
    Column("description", Text, nullable=True),
    Column("created_at", UtcTime, nullable=False),
)

imports = Table(
    "imports",
    metadata,
    _id(),
    _ref("source_id", "sources.id", nullable=False),
    Column("file_name", String(500), nullable=False),
    Column("file_role", String(100), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("mapping_name", String(200), nullable=False),
    Column("mapping_sha256", String(64), nullable=False),
    # sha256 of what derives this file's rows: the mapping's normalised content for the file
    # and the bytes of the files it looks up ("" for imports made before it was recorded).
    # An import is identified by the file's bytes and this digest.
    Column("mapping_digest", String(64), nullable=False, server_default=""),
    Column("rows_read", Integer, nullable=False),
    Column("rows_loaded", Integer, nullable=False),
    Column("rows_quarantined", Integer, nullable=False),
    # records and mentions held from earlier imports of the file role that this one no longer has
    Column("rows_withdrawn", Integer, nullable=False, server_default="0"),
    Column("notes", Text, nullable=False, server_default="{}"),  # JSON: IngestNote -> count
    Column("imported_by", String(64), nullable=False),
    Column("started_at", UtcTime, nullable=False),
    Column("finished_at", UtcTime, nullable=False),
    UniqueConstraint("source_id", "sha256", "mapping_digest"),
)

quarantine = Table(
    "quarantine",
    metadata,
    _id(),
    _ref("import_id", "imports.id", nullable=False, ondelete="CASCADE"),
    _ref("source_id", "sources.id", nullable=False),
    Column("file_name", String(500), nullable=False),
    Column("row_number", Integer, nullable=False),
    Column("field", String(200), nullable=True),
    Column("reason", String(32), nullable=False),
    Column("message", Text, nullable=False),
    Column("raw", Text, nullable=False),  # JSON of the source row as read
    # QuarantineScope: the whole row, or one nested item of a row that loaded
    Column("scope", String(8), nullable=False, server_default="row"),
    Index(None, "import_id"),
    Index(None, "reason"),
)

records = Table(
    "records",
    metadata,
    _id(),
    _ref("source_id", "sources.id", nullable=False),
    Column("source_ref", String(200), nullable=False),
    Column("record_type", String(32), nullable=False),
    Column("occurred_at", Date, nullable=True),
    Column("occurred_to", Date, nullable=True),
    Column("recorded_at", Date, nullable=True),
    Column("closed_at", Date, nullable=True),
    Column("borough", String(64), nullable=True),
    Column("borough_raw", String(200), nullable=True),
    Column("cse_flag", Boolean, nullable=True),  # the source's own CSE flag; NULL when absent
    Column("source_flags", Text, nullable=False, default="{}"),  # JSON: flags as written
    Column("factors", Text, nullable=False, default="[]"),  # JSON list of ConcernFactor
    Column("offence", Text, nullable=True),
    Column("outcome_raw", String(200), nullable=True),
    Column("outcome", String(8), nullable=True),  # OutcomeType value
    Column("referral_made", Boolean, nullable=True),
    Column("narrative", Text, nullable=True),
    Column("raw", Text, nullable=False),  # JSON of the source row(s)
    Column("content_hash", String(64), nullable=False),
    _ref("import_id", "imports.id", nullable=False),
    Column("updated_at", UtcTime, nullable=False),
    # Set when a later full export of its file no longer has the record (kept, not deleted);
    # cleared when an export has it again.
    Column("withdrawn_at", UtcTime, nullable=True),
    _ref("withdrawn_import_id", "imports.id"),
    UniqueConstraint("source_id", "source_ref"),
    Index(None, "record_type"),
    Index(None, "occurred_at"),
    Index(None, "borough"),
)

# Links the source system itself made between its records (e.g. a crime's "linked refs",
# an intelligence report's linked crime). `to_record_id` is filled when the target is loaded.
record_links = Table(
    "record_links",
    metadata,
    _id(),
    _ref("record_id", "records.id", nullable=False, ondelete="CASCADE"),
    Column("to_source_ref", String(200), nullable=False),
    _ref("to_record_id", "records.id", ondelete="SET NULL"),
    Column("link_type", String(64), nullable=True),
    UniqueConstraint("record_id", "to_source_ref"),
    Index(None, "to_source_ref"),
)

mentions = Table(
    "mentions",
    metadata,
    _id(),
    _ref("record_id", "records.id", nullable=False, ondelete="CASCADE"),
    _ref("source_id", "sources.id", nullable=False),
    Column("mention_key", String(200), nullable=False),
    Column("role", String(32), nullable=False),
    Column("forenames", String(200), nullable=True),
    Column("surname", String(200), nullable=True),
    Column("name_raw", String(400), nullable=True),
    Column("aliases", Text, nullable=False, default="[]"),  # JSON list
    Column("dob", Date, nullable=True),
    Column("dob_raw", String(100), nullable=True),
    Column("dob_precision", String(8), nullable=False, default="none"),
    Column("age_at_event", Integer, nullable=True),
    Column("sex", String(16), nullable=True),
    Column("ethnicity_raw", String(100), nullable=True),  # recorded and reported; never an input
    Column("ethnicity", String(16), nullable=True),
    Column("nationality", String(100), nullable=True),
    Column("relationship", String(100), nullable=True),  # to the victim or subject, as written
    Column("address", Text, nullable=True),
    Column("postcode", String(16), nullable=True),
    Column("phones", Text, nullable=False, default="[]"),  # JSON list of E.164
    # JSON object: identifier scheme (pnc, cro, nhs, ...) -> value, canonical JSON
    Column("identifiers", Text, nullable=False, default="{}", server_default="{}"),
    Column("raw", Text, nullable=False),
    Column("content_hash", String(64), nullable=False),
    # The import that last wrote it (NULL for mentions written before this was recorded)
    _ref("import_id", "imports.id"),
    Column("withdrawn_at", UtcTime, nullable=True),  # as records.withdrawn_at
    UniqueConstraint("source_id", "mention_key"),
    Index(None, "record_id"),
    Index(None, "role"),
    Index(None, "surname"),
    Index(None, "postcode"),
)

objects = Table(
    "objects",
    metadata,
    _id(),
    Column("kind", String(16), nullable=False),
    Column("value", String(200), nullable=False),  # normalised: E.164, VRM, lower-case handle
    UniqueConstraint("kind", "value"),
)

record_objects = Table(
    "record_objects",
    metadata,
    _id(),
    _ref("record_id", "records.id", nullable=False, ondelete="CASCADE"),
    _ref("object_id", "objects.id", nullable=False),
    _ref("mention_id", "mentions.id", ondelete="CASCADE"),
    Column("relation", String(64), nullable=True),
    Column("raw_value", String(200), nullable=True),
    UniqueConstraint("record_id", "object_id", "mention_id"),
    Index(None, "object_id"),
)

locations = Table(
    "locations",
    metadata,
    _id(),
    Column("location_key", String(400), nullable=False, unique=True),  # postcode|address key
    Column("location_type", String(32), nullable=True),
    Column("address", Text, nullable=True),
    Column("postcode", String(16), nullable=True),
    Column("borough", String(64), nullable=True),
    # Set by the link stage: locations judged to be one place share a place id.
    Column("place_id", Id, nullable=True),
    Index(None, "postcode"),
    Index(None, "place_id"),
)

record_locations = Table(
    "record_locations",
    metadata,
    _id(),
    _ref("record_id", "records.id", nullable=False, ondelete="CASCADE"),
    _ref("location_id", "locations.id", nullable=False),
    _ref("mention_id", "mentions.id", ondelete="CASCADE"),
    Column("relation", String(64), nullable=True),  # e.g. incident_location, home_address
    Column("raw_value", Text, nullable=True),
    UniqueConstraint("record_id", "location_id", "mention_id", "relation"),
    Index(None, "location_id"),
)

# --------------------------------------------------------------------------- link (derived + human)

persons = Table(
    "persons",
    metadata,
    # Stable across re-linking: a new cluster reuses the id of the old one it overlaps most.
    Column("id", Id, primary_key=True, autoincrement=False),
    Column("display_name", String(400), nullable=True),
    Column("mention_count", Integer, nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    _ref("first_run_id", "runs.id"),
    _ref("last_run_id", "runs.id"),
)

mention_person = Table(
    "mention_person",
    metadata,
    _ref("mention_id", "mentions.id", nullable=False, ondelete="CASCADE"),
    _ref("person_id", "persons.id", nullable=False),
    Column("match_probability", Float, nullable=True),
    Column("match_weight", Float, nullable=True),
    _ref("run_id", "runs.id", nullable=False),
    # JSON list: the value shown beside each comparison's bar in the explanations of the
    # mention's scored pairs (link.explain.compared_values); NULL when it is in none.
    Column("compared", Text, nullable=True),
    UniqueConstraint("mention_id"),
    Index(None, "person_id"),
)

# What became of earlier person ids (kept, split, merged, retired) at each link run.
person_lineage = Table(
    "person_lineage",
    metadata,
    _id(),
    _ref("run_id", "runs.id", nullable=False),
    Column("old_person_id", Id, nullable=False),
    Column("new_person_id", Id, nullable=True),
    Column("change", String(16), nullable=False),
    Column("overlap", Integer, nullable=False),
    Index(None, "old_person_id"),
    Index(None, "new_person_id"),
)

# Scored pairs of the last link run (within clusters and near misses), for explanations.
match_pairs = Table(
    "match_pairs",
    metadata,
    _ref("mention_a_id", "mentions.id", nullable=False, ondelete="CASCADE"),
    _ref("mention_b_id", "mentions.id", nullable=False, ondelete="CASCADE"),
    Column("match_weight", Float, nullable=False),
    Column("match_probability", Float, nullable=False),
    # Each comparison's level (and term-frequency adjustment), read against the run's
    # explanation legend (link.explain.pair_levels, render).
    Column("levels", Text, nullable=True),
    # The whole explanation as JSON, for pairs stored before migration 0009; NULL since.
    Column("comparison", Text, nullable=True),
    _ref("run_id", "runs.id", nullable=False),
    UniqueConstraint("mention_a_id", "mention_b_id"),
    Index(None, "mention_b_id"),
)

match_judgements = Table(
    "match_judgements",
    metadata,
    _id(),
    _ref("mention_a_id", "mentions.id", nullable=False, ondelete="CASCADE"),
    _ref("mention_b_id", "mentions.id", nullable=False, ondelete="CASCADE"),
    Column("judgement", String(16), nullable=False),
    _ref("user_id", "users.id", nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_at", UtcTime, nullable=False),
    Column("revoked_at", UtcTime, nullable=True),
    _ref("revoked_by", "users.id"),
    Index(None, "mention_a_id", "mention_b_id"),
)

# --------------------------------------------------------------------------- classify (derived)

classifications = Table(
    "classifications",
    metadata,
    _id(),
    _ref("record_id", "records.id", nullable=False, ondelete="CASCADE"),
    Column("label", String(32), nullable=False),  # Typology value
    Column("strength", Float, nullable=False),
    Column("rule_ids", Text, nullable=False),  # JSON list
    Column("evidence", Text, nullable=False),  # JSON
    Column("rules_version", String(32), nullable=False),
    _ref("run_id", "runs.id", nullable=False),
    UniqueConstraint("record_id", "label"),
    Index(None, "label"),
)

flag_findings = Table(
    "flag_findings",
    metadata,
    _id(),
    _ref("record_id", "records.id", nullable=False, ondelete="CASCADE"),
    Column("code", String(32), nullable=False),  # FindingCode value
    Column("person_id", Id, nullable=True),
    Column("evidence", Text, nullable=False),
    Column("rules_version", String(32), nullable=False),
    _ref("run_id", "runs.id", nullable=False),
    UniqueConstraint("record_id", "code"),
    Index(None, "code"),
)

# --------------------------------------------------------------------------- network (derived)

groups = Table(
    "groups",
    metadata,
    # Stable like person ids: a new group reuses the id of the old group it overlaps most.
    Column("id", Id, primary_key=True, autoincrement=False),
    Column("size", Integer, nullable=False),
    Column("victim_count", Integer, nullable=False),
    Column("record_count", Integer, nullable=False),
    Column("first_seen", Date, nullable=True),
    Column("last_seen", Date, nullable=True),
    Column("boroughs", Text, nullable=False),  # JSON list
    Column("stable", Boolean, nullable=True),
    Column("stability", Float, nullable=True),
    Column("source_linked", Float, nullable=True),  # share of its record pairs the sources linked
    Column("summary", Text, nullable=False),  # JSON: places, objects, edges
    Column("active", Boolean, nullable=False, default=True),
    _ref("run_id", "runs.id", nullable=False),
)

group_members = Table(
    "group_members",
    metadata,
    _ref("group_id", "groups.id", nullable=False, ondelete="CASCADE"),
    _ref("person_id", "persons.id", nullable=False),
    Column("role", String(16), nullable=False),  # offender | victim | associate
    Column("degree", Float, nullable=True),
    Column("betweenness", Float, nullable=True),
    Column("eigenvector", Float, nullable=True),
    UniqueConstraint("group_id", "person_id", "role"),
    Index(None, "person_id"),
)

# --------------------------------------------------------------------------- review

indicators = Table(
    "indicators",
    metadata,
    _id(),
    Column("code", String(40), nullable=False),  # IndicatorCode value
    Column("subject_type", String(16), nullable=False),
    Column("subject_id", Id, nullable=False),
    _ref("record_id", "records.id", ondelete="CASCADE"),
    Column("person_id", Id, nullable=True),
    Column("group_id", Id, nullable=True),
    Column("evidence", Text, nullable=False),
    _ref("run_id", "runs.id", nullable=False),
    UniqueConstraint("code", "subject_type", "subject_id"),
    Index(None, "record_id"),
    Index(None, "subject_type", "subject_id"),  # the codes of a page of queue items
)

review_items = Table(
    "review_items",
    metadata,
    _id(),
    Column("subject_type", String(16), nullable=False),  # record | group
    Column("subject_id", Id, nullable=False),  # records.id (stable) or groups.id (stable)
    _ref("team_id", "teams.id"),
    Column("status", String(24), nullable=False),
    _ref("assigned_to", "users.id"),
    Column("priority", Float, nullable=False),
    Column("score_breakdown", Text, nullable=False),  # JSON: contribution of each indicator
    Column("evidence_hash", String(64), nullable=False),
    Column("needs_another_look", Boolean, nullable=False, default=False),
    Column("second_review", Boolean, nullable=False, default=False),
    _ref("second_reviewer", "users.id"),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UtcTime, nullable=False),
    Column("updated_at", UtcTime, nullable=False),
    UniqueConstraint("subject_type", "subject_id"),
    Index(None, "status"),
    Index(None, "team_id"),
    Index(None, "assigned_to"),
    Index(None, "priority"),
    # access checks (store/access.py): does one of these teams hold an item for this subject?
    Index(None, "team_id", "subject_type", "subject_id"),
)

decisions = Table(
    "decisions",
    metadata,
    _id(),
    _ref("review_item_id", "review_items.id", nullable=False),
    Column("kind", String(16), nullable=False),  # DecisionKind value
    Column("outcome", String(32), nullable=True),  # DecisionOutcome value
    Column("rationale", Text, nullable=False),
    _ref("user_id", "users.id", nullable=False),
    Column("created_at", UtcTime, nullable=False),
    Index(None, "review_item_id"),
)

notes = Table(
    "notes",
    metadata,
    _id(),
    Column("subject_type", String(16), nullable=False),
    Column("subject_id", Id, nullable=False),
    _ref("user_id", "users.id", nullable=False),
    Column("text", Text, nullable=False),
    Column("created_at", UtcTime, nullable=False),
    Index(None, "subject_type", "subject_id"),
)

# --------------------------------------------------------------------------- security

# Secrets of the store's statistical disclosure control: the cell-key secret (name "cell_key")
# from which every published count's perturbation is drawn, made once by migration 0005 and
# never changed, so that the same cell is perturbed alike in every release.
disclosure_keys = Table(
    "disclosure_keys",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("secret", String(128), nullable=False),
    Column("created_at", UtcTime, nullable=False),
)

# Command-line sign-ins (`casereview login`): only the SHA-256 of the token is stored; the
# token itself lives in the user's 0600 token file or CASEREVIEW_TOKEN.
cli_tokens = Table(
    "cli_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    _ref("user_id", "users.id", nullable=False, ondelete="CASCADE"),
    Column("os_user", String(64), nullable=False),
    Column("created_at", UtcTime, nullable=False),
    Column("expires_at", UtcTime, nullable=False),
    Column("revoked_at", UtcTime, nullable=True),
    Index(None, "user_id"),
)

# --------------------------------------------------------------------------- analyst (human-facing)

# Where each node of a link chart was placed (chart key "group:ID" or "person:ID", node id
# "person:ID", "record:ID", ...): kept so that a chart keeps its layout on every load and after
# re-runs; a node once placed is never moved. Holds ids and coordinates only.
chart_layouts = Table(
    "chart_layouts",
    metadata,
    Column("chart_key", String(64), primary_key=True),
    Column("node_id", String(64), primary_key=True),
    Column("x", Float, nullable=False),
    Column("y", Float, nullable=False),
    Column("placed_at", UtcTime, nullable=False),
)
