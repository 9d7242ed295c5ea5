"""One typed settings object, read once: defaults, then a TOML config file, then `CASEREVIEW_*`.

The config file is `casereview.toml` in the working directory, or the file named by
`CASEREVIEW_CONFIG`. Nested sections use `__` in environment variables, e.g.
`CASEREVIEW_LINK__MATCH_WEIGHT_THRESHOLD=8`. Every field has a description, which
`casereview config show` prints beside its current value.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, field_validator
from pydantic import ValidationError as PydanticValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from casereview.errors import ConfigError

__all__ = ["Settings", "get_settings", "iter_settings", "reset_settings"]

DEFAULT_CONFIG_FILE = "casereview.toml"


class Section(BaseModel):
    """A settings section: unknown keys are errors."""

    model_config = {"extra": "forbid"}


class StoreSettings(Section):
    sqlite_busy_timeout_s: float = Field(
        30.0, description="Seconds a SQLite writer waits for another writer before failing"
    )
    sqlite_page_size: int = Field(
        16384,
        description="Page size in bytes of a new SQLite store (a power of two from 512 to 65536); a store keeps the size it was created with. Larger pages make bulk loads and whole-table reads faster, single-row look-ups a little slower",
    )

    @field_validator("sqlite_page_size")
    @classmethod
    def _power_of_two(cls, value: int) -> int:
        if not 512 <= value <= 65536 or value & (value - 1):
            raise ValueError("must be a power of two from 512 to 65536")
        return value


class IngestSettings(Section):
    chunk_rows: int = Field(5000, description="Rows read and validated per chunk while importing")
    chunk_bytes: int = Field(
        8 * 1024**2,
        description="A chunk ends early once its rows hold about this many bytes, so that memory stays flat however large the fields",
    )
    chunk_seconds: float = Field(
        300.0,
        description="Time budget of a chunk, reading and writing each: a chunk that takes longer stops the file (nothing of it is stored); 0 = no budget",
    )
    max_field_bytes: int = Field(
        16 * 1024**2,
        description="Largest field (CSV) or line (JSON lines): a larger one quarantines its row (field_too_large) and the file goes on",
    )
    parallel_min_rows: int = Field(
        100_000,
        description="Files of about this many rows or more are read and validated in a forked child process while the main process writes (two cores); 0 = never",
    )
    parallel_max_busy_cores: float = Field(
        0.5,
        description="The two-core pipeline is used only while other processes keep at most this many of our cores busy (measured as the file is hashed), so that it has a second core to itself; negative = do not check",
    )
    max_file_bytes: int = Field(2 * 1024**3, description="Largest input file accepted, in bytes")
    max_xlsx_uncompressed_bytes: int = Field(
        512 * 1024**2,
        description="Largest total uncompressed size of an XLSX archive (zip-bomb guard)",
    )
    max_xlsx_compression_ratio: float = Field(
        200.0,
        description="Largest uncompressed/compressed ratio of an XLSX member (zip-bomb guard)",
    )


class LinkSettings(Section):
    match_weight_threshold: float = Field(
        7.0, description="Clusters join mentions whose pairwise match weight is at least this"
    )
    strict_match_weight_threshold: float = Field(
        12.0, description="Stricter threshold used to test group stability under uncertain links"
    )
    max_block_size: int = Field(
        300,
        description="Blocking keys shared by more mentions than this are skipped (skewed-block guard)",
    )
    u_max_pairs: float = Field(
        5e6, description="Random pairs sampled to estimate the u probabilities (no labels), at most"
    )
    u_pairs_per_mention: int = Field(
        50,
        description="Random pairs for u per mention trained on (at least 250,000, at most u_max_pairs): "
        "enough to see an identifier agree by chance about 50 times",
    )
    em_record_sample_proportion: float = Field(
        1.0,
        description="Share of mentions sampled for each expectation-maximisation pass (lower it above a few million mentions)",
    )
    random_seed: int = Field(
        42, description="Seed of the random sampling for u, for repeatable runs"
    )
    train_sample_size: int = Field(
        150_000,
        description="Above this many mentions the model is trained on a random sample of this many (then scores every mention); 0 = always all",
    )
    block_cap_reference_mentions: int = Field(
        50_000,
        description="Above this many mentions max_block_size shrinks with the square root of the size (comparisons grow linearly); 0 = fixed cap",
    )
    duckdb_memory_limit: str = Field(
        "1600MB",
        description="DuckDB's memory limit for linkage (it spills to disk beyond it; 1600MB keeps a 1M-mention run under 4 GiB in all)",
    )
    near_miss_margin: float = Field(
        3.0,
        description="Scored pairs this far below the threshold are kept for explanations as near misses",
    )
    context_max_weight: float = Field(
        12.0,
        description="Record context (both named in one record; their records name a person in common) moves a pair's match weight by at most this much either way",
    )
    context_random_pairs: int = Field(
        2_000_000,
        description="Random pairs of mentions sampled to estimate how often record context agrees by chance (its u)",
    )
    compare_addresses: bool = Field(
        False,
        description="Compare normalised addresses (street number, then similar address text) as evidence",
    )
    one_to_one_sources: bool = Field(
        False,
        description="Two sources, each listing a person at most once (FEBRL4-like): link each mention to at most one of the other source, none of its own",
    )
    spark_master: str = Field(
        "local[2]",
        description="Spark master for `link --engine spark`: local[N] (in this process) or the URL of a standalone cluster, spark://HOST:PORT",
    )
    spark_driver_memory: str = Field(
        "2g", description="Memory of the Spark driver (this process) for `link --engine spark`"
    )
    spark_executor_memory: str = Field(
        "1g",
        description="Memory of each Spark executor on a cluster's workers for `link --engine spark`",
    )
    spark_staging_dir: str | None = Field(
        None,
        description="Folder where `link --engine spark` writes the mentions as Parquet files for Spark to read (a private folder is made inside it and removed afterwards); on a cluster of several machines, shared storage every executor can read. Default: the system's temporary folder",
    )


class ClassifySettings(Section):
    police_la_window_days: int = Field(
        365, description="Window in days for matching police and local-authority CSE records"
    )
    cse_threshold: float = Field(
        0.5, description="Strength (0-1) of the CSE evidence at which a record is cse_likely"
    )
    context_days_before: int = Field(
        60,
        description="A record without suspects (missing episode, referral) takes the labels "
        "of its child's CSE records that follow it by up to this many days",
    )
    context_days_after: int = Field(
        120,
        description="... or that precede it by up to this many days",
    )
    subject_context_days: int = Field(
        730,
        description="An intelligence report takes online_facilitated from its subject's "
        "online CSE records within this many days (T-CTX-03)",
    )
    flag_record_types: list[str] = Field(
        default_factory=lambda: ["crime", "incident", "referral", "assessment"],
        description="Record types whose source CSE flag is checked for missing or wrong flags",
    )


class NetworkSettings(Section):
    max_place_degree: int = Field(
        25, description="Places or objects shared by more persons than this do not tie suspects"
    )
    weight_co_offending: float = Field(
        3.0, description="Tie weight of two suspects named together in a CSE record"
    )
    weight_shared_victim: float = Field(
        2.0, description="Tie weight of two suspects of CSE records about the same victim"
    )
    weight_named_in_intelligence: float = Field(
        2.0, description="Tie weight of two subjects named together in CSE intelligence"
    )
    weight_shared_object: float = Field(
        1.0, description="Tie weight of two suspects sharing a phone, vehicle or online id"
    )
    weight_shared_place: float = Field(
        1.0, description="Tie weight of two suspects whose CSE records share a place"
    )
    weight_shared_nickname: float = Field(
        1.0, description="Tie weight of two suspects written with the same nickname (alias)"
    )
    weight_same_name: float = Field(
        2.0,
        description="Tie weight of two persons written with the same full name and no "
        "disagreeing year of birth (one man split by linkage); names held by more than three "
        "persons tie nobody",
    )
    min_tie_weight: float = Field(
        2.0, description="Suspects are tied only when their summed edge weights reach this"
    )
    max_component_size: int = Field(
        15, description="Components with more offenders than this are split with Leiden"
    )
    leiden_resolution: float = Field(
        0.1, description="Resolution of the Leiden (CPM) split of large components"
    )
    seed: int = Field(7, description="Seed of the Leiden split (deterministic)")
    stable_jaccard: float = Field(
        0.5,
        description="A group is stable when its offenders' best Jaccard under strict links "
        "reaches this",
    )


class ReviewSettings(Section):
    repeat_missing_count: int = Field(3, description="Missing episodes that make 'repeat missing'")
    repeat_missing_window_days: int = Field(365, description="Window for repeat missing, in days")
    cce_offence_words: list[str] = Field(
        default_factory=lambda: [
            "criminal exploitation",
            "supply of class a",
            "intent to supply class a",
            "county lines",
        ],
        description="repeat_missing: a suspect in a police crime whose offence contains one of these (any case) has criminal-exploitation concerns (county lines)",
    )
    referral_grace_days: int = Field(
        30,
        description="A local-authority record this many days after a repeat missing episode still counts as the referral that followed it",
    )
    child_age_below: int = Field(18, description="A person younger than this is a child")
    partner_age_below: int = Field(
        16, description="age_gap_partner: the child is younger than this and the partner an adult"
    )
    partner_words: list[str] = Field(
        default_factory=lambda: ["boyfriend", "girlfriend", "partner", "ex-partner"],
        description="age_gap_partner: relationship words (as written, any case) that describe a partner",
    )
    victim_suspect_window_days: int = Field(
        180,
        description="victim_treated_as_suspect: days between the child's exploitation record and the record naming them suspect",
    )
    group_closure_outcomes: list[str] = Field(
        default_factory=lambda: ["14", "15", "16", "21"],
        description="closed_despite_group_link: Home Office outcome types that count as closed",
    )
    shared_object_min_victims: int = Field(
        2,
        description="shared_object_across_victims: distinct victims a vehicle, phone or place must recur across",
    )
    indicator_weights: dict[str, float] = Field(
        default_factory=lambda: {
            "repeat_missing": 6.5,
            "repeat_missing_no_referral": 8.0,
            "unlinked_repeat_suspect": 7.0,
            "closed_despite_group_link": 7.0,
            "age_gap_partner": 8.0,
            "victim_treated_as_suspect": 10.0,
            "shared_object_across_victims": 6.0,
            "unlinked_intelligence": 6.0,
            "la_concern_no_police_record": 9.0,
            "police_concern_no_la_record": 5.0,
            "named_associate_not_investigated": 5.0,
        },
        description="Triage: priority points for each missed-opportunity indicator an item carries "
        "(each above the most a record's flag findings and cse_likely can add, 4.5 by default, "
        "so a missed opportunity always outranks a recording error alone; repeat missing 6.5, "
        "above a 5-point indicator with any cse_likely strength)",
    )
    repeat_indicator_factor: float = Field(
        0.1,
        description="Triage: share of its weight an indicator counts for when the same missed opportunity (code and person) already counts in full on another item (its group's, or the record ranked highest)",
    )
    finding_weights: dict[str, float] = Field(
        default_factory=lambda: {
            "missing_cse_flag": 2.0,
            "police_la_mismatch": 1.0,
            "wrong_cse_flag": 0.5,
        },
        description="Triage: priority points for each flag finding of the classify stage",
    )
    cse_likely_weight: float = Field(
        1.0, description="Triage: points per unit of the record's cse_likely strength (0-1)"
    )
    default_team: str | None = Field(
        None,
        description="Team (by name) that new review items go to; none: unallocated until a supervisor allocates them",
    )
    team_by_borough: dict[str, str] = Field(
        default_factory=dict,
        description="Team (by name) for new items by the record's (or group's first) borough; wins over default_team",
    )
    second_review_share: float = Field(
        0.1, description="Share of closed items drawn for blind second review"
    )


class ReportSettings(Section):
    suppress_below: int = Field(10, description="Counts below this are suppressed in publications")
    round_to: int = Field(5, description="Published counts are rounded to a multiple of this")


class WebSettings(Section):
    host: str = Field("127.0.0.1", description="Address the web app listens on")
    port: int = Field(8000, description="Port the web app listens on")
    session_idle_minutes: int = Field(30, description="A session ends after this idle time")
    session_absolute_hours: int = Field(10, description="A session ends this long after sign-in")
    login_max_failures: int = Field(
        5,
        description="Failed sign-ins per username and client address before each further attempt is delayed (1 s, doubling); a client address with 4 times this many failures in the window, over any usernames, is throttled",
    )
    login_window_minutes: int = Field(
        15, description="Window for counting a client address's failed sign-ins"
    )
    login_max_delay_seconds: float = Field(
        900.0,
        gt=0,
        description="Longest delay between sign-in attempts of one username from one client address (`casereview users unlock` clears it)",
    )
    secure_cookies: bool = Field(
        False, description="Mark cookies Secure (set true whenever served over TLS)"
    )
    forwarded_allow_ips: list[str] = Field(
        default_factory=list,
        description="Proxies (addresses or networks, '*' for any) whose X-Forwarded-For and X-Forwarded-Proto are believed; default none: the peer address is the client",
    )
    max_body_bytes: int = Field(
        1024 * 1024,
        ge=1024,
        description="Largest request body accepted; a larger one is answered 413 before it is read",
    )
    access_log: bool = Field(
        False,
        description="Log one JSON line per request (method, path without query string, status, time, correlation id; no client address or user) to the casereview.access logger",
    )
    write_wait_s: float = Field(
        2.0,
        gt=0,
        description="Seconds a web request waits for the database write lock before answering 503 with Retry-After",
    )
    audit_queue_max_age_s: float = Field(
        60.0,
        gt=0,
        description="Audit entries of page views that wait for the write lock are queued; once the oldest has waited this long, further page views are answered 503 until the queue drains",
    )


class Settings(BaseSettings):
    """Every setting of casereview."""

    model_config = SettingsConfigDict(
        env_prefix="CASEREVIEW_", env_nested_delimiter="__", extra="forbid"
    )

    database_url: str = Field(
        "sqlite:///casereview.db",
        description="SQLAlchemy URL of the store (SQLite file or postgresql+psycopg://...)",
    )
    user: str = Field(
        default_factory=lambda: os.environ.get("USER") or "cli",
        description="Name recorded in the audit log for command-line work",
    )
    store: StoreSettings = Field(default_factory=StoreSettings, description="Database options")
    ingest: IngestSettings = Field(default_factory=IngestSettings, description="Import options")
    link: LinkSettings = Field(default_factory=LinkSettings, description="Entity resolution")
    classify: ClassifySettings = Field(default_factory=ClassifySettings, description="Typology")
    network: NetworkSettings = Field(default_factory=NetworkSettings, description="Groups")
    review: ReviewSettings = Field(default_factory=ReviewSettings, description="Indicators")
    report: ReportSettings = Field(default_factory=ReportSettings, description="Publication")
    web: WebSettings = Field(default_factory=WebSettings, description="Web application")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        config = Path(os.environ.get("CASEREVIEW_CONFIG", DEFAULT_CONFIG_FILE))
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if config.is_file():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=config))
        return tuple(sources)


@lru_cache(maxsize=1)
def _load() -> Settings:
    try:
        return Settings()
    except PydanticValidationError as e:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in e.errors()
        )
        raise ConfigError(f"invalid settings: {problems}") from e
    except (OSError, ValueError) as e:
        raise ConfigError(f"cannot read settings: {e}") from e


def get_settings(**overrides: Any) -> Settings:
    """The settings, read once; `overrides` (e.g. database_url from `--database`) win."""
    base = _load()
    return base.model_copy(update=overrides) if overrides else base


def reset_settings() -> None:
    """Forget the cached settings (tests and the CLI's callback change the environment)."""
    _load.cache_clear()


def iter_settings(model: BaseModel, prefix: str = "") -> list[tuple[str, Any, str]]:
    """(dotted name, current value, description) for every leaf setting."""
    rows: list[tuple[str, Any, str]] = []
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        dotted = f"{prefix}{name}"
        if isinstance(value, BaseModel):
            rows.extend(iter_settings(value, dotted + "."))
        else:
            rows.append((dotted, value, field.description or ""))
    return rows
