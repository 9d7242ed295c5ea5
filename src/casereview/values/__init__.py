"""Value normalisers, one module per value type (as followthemoney's `types/`).

Every public function is total (never raises on arbitrary text; returns None when nothing
usable is left) and idempotent (f(f(x)) == f(x)), so that ingest, linkage and search can all
apply them freely and compare their outputs.
"""

from __future__ import annotations

from casereview.values.address import normalise_address
from casereview.values.borough import normalise_borough
from casereview.values.dates import PartialDate, parse_date
from casereview.values.identifier import normalise_identifier
from casereview.values.name import clean_name, split_full_name
from casereview.values.phone import normalise_phone
from casereview.values.postcode import (
    normalise_any_postcode,
    normalise_postcode,
    normalise_postcode_or_district,
    postcode_district,
)
from casereview.values.vehicle import normalise_vrm

__all__ = [
    "PartialDate",
    "clean_name",
    "normalise_address",
    "normalise_any_postcode",
    "normalise_borough",
    "normalise_identifier",
    "normalise_phone",
    "normalise_postcode",
    "normalise_postcode_or_district",
    "normalise_vrm",
    "parse_date",
    "postcode_district",
    "split_full_name",
]
