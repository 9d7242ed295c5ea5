"""The Splink model of person mentions: settings, unsupervised training, scoring.

One model, two backends: DuckDB in-process (default) and Spark (`engine_name="spark"`,
pyspark imported only then). The data is deduplicated as one frame (`dedupe_only`) with a
`source` column rather than linked source by source (`link_and_dedupe`): the same child
appears many times within one system as well as across systems, every pair is wanted
whichever sources the two mentions come from, and one frame keeps the global mention id as
Splink's unique id for any number of sources.

Parameters are estimated without labels: u by random sampling, m by expectation
maximisation on two blocking rules (each trains the comparisons it does not block on), and
the prior from deterministic rules with an assumed recall.
"""

from __future__ import annotations

import itertools
import json
import logging
import math
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from casereview.errors import LinkageError
from casereview.link.frame import (
    BLOCKING_KEYS,
    LIST_KEYS,
    NARROWINGS,
    bare_blocking_columns,
    blocking_columns,
    list_blocking_columns,
)

if TYPE_CHECKING:
    from casereview.settings import LinkSettings

log = logging.getLogger(__name__)

# The prior the model starts from, and keeps where the data cannot estimate one.
DEFAULT_PRIOR = 1e-4

__all__ = [
    "ScoredPairs",
    "TrainedModel",
    "comparison_names",
    "context_comparison",
    "linker_for",
    "model_settings",
    "open_backend",
    "predictions_as_pandas",
    "score_frame",
    "train",
    "training_sample",
    "u_pairs",
]

Progress = Callable[[str], None]


def _cl() -> Any:
    import splink.comparison_level_library as cll

    return cll


def _crossed_similar_level_class() -> Any:
    from splink.internals.comparison_level_creator import ComparisonLevelCreator

    class CrossedSimilarLevel(ComparisonLevelCreator):
        """The name similar (Jaro-Winkler >= 0.92) to the other mention's name in the other
        field: the order swapped and a letter slipped ("Emeka Adeyemi" / "ADEYEMI Emkea")."""

        def __init__(self, col: str, other: str) -> None:
            self.col, self.other = col, other

        def create_sql(self, sql_dialect: Any) -> str:
            jw = sql_dialect.jaro_winkler_function_name
            c, o = self.col, self.other
            return f"{jw}({c}_l, {o}_r) >= 0.92 OR {jw}({c}_r, {o}_l) >= 0.92"

        def create_label_for_charts(self) -> str:
            return "Similar to the name in the other field (order swapped, misspelt)"

    return CrossedSimilarLevel


def _crossed_similar_level(col: str, other: str) -> Any:
    """`col` similar to the other mention's `other` (see `CrossedSimilarLevel`)."""
    return _crossed_similar_level_class()(col, other)


# A slipped letter is read as a slip only in names this long: in a four-letter name one
# letter off is another name far more often than a slip (Mark / Mary, Hall / Hill).
SLIP_MIN_LETTERS = 5
# Two names one edit apart and both SLIP_MIN_LETTERS long have a Jaro similarity of at least
# 0.866 (one letter mistyped in a five-letter name): the cheap Jaro-Winkler test goes first,
# so the edit distance is worked out only for names alike at all.
_SLIP_SIMILARITY = 0.85


def _one_slip_level_class() -> Any:
    from splink.internals.comparison_level_creator import ComparisonLevelCreator

    class OneSlipLevel(ComparisonLevelCreator):
        """One letter slipped (dropped, doubled, mistyped or swapped with its neighbour:
        Damerau-Levenshtein 1) in two names of `SLIP_MIN_LETTERS` letters or more
        ("Sharma" / "Sjarma", "Daniel" / "Dainel"). Its own level, so that EM weighs a slip
        apart from two names merely alike ("Daniel" / "Danielle", two letters)."""

        def __init__(self, col: str) -> None:
            self.col = col

        def create_sql(self, sql_dialect: Any) -> str:
            # Damerau-Levenshtein <= 1 is Levenshtein <= 1 (a letter dropped, added or
            # mistyped) or two neighbours swapped, which only names of one length can be and
            # which Levenshtein counts as 2. Damerau-Levenshtein is asked only then: on DuckDB
            # it costs about eight times Levenshtein, and at a million mentions it ran on
            # millions of pairs of alike names (the same truth value for every pair; a length
            # difference of 2 or more is ruled out first, at no cost).
            jw = sql_dialect.jaro_winkler_function_name
            lev = sql_dialect.levenshtein_function_name
            dl = sql_dialect.damerau_levenshtein_function_name
            c = self.col
            left, right = f"length({c}_l)", f"length({c}_r)"
            return (
                f"{left} >= {SLIP_MIN_LETTERS} AND {right} >= {SLIP_MIN_LETTERS} "
                f"AND abs({left} - {right}) <= 1 "
                f"AND {jw}({c}_l, {c}_r) >= {_SLIP_SIMILARITY} "
                f"AND ({lev}({c}_l, {c}_r) <= 1 OR ({left} = {right} "
                f"AND {lev}({c}_l, {c}_r) = 2 AND {dl}({c}_l, {c}_r) <= 1))"
            )

        def create_label_for_charts(self) -> str:
            return "One letter slipped (dropped, doubled, mistyped or two swapped)"

    return OneSlipLevel


def _one_slip_level(col: str) -> Any:
    """`col` one slipped letter apart in two long names (see `OneSlipLevel`)."""
    return _one_slip_level_class()(col)


