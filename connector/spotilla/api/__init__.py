"""The assumed shape of Spotilla API v3: paths, page forms and the records' models.

This package is THE one place that knows Spotilla's JSON (see ``docs/spotilla.md``). Aligning the
connector with the full Postman collection should be a change here only. It is also the
boundary: every value from Spotilla is checked here before anything else sees it.

Records are pydantic models, except tasks -- tens of thousands a run -- which are slotted
dataclasses whose annotated fields pydantic validates the same way. Rules the models follow:
- decimal strings (``"12.50"``) become ``Decimal``; ISO 8601 times become aware datetimes;
- unknown fields are tolerated and dropped (``extra="ignore"``);
- a key that may hold a personal identity code (:data:`IDENTITY_CODE_KEY`) is removed before
  validation and no model has a field for one, so it is never stored, logged or passed on;
- a record with a missing or malformed required field becomes a :class:`Quarantined` record
  (:func:`parse_record`) whose reason names the field and the rule, never the value.

Boundary rules (:func:`parse_record`, :func:`load_json`), each quarantining one record only:
- nesting deeper than :data:`MAX_RECORD_DEPTH` -> rule ``too_deep`` (a page nested too deep for
  the JSON parser is read with the deep parts cut out, so only their records are quarantined);
- a lone surrogate or U+FFFE/U+FFFF anywhere in a record -> rule ``invalid_text``: such text can
  be neither hashed nor written as XML 1.0, and guessing what it meant would change a name;
- control characters (C0 except TAB, LF, CR; DEL; C1 U+0080-U+009F) are removed from text; in an
  identifier field (:data:`ID_FIELDS`) they quarantine the record (``invalid_text``) instead,
  since a silently changed id could merge two records;
- quantities, hours and prices must be finite and within :data:`NUMBER_LIMITS` (at most
  :data:`MAX_DECIMALS` decimals) -> else rule ``number_out_of_range``;
- text longer than Netvisor's field (:data:`TEXT_LIMITS`) is cut to the limit, ending in "…",
  and logged as a notice (``spotilla_text_truncated``: kind, id, field and lengths, never text).

An ordinary task (nothing to clean, cut or refuse; plain numbers, dates and times) is read in
one pass by :func:`read_task` (``fast``); every other record, and every rule above, goes the general way.

Modules: ``shape`` (paths, headers, page forms, the models), ``general`` (the door's rules and
:func:`parse_record`), ``fast`` (:func:`read_task`). Everything is read through this package's
names, as ``api.X``.
"""

from connector.spotilla.api.fast import read_task
from connector.spotilla.api.general import (
    KIND_OF,
    drop_identity_codes,
    parse_record,
)
from connector.spotilla.api.shape import *  # noqa: F403 -- the shape is the package's surface
from connector.spotilla.api.shape import __all__ as _shape_names

__all__ = [
    "KIND_OF",
    "drop_identity_codes",
    "parse_record",
    "read_task",
    *_shape_names,
]
