"""Row-level contract checks as Spark expressions, derived from the contract alone.

Input: a frame of *landed records* (see :mod:`lakehouse.sources.landed`): one string column per
contract field holding the raw text, plus ``_reject_*`` columns a reader sets when it could not
read a record or its batch at all. Output: the same records with their typed values and
``_violations``, an array of ``{rule, field, value, detail}`` (empty when the record is valid).

Rules, checked per field in contract order: ``required`` (null or blank), ``type`` (text that
does not parse as the field's type or format), then the field's quality rules: ``enum``
(validValues), ``pattern``, ``range`` and ``future`` (notInFuture). Across records:
``duplicate_key`` (the primary key twice in the batch with different content).
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from lakehouse.contracts.model import Contract, Field, Rule
from lakehouse.contracts.spark import typed_column

VIOLATION = T.StructType(
    [
        T.StructField("rule", T.StringType()),
        T.StructField("field", T.StringType()),
        T.StructField("value", T.StringType()),
        T.StructField("detail", T.StringType()),
    ]
)
RULE_NAMES = {
    "validValues": "enum",
    "pattern": "pattern",
    "range": "range",
    "notInFuture": "future",
}
SNIPPET_CHARS = 60
_DECIMAL_TEXT = "^\\s*[+-]?[0-9]+([{sep}][0-9]+)?\\s*$"


def snippet(field: Field, raw: Column) -> Column:
    """The value as shown in quarantine: PII masked (first character kept), others shortened."""
    if field.classification == "pii":
        return F.when(
            raw.isNotNull(),
            F.concat(F.substring(raw, 1, 1), F.lit("*** ("), F.length(raw), F.lit(" chars)")),
        )
    return F.substring(raw, 1, SNIPPET_CHARS)


def _violation(rule: str, field: Field, raw: Column, detail: str) -> Column:
    return F.struct(
        F.lit(rule).alias("rule"),
        F.lit(field.name).alias("field"),
        snippet(field, raw).alias("value"),
        F.lit(detail).alias("detail"),
    )


def _type_detail(field: Field) -> str:
    kind = field.physical_type
    if field.source_format:
        return f"not a {kind} in the format {field.source_format}"
    if field.decimal_separator:
        return f"not a {kind} number with the decimal separator {field.decimal_separator!r}"
    return f"not a valid {kind}"


def _rule_broken(rule: Rule, raw: Column, typed: Column, batch_end: dt.datetime) -> Column:
    present = raw.isNotNull() & (F.trim(raw) != "")  # a blank value is judged by `required`
    if rule.kind == "validValues":
        return present & ~raw.isin(*rule.valid_values)
    if rule.kind == "pattern":
        return present & ~raw.rlike(rule.pattern)
    if rule.kind == "range":
        ok = F.lit(True)
        for op, limit in rule.bounds:
            ok = ok & {">": typed > limit, ">=": typed >= limit, "<": typed < limit,
                       "<=": typed <= limit}[op]  # fmt: skip
        return typed.isNotNull() & ~ok
    return typed.isNotNull() & (typed.cast("timestamp") >= F.lit(batch_end))  # notInFuture


def field_violations(
    field: Field, raw: Column, typed: Column, batch_end: dt.datetime
) -> list[tuple[Column, Column]]:
    """``(broken, violation)`` per rule of ``field``: when ``broken`` holds, ``violation`` says how.

    ``raw`` is the field's landed text, ``typed`` the value parsed from it.
    """
    blank = raw.isNull() | (F.trim(raw) == "")
    out = []
    if field.required:
        out.append((blank, _violation("required", field, raw, "a required value is missing")))
    if field.physical_type != "string":
        unparsed = ~blank & typed.isNull()
        if field.decimal_separator:
            pattern = _DECIMAL_TEXT.format(sep=field.decimal_separator)
            unparsed = ~blank & (typed.isNull() | ~raw.rlike(pattern))
        out.append((unparsed, _violation("type", field, raw, _type_detail(field))))
    for rule in field.rules:
        broken = _rule_broken(rule, raw, typed, batch_end)
        out.append((broken, _violation(RULE_NAMES[rule.kind], field, raw, rule.describe())))
    return out


def _raw_name(field: Field) -> str:
    return f"__raw_{field.name}"


def check_records(records: DataFrame, contract: Contract, batch_end: dt.datetime) -> DataFrame:
    """Type landed records and add ``_violations``: every rule, primary-key conflicts included.

    For large batches, cache :func:`check_rows`'s result and mark duplicates on that instead.
    """
    return mark_duplicate_keys(check_rows(records, contract, batch_end), contract)


def check_rows(records: DataFrame, contract: Contract, batch_end: dt.datetime) -> DataFrame:
    """Add ``_violations`` to landed records and type their fields (see the module doc).

    ``batch_end`` is the instant after which a ``notInFuture`` value is in the future.
    Records a reader rejected (``_reject_reason``) carry that one violation and no rule checks.
    Primary-key conflicts across records are marked by :func:`mark_duplicate_keys`.
    """
    meta = [c for c in records.columns if c.startswith("_")]
    # Parse every value once: the checks below read the typed columns (Spark does not inline
    # an expensive expression that is used more than once).
    staged = records.select(
        *[F.col(f.name).alias(_raw_name(f)) for f in contract.fields],
        *[typed_column(f, F.col(f.name)) for f in contract.fields],
        *meta,
    )
    rejected = F.struct(
        F.col("_reject_reason").alias("rule"),
        F.col("_reject_field").alias("field"),
        F.lit(None).cast("string").alias("value"),
        F.col("_reject_detail").alias("detail"),
    )
    checks = [
        check
        for f in contract.fields
        for check in field_violations(f, F.col(_raw_name(f)), F.col(f.name), batch_end)
    ]
    none = F.array().cast(T.ArrayType(VIOLATION))
    violations = F.when(F.col("_reject_reason").isNotNull(), F.array(rejected))
    if checks:
        any_broken = F.lit(False)
        for broken, _ in checks:
            any_broken = any_broken | F.coalesce(broken, F.lit(False))
        # The array of violations (an interpreted higher-order function) is only built for the
        # few records that break a rule; the test above is compiled code.
        found = F.filter(F.array(*[F.when(b, v) for b, v in checks]), lambda v: v.isNotNull())
        violations = violations.when(any_broken, found)
    violations = violations.otherwise(none)
    return staged.select(
        *contract.column_names,
        violations.cast(T.ArrayType(VIOLATION)).alias("_violations"),
        *[c for c in meta if not c.startswith("_reject")],
    )


def mark_duplicate_keys(checked: DataFrame, contract: Contract) -> DataFrame:
    """Add a ``duplicate_key`` violation to valid records whose key repeats with other content.

    The conflicting keys are found from the keys and a digest of the content alone, collected
    (there are few; usually none) and marked with a plain ``IN`` test, so later reads of the
    result do not repeat the search. ``checked`` should be cached: it is read twice.
    """
    keys = contract.primary_key
    if not keys:
        return checked
    content = [f.name for f in contract.fields if not f.transport and not f.primary_key]
    valid = F.size("_violations") == 0
    # With null flags: xxhash64 skips NULLs, so (x, NULL) and (NULL, x) would hash alike.
    digest = F.xxhash64(*[F.col(c) for c in content], *map(F.isnull, content))
    key = F.to_json(F.array(*[F.col(k).cast("string") for k in keys]))
    conflicts = [
        row[0]
        for row in checked.where(valid)
        .groupBy(key.alias("_key"))
        .agg(F.countDistinct(digest).alias("_versions"))
        .where(F.col("_versions") > 1)
        .select("_key")
        .collect()
    ]
    if not conflicts:
        return checked
    key_field = contract.field(keys[0])
    duplicate = F.array(
        F.struct(
            F.lit("duplicate_key").alias("rule"),
            F.lit(key_field.name).alias("field"),
            F.substring(F.col(key_field.name).cast("string"), 1, SNIPPET_CHARS).alias("value"),
            F.lit(
                f"primary key ({', '.join(keys)}) delivered more than once in the batch "
                "with different content"
            ).alias("detail"),
        )
    )
    conflicting = valid & key.isin(*conflicts)
    return checked.withColumn(
        "_violations", F.when(conflicting, duplicate).otherwise(F.col("_violations"))
    )