def _shared_level_class() -> Any:
    from splink.internals.comparison_level_library import ArrayIntersectLevel

    class SharedElementLevel(ArrayIntersectLevel):
        """Splink's `ArrayIntersectLevel` asked on DuckDB without building a list per pair
        (`list_intersect` does), with the same truth value for every pair (NULL lists and
        NULL elements alike; a NULL answer where Splink's is false, which a level reads
        alike). Other dialects get Splink's own SQL.

        - At least one element in common: two one-element lists (nine in ten forename keys,
          surname parts and phones) compare their elements, others `list_has_any`.
        - At least two in common: two two-element lists (nine in ten name words) hold two
          in common only as the same two distinct elements, in either order; others
          `list_intersect`. At a million mentions these levels are asked of ten million
          pairs or more each, and answer in half the time."""

        def create_sql(self, sql_dialect: Any) -> str:
            if sql_dialect.sql_dialect_str != "duckdb" or self.min_intersection not in (1, 2):
                return str(super().create_sql(sql_dialect))
            self.col_expression.sql_dialect = sql_dialect
            a, b = self.col_expression.name_l, self.col_expression.name_r
            if self.min_intersection == 1:
                return (
                    f"CASE WHEN len({a}) = 1 AND len({b}) = 1 THEN {a}[1] = {b}[1] "
                    f"ELSE list_has_any({a}, {b}) END"
                )
            return (
                f"CASE WHEN len({a}) = 2 AND len({b}) = 2 THEN {a}[1] <> {a}[2] "
                f"AND (({a}[1] = {b}[1] AND {a}[2] = {b}[2]) "
                f"OR ({a}[1] = {b}[2] AND {a}[2] = {b}[1])) "
                f"ELSE array_length(list_intersect({a}, {b})) >= 2 END"
            )

    return SharedElementLevel


def _shared_level(col: str, least: int = 1) -> Any:
    """At least `least` (1 or 2) distinct elements of the list column `col` in common
    (`SharedElementLevel`)."""
    return _shared_level_class()(col, least)


def _name_comparison(prefix: str, *, forename: bool) -> Any:
    """Forename or surname levels: exact, equivalent (nickname/variant), similar, swapped."""
    import splink.comparison_library as cl

    cll = _cl()
    col = "forename1" if forename else "surname"
    std = "forename_std" if forename else "surname_std"
    other = "surname_std" if forename else "forename_std"
    levels: list[Any] = [
        cll.NullLevel(col),
        cll.ExactMatchLevel(col, term_frequency_adjustments=True),
    ]
    if forename:
        levels.append(
            _shared_level("forename_keys").configure(
                tf_adjustment_column=col, label_for_charts="Nickname or spelling variant"
            )
        )
    else:
        levels.append(
            cll.CustomLevel(f"{std}_l = {std}_r", "Spelling variant").configure(
                tf_adjustment_column=col
            )
        )
        levels.append(
            _shared_level("surname_parts").configure(
                label_for_charts="Shares part of a compound surname"
            )
        )
        levels.append(
            _shared_level("name_words", 2).configure(
                label_for_charts="Two name words in common (a middle name or patronymic "
                "added or dropped)"
            )
        )
    levels.append(_one_slip_level(col))
    levels.append(cll.JaroWinklerLevel(col, 0.92))
    # A one-word name (a child known as "Thomas", written as the surname) against the full
    # name it belongs to: the one name agrees, as an exact match of that field would, and is
    # not the weaker evidence of two full names crossed over (its own level, its own m).
    missing = "surname" if forename else "forename1"
    levels.append(
        cll.CustomLevel(
            f"({missing}_l IS NULL AND {std}_l = {other}_r) "
            f"OR ({missing}_r IS NULL AND {std}_r = {other}_l)",
            "The only name given, written in the other name field",
        )
    )
    levels.append(
        cll.CustomLevel(
            f"{std}_l = {other}_r OR {std}_r = {other}_l", "Written in the other name field"
        )
    )
    levels.append(_crossed_similar_level(col, "surname" if forename else "forename1"))
    levels.append(
        cll.CustomLevel(
            f"(length({col}_l) = 1 OR length({col}_r) = 1) "
            f"AND substr({col}_l, 1, 1) = substr({col}_r, 1, 1)",
            "Initial matches",
        )
    )
    levels.append(cll.JaroWinklerLevel(col, 0.80))
    levels.append(cll.ElseLevel())
    return cl.CustomComparison(levels, output_column_name=prefix)


def context_comparison() -> Any:
    """Record context (casereview.link.context): both named in one record, their records
    name a person in common, else; no value when either record names nobody else."""
    import splink.comparison_library as cl

    cll = _cl()
    return cl.CustomComparison(
        [
            cll.CustomLevel(
                "(context_l IS NULL OR context_r IS NULL) "
                "AND (record_id_l IS NULL OR record_id_r IS NULL "
                "OR record_id_l <> record_id_r)"
            ).configure(is_null_level=True),
            cll.CustomLevel("record_id_l = record_id_r", "Both named in one record"),
            cll.ArrayIntersectLevel("context", 1).configure(
                label_for_charts="Records name a person in common"
            ),
            cll.ElseLevel(),
        ],
        output_column_name="context",
    )


# Birth years this far apart or more are not one person's date written twice. The levels
# beyond have fixed weights, not trained ones: EM on blocks of one name would learn them from
# fathers and sons who share one and make them mild, and a trained u would make them depend
# on the ages in the data.
FAR_APART_YEARS = 5
# A generation apart (a parent and a child: a father and a son of one name) weighs -12; far
# apart but not a generation (5 to 14 years, or over 50: no parent and child, and siblings
# never share a forename) is more often a date re-keyed or mistyped, -8 (the floor of a
# trained level).
GENERATION_YEARS = (15, 50)
GENERATION_WEIGHT = -12.0
NOT_A_GENERATION_WEIGHT = -8.0
# Far apart, but the two mentions share an ordinary (not strong) identifier of one scheme:
# among pairs sharing one, a different person's date is far apart about 85% of the time and
# the same person's only when it was re-keyed (a few in a hundred), about -4. The identifier
# comparison counts the identifier itself.
REKEYED_WEIGHT = -4.0


def _fixed_weight(level: Any, weight: float, label: str) -> Any:
    """`level` with m and u fixed so that it always weighs `weight` (log2 m/u)."""
    u = 0.5
    return level.configure(
        m_probability=u * 2.0**weight,
        u_probability=u,
        fix_m_probability=True,
        fix_u_probability=True,
        label_for_charts=label,
    )


