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

from pyspark.sql import Column, DataFrame, Window
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


def field_violations(field: Field, batch_end: dt.datetime) -> list[Column]:
    """One nullable violation struct per rule of ``field`` (NULL where the rule holds)."""
    raw = F.col(field.name)
    typed = typed_column(field, raw)
    blank = raw.isNull() | (F.trim(raw) == "")
    out = []
    if field.required:
        out.append(F.when(blank, _violation("required", field, raw, "a required value is missing")))
    if field.physical_type != "string":
        unparsed = ~blank & typed.isNull()
        if field.decimal_separator:
            pattern = _DECIMAL_TEXT.format(sep=field.decimal_separator)
            unparsed = ~blank & (typed.isNull() | ~raw.rlike(pattern))
        out.append(F.when(unparsed, _violation("type", field, raw, _type_detail(field))))
    for rule in field.rules:
        broken = _rule_broken(rule, raw, typed, batch_end)
        name = RULE_NAMES[rule.kind]
        out.append(F.when(broken, _violation(name, field, raw, rule.describe())))
    return out


def check_records(records: DataFrame, contract: Contract, batch_end: dt.datetime) -> DataFrame:
    """Add ``_violations`` to landed records and type their fields (see the module doc).

    ``batch_end`` is the instant after which a ``notInFuture`` value is in the future.
    Records a reader rejected (``_reject_reason``) carry that one violation and no rule checks.
    """
    rejected = F.struct(
        F.col("_reject_reason").alias("rule"),
        F.col("_reject_field").alias("field"),
        F.lit(None).cast("string").alias("value"),
        F.col("_reject_detail").alias("detail"),
    )
    checks = [v for f in contract.fields for v in field_violations(f, batch_end)]
    found = F.filter(F.array(*checks), lambda v: v.isNotNull()) if checks else F.array()
    violations = F.when(F.col("_reject_reason").isNotNull(), F.array(rejected)).otherwise(found)
    checked = records.select(
        *[typed_column(f, F.col(f.name)) for f in contract.fields],
        violations.cast(T.ArrayType(VIOLATION)).alias("_violations"),
        *[c for c in records.columns if c.startswith("_") and not c.startswith("_reject")],
    )
    return _mark_duplicate_keys(checked, contract)


def _mark_duplicate_keys(checked: DataFrame, contract: Contract) -> DataFrame:
    """Add a ``duplicate_key`` violation to valid records whose key repeats with other content."""
    keys = contract.primary_key
    if not keys:
        return checked
    content = [f.name for f in contract.fields if not f.transport and not f.primary_key]
    valid = F.size("_violations") == 0
    # With null flags: xxhash64 skips NULLs, so (x, NULL) and (NULL, x) would hash alike.
    digest = F.when(valid, F.xxhash64(*[F.col(c) for c in content], *map(F.isnull, content)))
    window = Window.partitionBy(*[F.col(k) for k in keys])
    conflicting = valid & (F.size(F.collect_set(digest).over(window)) > 1)
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
    return checked.withColumn(
        "_violations", F.when(conflicting, duplicate).otherwise(F.col("_violations"))
    )