def _dob_comparison() -> Any:
    """Dates of birth, graded from exact to far apart (see docs/linkage.md)."""
    import splink.comparison_library as cl

    cll = _cl()
    full = "dob_l IS NOT NULL AND dob_r IS NOT NULL"
    same_year = "substr(dob_l, 1, 4) = substr(dob_r, 1, 4)"
    far = FAR_APART_YEARS - 1
    young, old = GENERATION_YEARS
    levels = [
        cll.CustomLevel("yob_lo_l IS NULL OR yob_lo_r IS NULL").configure(is_null_level=True),
        cll.CustomLevel("dob_l = dob_r", "Same date of birth"),
        cll.CustomLevel(
            f"{same_year} "
            "AND substr(dob_l, 6, 2) = substr(dob_r, 9, 2) "
            "AND substr(dob_l, 9, 2) = substr(dob_r, 6, 2)",
            "Day and month swapped",
        ),
        # A year of birth alone written as 1 January (01/01/2008) against the full date.
        cll.CustomLevel(
            f"{full} AND {same_year} "
            "AND (substr(dob_l, 6, 5) = '01-01' OR substr(dob_r, 6, 5) = '01-01')",
            "1 January (a year written as a date) against a full date",
        ),
        cll.CustomLevel("dob_ym_l = dob_ym_r", "Same month and year"),
        cll.CustomLevel(
            f"{full} AND substr(dob_l, 6, 5) = substr(dob_r, 6, 5)", "Same day, year differs"
        ),
        cll.CustomLevel(
            "(dob_l IS NULL OR dob_r IS NULL) AND yob_lo_l <= yob_hi_r AND yob_lo_r <= yob_hi_l",
            "Year only (or age), years compatible",
        ),
        cll.CustomLevel(
            "yob_lo_l <= yob_hi_r AND yob_lo_r <= yob_hi_l", "Same year, day and month differ"
        ),
        cll.CustomLevel(
            "yob_lo_l <= yob_hi_r + 1 AND yob_lo_r <= yob_hi_l + 1", "Birth years one apart"
        ),
        cll.CustomLevel(
            f"yob_lo_l <= yob_hi_r + {far} AND yob_lo_r <= yob_hi_l + {far}",
            f"Birth years 2 to {far} apart",
        ),
        # Evidence, not a milder weight, separates a re-keyed date of birth from a father
        # and son of one name: the son never carries his father's identifier (a social
        # security or reference number of one scheme), the same person re-keyed does.
        _fixed_weight(
            cll.CustomLevel("identifier_l = identifier_r AND id_scheme_l = id_scheme_r"),
            REKEYED_WEIGHT,
            f"Birth years {FAR_APART_YEARS} or more apart, same identifier (a date re-keyed)",
        ),
        _fixed_weight(
            cll.CustomLevel(
                f"yob_lo_l - yob_hi_r BETWEEN {young} AND {old} "
                f"OR yob_lo_r - yob_hi_l BETWEEN {young} AND {old}"
            ),
            GENERATION_WEIGHT,
            f"Birth years {young} to {old} apart (a generation)",
        ),
        _fixed_weight(
            cll.ElseLevel(),
            NOT_A_GENERATION_WEIGHT,
            f"Birth years {FAR_APART_YEARS} to {young - 1} or over {old} apart",
        ),
    ]
    return cl.CustomComparison(levels, output_column_name="dob")


def borough_comparison(*, postcodes: bool = False) -> Any:
    """The boroughs of the two mentions' records: the same, else (NULL when either record
    gives none). A child's missing episodes are reported from the borough she lives in,
    her referrals come from its council and the crimes against her mostly happen near
    home, so two records of one person sit in one borough far more often than two records
    of two people (one in about 30 for London's boroughs). Trained like the others; it is
    what tells two missing episodes of one child, written by name alone, from two
    children of one name.

    With `postcodes` (the postcode comparison is made) the borough says nothing of a pair
    whose two mentions both give a postcode: the postcode comparison weighs the borough
    there (`_postcode_comparison`). Counted in both, one move (another postcode in another
    borough) was penalised twice and one address (the same postcode, so the same borough)
    rewarded twice: the two are one piece of evidence, not two independent ones."""
    import splink.comparison_library as cl

    cll = _cl()
    null: Any = cll.NullLevel("borough")
    if postcodes:
        null = cll.CustomLevel(
            f"borough_l IS NULL OR borough_r IS NULL OR ({_BOTH_POSTCODES})"
        ).configure(is_null_level=True)
    return cl.CustomComparison(
        [null, cll.ExactMatchLevel("borough"), cll.ElseLevel()],
        output_column_name="borough",
    )


_BOTH_POSTCODES = "postcode_l IS NOT NULL AND postcode_r IS NOT NULL"


def _postcode_comparison(*, boroughs: bool) -> Any:
    """Postcodes: exact (TF), same district, two mistypings of a postcode without a district,
    else. With `boroughs` (the frame has a borough column), two different postcodes in one
    borough of record have a level of their own: a person who moved within the borough, or
    whose crime was recorded near home, against one who moved away (`borough_comparison`)."""
    import splink.comparison_library as cl

    cll = _cl()
    levels = [
        cll.NullLevel("postcode"),
        cll.ExactMatchLevel("postcode", term_frequency_adjustments=True),
        cll.CustomLevel("postcode_district_l = postcode_district_r", "Same postcode district"),
        # Mistyped postcodes without a district (not UK-shaped: a UK one that differs inside
        # its district is the level above): one character wrong, or two swapped (2134 /
        # 2143). The district test comes first, so the string distances are not computed for
        # UK pairs (millions at scale).
        cll.CustomLevel(
            f"{_NO_DISTRICT} AND levenshtein(postcode_l, postcode_r) <= 1",
            "One character differs",
        ),
        cll.CustomLevel(
            f"{_NO_DISTRICT} AND jaro_winkler_similarity(postcode_l, postcode_r) >= 0.9",
            "Similar (characters swapped)",
        ),
    ]
    if boroughs:
        levels.append(
            cll.CustomLevel("borough_l = borough_r", "Other postcode in the same borough of record")
        )
    levels.append(cll.ElseLevel())
    return cl.CustomComparison(levels, output_column_name="postcode")


# The weight of one strong identifier in common (fixed, never trained): with the prior of
# about -14 it links two mentions that share nothing else, and a date of birth far apart
# (about -20) still outweighs it.
STRONG_ID_WEIGHT = 30.0


def strong_identifier_comparison() -> Any:
    """Identifiers the mapping declares strong (`strong_identifiers`): the same value is the
    same person (a fixed weight); a different value says nothing (a child who moves council
    gets a new child id)."""
    import splink.comparison_library as cl

    cll = _cl()
    u = 2.0**-STRONG_ID_WEIGHT
    return cl.CustomComparison(
        [
            cll.NullLevel("strong_id"),
            cll.ExactMatchLevel("strong_id").configure(
                m_probability=1.0,
                u_probability=u,
                fix_m_probability=True,
                fix_u_probability=True,
                label_for_charts="Same strong identifier",
            ),
            cll.ElseLevel().configure(
                m_probability=0.5,
                u_probability=0.5,
                fix_m_probability=True,
                fix_u_probability=True,
                label_for_charts="Different strong identifier (says nothing)",
            ),
        ],
        output_column_name="strong_id",
    )


_NO_DISTRICT = "(postcode_district_l IS NULL OR postcode_district_r IS NULL)"


def model_settings(frame: pd.DataFrame | None = None, *, addresses: bool = False) -> Any:
    """The Splink settings: comparisons for the evidence present in `frame` (all when None)."""
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    def present(col: str) -> bool:
        return frame is None or bool(frame[col].notna().any())

    comparisons: list[Any] = [
        _name_comparison("forename", forename=True),
        _name_comparison("surname", forename=False),
        _dob_comparison(),
    ]
    if present("sex"):
        comparisons.append(cl.ExactMatch("sex"))
    boroughs = frame is None or "borough" in frame.columns
    if present("postcode"):
        comparisons.append(_postcode_comparison(boroughs=boroughs))
    if present("phones"):
        cll = _cl()
        comparisons.append(
            cl.CustomComparison(
                [cll.NullLevel("phones"), _shared_level("phones"), cll.ElseLevel()],
                output_column_name="phones",
            )
        )
    if frame is not None and "borough" in frame.columns and present("borough"):
        comparisons.append(borough_comparison(postcodes=present("postcode")))
    if frame is not None and "context" in frame.columns and present("context"):
        comparisons.append(context_comparison())
    if addresses and present("address"):
        cll = _cl()
        comparisons.append(
            cl.CustomComparison(
                [
                    cll.NullLevel("address"),
                    cll.ExactMatchLevel("address"),
                    cll.CustomLevel(
                        "street_number_l = street_number_r "
                        "AND jaro_winkler_similarity(address_l, address_r) >= 0.9",
                        "Same number, similar address",
                    ),
                    cll.JaroWinklerLevel("address", 0.9),
                    cll.ExactMatchLevel("street_number"),
                    cll.ElseLevel(),
                ],
                output_column_name="address",
            )
        )
    if present("identifier"):
        cll = _cl()
        comparisons.append(
            cl.CustomComparison(
                [
                    # Identifiers of different schemes (a PNC ID and an NHS number) say nothing.
                    cll.CustomLevel(
                        "identifier_l IS NULL OR identifier_r IS NULL OR id_scheme_l <> id_scheme_r"
                    ).configure(is_null_level=True),
                    cll.ExactMatchLevel("identifier"),
                    # Levenshtein, not Damerau-Levenshtein: a transposition costs 2 and is
                    # still caught, and DuckDB's Damerau-Levenshtein is about 8x slower.
                    cll.LevenshteinLevel("identifier", 2).configure(
                        label_for_charts="Same scheme, up to two characters differ"
                    ),
                    cll.ElseLevel(),
                ],
                output_column_name="identifier",
            )
        )
    if present("strong_id"):
        comparisons.append(strong_identifier_comparison())
    keys = list(BLOCKING_KEYS) if frame is None else blocking_columns(frame)
    rules: list[Any] = [block_on(key) for key in keys]
    for bare, big in [] if frame is None else bare_blocking_columns(frame):
        rules.append(f"l.{bare} = r.{big}")
        rules.append(f"l.{big} = r.{bare}")
    # List-valued keys come last: Splink excludes the pairs of earlier rules from an
    # exploded rule's pairs, but not the other way round.
    for key in list(LIST_KEYS) if frame is None else list_blocking_columns(frame):
        rules.append(block_on(key, arrays_to_explode=[key]))
    creator = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=rules,
        retain_matching_columns=True,
        retain_intermediate_calculation_columns=True,
        additional_columns_to_retain=["source"],
        probability_two_random_records_match=DEFAULT_PRIOR,
        em_convergence=0.001,
        max_iterations=20,
    )
    return creator


def comparison_names(settings: dict[str, Any]) -> list[str]:
    """The output column names of the model's comparisons, in order."""
    return [c["output_column_name"] for c in settings["comparisons"]]


def backend_for(engine_name: str, link: LinkSettings) -> AbstractContextManager[Any]:
    """`open_backend` with the linkage settings' memory limit and Spark master."""
    return open_backend(
        engine_name,
        memory_limit=link.duckdb_memory_limit,
        spark_master=link.spark_master,
        spark_driver_memory=link.spark_driver_memory,
        spark_executor_memory=link.spark_executor_memory,
        spark_staging_dir=link.spark_staging_dir,
    )


@contextmanager
def open_backend(
    engine_name: str,
    *,
    memory_limit: str = "1600MB",
    spark_master: str = "local[2]",
    spark_driver_memory: str = "2g",
    spark_executor_memory: str = "1g",
    spark_staging_dir: str | None = None,
) -> Iterator[Any]:
    """A Splink database API for `engine_name` ("duckdb" or "spark"), closed at the end.
    DuckDB: two threads, `memory_limit` (it spills beyond it), no insertion order kept.
    Spark: a session on `spark_master` (local[N], or spark://HOST:PORT for a standalone
    cluster, whose executors run this interpreter's Python on the workers)."""
    if engine_name == "duckdb":
        import duckdb
        from splink import DuckDBAPI

        # DuckDB spills beyond its memory limit; the spill holds personal data, so it goes to a
        # private folder (mode 0700) that is removed afterwards, never to the working folder.
        spill = tempfile.mkdtemp(prefix="casereview-duckdb-")
        con = duckdb.connect(":memory:")
        con.execute("SET threads TO 2")
        con.execute(f"SET memory_limit = '{memory_limit}'")
        con.execute(f"SET temp_directory = '{spill}'")
        con.execute("SET preserve_insertion_order = false")
        try:
            yield DuckDBAPI(connection=con)
        finally:
            con.close()
            shutil.rmtree(spill, ignore_errors=True)
        return
    if engine_name == "spark":
        try:
            from pyspark.sql import SparkSession
        except ImportError as e:
            raise LinkageError(
                "--engine spark needs pyspark: pip install 'casereview[spark]'"
            ) from e
        from splink import SparkAPI
        from splink.backends.spark import similarity_jar_location

        builder = (
            SparkSession.builder.master(spark_master)
            .appName("casereview-link")
            # Splink's string-similarity UDFs (Jaro-Winkler) ship as a jar inside splink;
            # Spark sends it to a cluster's executors.
            .config("spark.jars", similarity_jar_location())
            .config("spark.sql.shuffle.partitions", "4")
            .config("spark.default.parallelism", "4")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.memory", spark_driver_memory)
            # No broadcast joins: a broadcast table is collected into the driver's JVM, and
            # Spark's size estimate after Splink's filters can be far below the table (at
            # 100,000 mentions one failed a 1g driver: "Not enough memory to build and
            # broadcast the table"). Sort-merge joins keep the rows on the executors.
            .config("spark.sql.autoBroadcastJoinThreshold", "-1")
            # The driver keeps the plans and metrics of the last 1,000 queries, jobs and stages
            # for a UI that is off; Splink's plans are large and a run makes hundreds of them.
            .config("spark.sql.ui.retainedExecutions", "20")
            .config("spark.ui.retainedJobs", "100")
            .config("spark.ui.retainedStages", "100")
            .config("spark.ui.retainedTasks", "2000")
        )
        if not spark_master.startswith("local"):
            builder = (
                # On a cluster the driver only plans and schedules: a serial collector keeps
                # its JVM near its heap; Splink's plans are deep, and analysing them recurses
                # (a 1M run with 1 MB thread stacks failed in Catalyst's DeduplicateRelations),
                # hence 4 MB stacks, resident only as deep as they are used.
                builder.config("spark.driver.extraJavaOptions", "-XX:+UseSerialGC -Xss4m")
                .config("spark.executor.memory", spark_executor_memory)
                # The workers run the driver's interpreter: the same Python, pandas and splink.
                .config("spark.pyspark.python", sys.executable)
                .config("spark.executorEnv.PYSPARK_PYTHON", sys.executable)
            )
        with _driver_environment(local=spark_master.startswith("local")):
            spark = builder.getOrCreate()
        if spark.sparkContext.master != spark_master:
            # getOrCreate returned a session of this process on another master.
            raise LinkageError(
                f"a Spark session on {spark.sparkContext.master} is already open in this "
                f"process; link on {spark_master} in a new process"
            )
        spark.sparkContext.setLogLevel("ERROR")
        # The Python workers of every function sent to the executors (a UDF, `applyInPandas`)
        # run this interpreter, which has casereview: pyspark otherwise names `python3` from
        # PATH in local mode (on a cluster the settings above say the same).
        spark.sparkContext.pythonExec = sys.executable
        # Checkpoints and the Parquet files of the frame hold personal data: a private folder
        # (mode 0700), removed when linkage ends.
        work = tempfile.mkdtemp(prefix="casereview-spark-", dir=spark_staging_dir)
        spark.sparkContext.setCheckpointDir(str(Path(work) / "checkpoints"))
        db_api = SparkAPI(spark_session=spark, break_lineage_method="persist")
        db_api.casereview_staging = work  # type: ignore[attr-defined]  # `_spark_frame` writes here
        try:
            yield db_api
        finally:
            spark.catalog.clearCache()
            shutil.rmtree(work, ignore_errors=True)
        return
    raise LinkageError(f"unknown linkage engine {engine_name!r}: use duckdb or spark")


@contextmanager
def _driver_environment(*, local: bool) -> Iterator[None]:
    """On a cluster, the environment the driver JVM starts with (pyspark starts it with this
    process's environment, inside `getOrCreate`): two malloc arenas, not one per thread
    (a JVM's hundred threads otherwise hold hundreds of megabytes of them). Restored after."""
    if local or "MALLOC_ARENA_MAX" in os.environ:
        yield
        return
    os.environ["MALLOC_ARENA_MAX"] = "2"
    try:
        yield
    finally:
        del os.environ["MALLOC_ARENA_MAX"]


# Rows per Parquet file of a frame handed to Spark: the driver holds one slice's Arrow
# arrays at a time beside the frame, and Spark reads the files in parallel.
_PARQUET_ROWS = 200_000


def _spark_frame(db_api: Any, frame: pd.DataFrame, skip: set[str]) -> Any:
    """The frame as a Spark DataFrame, read by Spark from Parquet files written a slice at
    a time into the backend's private staging folder (`open_backend`), with explicit types
    (`_arrow_frame`). The rows never pass through the driver's Python as tuples: building
    them, and Spark's pickled copy of them, held several times the frame at a million
    mentions. On a cluster of several machines the staging folder must be one the executors
    can read (`link.spark_staging_dir` on shared storage)."""
    import pyarrow.parquet as pq

    staging = Path(db_api.casereview_staging) / f"frame-{next(_FRAMES)}"
    staging.mkdir(mode=0o700)
    for number, start in enumerate(range(0, max(len(frame), 1), _PARQUET_ROWS)):
        part = _arrow_frame(frame.iloc[start : start + _PARQUET_ROWS], skip)
        pq.write_table(part, staging / f"part-{number:05d}.parquet")
    return db_api.spark.read.parquet(str(staging))


_FRAMES = itertools.count(1)
_LIST_COLUMNS = ("forename_keys", "surname_parts", "name_words", "phones", "context")
_INT_COLUMNS = ("unique_id", "yob_lo", "yob_hi", "record_id")


def _is_int(col: str) -> bool:
    """Integer columns: ids, years and the blocking keys (integer codes)."""
    return col in _INT_COLUMNS or col.startswith("bk_")


def _arrow_frame(frame: pd.DataFrame, skip: set[str]) -> Any:
    """The frame as an Arrow table with explicit types, which DuckDB scans without
    converting Python objects row by row (a pandas frame of strings and lists does, and at a
    million mentions that conversion held gigabytes)."""
    import pyarrow as pa

    arrays = []
    fields = []
    for col in frame.columns:
        if col in skip:
            continue
        if col.startswith("bka_"):  # list-valued blocking keys: integer codes
            kind: Any = pa.list_(pa.int64())
        elif col in _LIST_COLUMNS:
            kind = pa.list_(pa.string())
        elif _is_int(col):
            kind = pa.int64()
        else:
            kind = pa.string()
        values = frame[col]
        if kind == pa.int64():
            arrays.append(pa.array(values.astype("Int64"), type=kind, from_pandas=True))
        else:
            arrays.append(pa.array(values.to_numpy(dtype=object), type=kind, from_pandas=True))
        fields.append(pa.field(col, kind))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def _unused_columns(settings: Any) -> set[str]:
    """Frame columns the model does not read: the address and house number unless addresses
    are compared, the record id unless record context is, the borough unless it is (at a
    million mentions the backend's copy of an unused text column is tens of megabytes)."""
    as_dict = settings if isinstance(settings, dict) else settings.get_settings("duckdb").as_dict()
    names = set(comparison_names(as_dict))
    unused = set()
    if "address" not in names:
        unused |= {"address", "street_number"}
    if "context" not in names:
        unused.add("record_id")
    if "borough" not in names and "postcode" not in names:
        unused.add("borough")
    # What the skewed-block guard narrows over-large blocks with; no comparison reads it.
    unused |= set(NARROWINGS)
    return unused


def linker_for(db_api: Any, frame: pd.DataFrame, settings: Any) -> Any:
    """A Splink linker over `frame` on `db_api`."""
    from splink import Linker

    # Columns are left out of the backend's copy, not sliced from `frame` (that would copy
    # the frame itself).
    skip = _unused_columns(settings)
    table: Any = frame
    if type(db_api).__name__ == "SparkAPI":
        table = _spark_frame(db_api, frame, skip)
    else:
        table = _arrow_frame(frame, skip)
    # A name Splink generates: a Spark session outlives the backend (getOrCreate), and a
    # fixed name would clash with the table of an earlier linker in the same session.
    registered = db_api.register(table)
    return Linker(registered, settings, log_level=logging.ERROR)


@dataclass
class TrainedModel:
    """The trained model: Splink's settings JSON with m, u and the prior, and notes on
    the training steps that could not be estimated from the data."""

    settings: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(self.settings, sort_keys=True)

    @property
    def prior_weight(self) -> float:
        p = float(self.settings["probability_two_random_records_match"])
        return math.log2(p / (1 - p))


# The deterministic rules the prior is estimated from, and the share of the true pairs they
# would find if every mention carried the values they compare.
PRIOR_RULES: tuple[tuple[str, ...], ...] = (
    ("forename1", "surname", "dob"),
    ("surname", "dob", "postcode"),
)
PRIOR_RULE_RECALL = 0.6


def prior_recall(frame: pd.DataFrame | None) -> float:
    """The recall assumed for `PRIOR_RULES`: `PRIOR_RULE_RECALL` scaled by the share of
    pairs of mentions that both carry every value one of the rules compares. Where a third
    of the mentions have no date of birth the rules cannot find the pairs they lack, and a
    fixed recall would put the prior (and every match weight) too low."""
    if frame is None or not len(frame):
        return PRIOR_RULE_RECALL
    missed = 1.0
    for rule in PRIOR_RULES:
        carried = float(frame[list(rule)].notna().all(axis=1).mean())
        missed *= 1.0 - carried * carried
    return max(0.05, min(PRIOR_RULE_RECALL, PRIOR_RULE_RECALL * (1.0 - missed)))


# A trained level weighs at least this much (log2 m/u): EM on the few pairs of a sparse world
# can put m near 0 (two phones that differ, -33) and make one disagreement veto everything
# else. Fixed levels (dates of birth far apart) are not bounded.
MIN_TRAINED_WEIGHT = -8.0


def bound_weights(linker: Any) -> None:
    """Raise, in the linker's model, every trained level's m so that its weight is at least
    `MIN_TRAINED_WEIGHT` (fixed levels and levels without a u are left as they are)."""
    floor = 2.0**MIN_TRAINED_WEIGHT
    for comparison in linker._settings_obj.core_model_settings.comparisons:
        for level in comparison.comparison_levels:
            if level.is_null_level or level._fix_m_probability:
                continue
            m, u = level.m_probability, level.u_probability
            if m is None or u is None or u <= 0:
                continue
            level.m_probability = max(float(m), float(u) * floor)


def train(
    linker: Any,
    *,
    u_max_pairs: float,
    seed: int,
    em_sample: float,
    frame: pd.DataFrame | None = None,
) -> TrainedModel:
    """Estimate the prior (deterministic rules), u (random sampling) and m (EM), no labels.

    Never fails on small or odd data (a world of one case): a step that cannot be estimated
    (no pair agrees on a deterministic rule, an EM blocking rule yields no pair) keeps
    Splink's starting values, and the model's notes say which step was skipped."""
    from splink import block_on
    from splink.internals.exceptions import EMTrainingException

    training = linker.training
    notes: list[str] = []
    default_prior = float(linker._settings_obj._probability_two_random_records_match)
    try:
        training.estimate_probability_two_random_records_match(
            [block_on(*rule) for rule in PRIOR_RULES], recall=prior_recall(frame)
        )
    except ValueError as e:  # more deterministic matches than the recall allows (tiny data)
        notes.append(f"prior not estimated ({e}); kept {default_prior:g}")
    prior = float(linker._settings_obj._probability_two_random_records_match)
    if not 0.0 < prior < 1.0:
        notes.append(
            f"prior estimated as {prior:g} (no deterministic match); kept {default_prior:g}"
        )
        linker._settings_obj._probability_two_random_records_match = default_prior
    training.estimate_u_using_random_sampling(max_pairs=u_max_pairs, seed=seed)
    if frame is not None:
        notes.extend(count_rare_u(linker, frame))
    for columns in (("dob",), ("forename_std", "surname_std")):
        # A failed session leaves the linker's comparisons filtered (Splink trims them in
        # place before it finds no pair): they are put back from this copy.
        before = linker._settings_obj.core_model_settings.copy()
        try:
            training.estimate_parameters_using_expectation_maximisation(
                block_on(*columns),
                record_sample_proportion=em_sample,
                estimate_without_term_frequencies=True,
            )
        except (EMTrainingException, ValueError) as e:
            if isinstance(e, ValueError) and not _m_underflowed(e):
                raise
            linker._settings_obj.core_model_settings = before
            why = (
                "EM gave a level an m of 0 (every pair at it weighed as a non-match)"
                if isinstance(e, ValueError)
                else "there are none"
            )
            notes.append(
                f"m not estimated on pairs sharing {' and '.join(columns)}: {why}; "
                "the comparisons it trains keep their starting values"
            )
    bound_weights(linker)
    return TrainedModel(json.loads(json.dumps(linker.misc.save_model_to_json())), notes)


def _agreeing_pairs(values: pd.Series) -> tuple[int, int]:
    """(pairs of rows sharing a value, pairs of rows that both carry one) for a column of
    values or of lists of values (a pair sharing two phones counts twice: rare, and only
    ever lowers the weight)."""
    present = values.dropna()
    if len(present) and isinstance(present.iloc[0], list | tuple | np.ndarray):
        present = present.explode().dropna()
        carried = int(values.dropna().size)
    else:
        carried = int(present.size)
    counts = present.value_counts().to_numpy(dtype=np.float64)
    return int((counts * (counts - 1) / 2).sum()), carried * (carried - 1) // 2


# Levels whose u is counted over every pair of the training mentions (`count_rare_u`):
# (comparison, level label) -> the frame column whose equal values make the level.
COUNTED_U_LEVELS: dict[tuple[str, str], str] = {
    ("phones", "Array intersection size >= 1"): "phones",
    ("identifier", "Exact match on identifier"): "id_scheme_value",
}


def count_rare_u(linker: Any, frame: pd.DataFrame) -> list[str]:
    """Set the u of the rare exact-agreement levels (a phone in common, the same identifier)
    to the share of ALL pairs of `frame`'s mentions (both carrying a value) that agree, counted
    value by value, instead of Splink's estimate from random pairs. Two different people
    share a phone about once in a million pairs: at a million mentions the few million random
    pairs never see one (Splink then falls back to a default u and a phone in common weighed
    +9.7), and at any size the sample sees too few for a stable u. Like the random sample,
    the count includes the pairs that are one person, so u is, if anything, too high and the
    level's weight too low. Returns a note per level set."""
    notes = []
    by_name = {
        c.output_column_name: c for c in linker._settings_obj.core_model_settings.comparisons
    }
    for (name, label), column in COUNTED_U_LEVELS.items():
        comparison = by_name.get(name)
        if comparison is None:
            continue
        if column == "id_scheme_value":
            both = frame["id_scheme"].notna() & frame["identifier"].notna()
            values = (frame["id_scheme"] + "\x1f" + frame["identifier"]).where(both, None)
            # Pairs of different schemes are the null level: the denominator is per scheme.
            agree = 0
            carried = 0
            for _scheme, part in values[both].groupby(frame.loc[both, "id_scheme"]):
                a, c = _agreeing_pairs(part)
                agree, carried = agree + a, carried + c
        else:
            agree, carried = _agreeing_pairs(frame[column])
        if not agree or not carried:
            continue
        u = agree / carried
        for level in comparison.comparison_levels:
            if level.is_null_level or level.label_for_charts != label:
                continue
            if level._fix_u_probability:
                continue
            level.u_probability = u
            notes.append(
                f"u of {name} ({label}) counted over every pair of the {len(frame)} mentions "
                f"trained on: {agree} of {carried} pairs agree (u {u:.3g})"
            )
    return notes


def _m_underflowed(error: ValueError) -> bool:
    """Splink refuses an m probability of 0 that EM can reach on small, odd worlds (every
    pair at some level scored as a non-match): the session is then treated as one that
    found no pair."""
    return "m_probability value" in str(error) and "below the minimum" in str(error)


U_MIN_PAIRS = 250_000


def u_pairs(mentions: int, per_mention: int, most: float) -> float:
    """Random pairs to sample for u: `per_mention` per mention trained on, at least
    `U_MIN_PAIRS`, at most `most`. The rarest level that matters (two mentions sharing an
    identifier or a full date of birth by chance) agrees about once in `mentions` random
    pairs, so a fixed count would see it too rarely on large data and waste time on small."""
    return float(min(most, max(U_MIN_PAIRS, per_mention * mentions)))


def training_sample(frame: pd.DataFrame, size: int, seed: int) -> pd.DataFrame:
    """The mentions the model is trained on: all of them up to `size`, else a random sample
    of `size` (m, u and the prior are properties of the data, not of its size: a sample's
    estimates apply to the whole frame, which is then scored with them)."""
    if size <= 0 or len(frame) <= size:
        return frame
    return frame.sample(n=size, random_state=seed).sort_values("unique_id", kind="stable")


@dataclass
class ScoredPairs:
    """Scored candidate pairs: ids, weight, probability and per-comparison detail."""

    pairs: pd.DataFrame
    model: TrainedModel


@contextmanager
def distinct_blocked_pairs(linker: Any) -> Iterator[None]:
    """Splink's blocking on DuckDB, meanwhile, without the GROUP BY it puts over the pairs of
    all its rules when one rule explodes a list (`LIST_KEYS`), where that GROUP BY cannot
    merge two rows: every rule leaves out the pairs of the rules before it, a rule joins each
    pair at most once, and the one exploding rule comes last and is made distinct. At a
    million mentions that GROUP BY hashed some thirty million pairs into themselves. With
    several exploding rules, or one that is not last, Splink's SQL is kept."""
    from splink.internals import blocking

    original = blocking.block_using_rules_sqls
    if type(linker._db_api).__name__ != "DuckDBAPI":
        yield
        return

    def without_regrouping(*args: Any, **kwargs: Any) -> list[dict[str, str]]:
        sqls: list[dict[str, str]] = original(*args, **kwargs)
        rules = kwargs.get("blocking_rules") or []
        exploding = [isinstance(rule, blocking.ExplodingBlockingRule) for rule in rules]
        if (
            len(sqls) >= 2
            and sum(exploding) == 1
            and exploding[-1]
            and sqls[-2]["output_table_name"] == "__splink__blocked_id_pairs_non_unique"
            and "GROUP BY join_key_l, join_key_r" in sqls[-1]["sql"]
        ):
            return [
                *sqls[:-2],
                {"sql": sqls[-2]["sql"], "output_table_name": sqls[-1]["output_table_name"]},
            ]
        return sqls

    blocking.block_using_rules_sqls = without_regrouping
    try:
        yield
    finally:
        blocking.block_using_rules_sqls = original


def score_frame(
    linker: Any,
    model: TrainedModel,
    *,
    min_weight: float,
    detail: bool = True,
    sources: bool = True,
) -> ScoredPairs:
    """Score every blocked pair and keep those with match weight >= `min_weight`: every
    column Splink gives with `detail`, else ids, weight and probability (and the two
    sources with `sources`), read from the backend as only those columns (at a million
    mentions two text columns of a few million pairs are hundreds of megabytes)."""
    with distinct_blocked_pairs(linker):
        predictions = linker.inference.predict(threshold_match_weight=min_weight)
    if detail:
        pairs = predictions_as_pandas(predictions)
    else:
        pairs = predictions_as_pandas(predictions, scored_columns(sources))
    return ScoredPairs(pairs=in_pair_order(pairs), model=model)


def scored_columns(sources: bool) -> list[str]:
    """The columns `score_frame` keeps without detail."""
    keep = ["unique_id_l", "unique_id_r", "match_weight", "match_probability"]
    return [*keep, "source_l", "source_r"] if sources else keep


def in_pair_order(pairs: pd.DataFrame) -> pd.DataFrame:
    """Scored pairs sorted by their two ids. The backend returns pairs in no fixed order
    (threads): sorted, so that every choice made later in pair order (one-to-one, the
    no-bridge rule) is the same on every run. The two ids are sorted as one integer key when
    they fit (a third faster than pandas' sort by two columns at a million mentions). Pairs
    already in that order (as the Spark executors write the pairs kept) are not sorted again."""
    left = pairs["unique_id_l"].to_numpy(dtype=np.int64)
    right = pairs["unique_id_r"].to_numpy(dtype=np.int64)
    if len(left) < 2 or bool(
        (
            (left[1:] > left[:-1]) | ((left[1:] == left[:-1]) & (right[1:] > right[:-1]))
        ).all()
    ):
        return pairs.reset_index(drop=True)
    if len(left) and min(left.min(), right.min()) >= 0 and max(left.max(), right.max()) < 2**31:
        order = np.argsort((left << 32) | right, kind="stable")
    else:
        order = np.lexsort((right, left))
    return pairs.take(order).reset_index(drop=True)


def predictions_as_pandas(predictions: Any, columns: list[str] | None = None) -> pd.DataFrame:
    """Splink's scored pairs (a SplinkDataFrame) as pandas: every column, or `columns`.

    On Spark the executors write them as Parquet files into the backend's staging folder
    (`open_backend`) and the driver reads the files back one at a time: `toPandas` would
    collect every pair through the driver's JVM and build a Python row object per pair (at a
    million mentions, millions of pairs: gigabytes on the driver)."""
    db_api = predictions.db_api
    if type(db_api).__name__ != "SparkAPI":
        if columns is None:
            return predictions.as_pandas_dataframe()
        # Fixed column names and Splink's own table name: nothing from the data.
        sql = f"select {', '.join(columns)} from {predictions.physical_name}"  # noqa: S608  # nosec B608
        return db_api.query_sql(sql, output_type="pandas")

    table = predictions.as_spark_dataframe()
    if columns is not None:
        table = table.select(*columns)
    folder = Path(db_api.casereview_staging) / f"pairs-{next(_FRAMES)}"
    table.write.parquet(str(folder))
    return read_written_pairs(folder, list(table.columns))


def read_written_pairs(folder: Path, columns: list[str]) -> pd.DataFrame:
    """The pairs Spark's executors wrote as Parquet files in `folder` (with `columns`), as
    pandas, a file at a time; the folder is removed."""
    import pyarrow.parquet as pq

    try:
        # Integer columns with NULLs (years of birth) as Python ints and None, as DuckDB
        # gives them, not floats (an explanation would show "born 1981.0").
        parts = [
            pq.read_table(part).to_pandas(integer_object_nulls=True)
            for part in sorted(folder.glob("*.parquet"))
        ]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if not parts:
        return pd.DataFrame({name: pd.Series(dtype=object) for name in columns})
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
