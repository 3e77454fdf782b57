"""Read landed files into *landed records*, judging each file (batch) on the way.

Every reader returns :class:`Landed`: a frame with one row per landed unit and these columns

* one string column per contract field, holding the raw text (named as the contract says);
* ``_source`` (the file relative to the landing root), ``_position`` (CSV line number, record
  number in a JSON page or document, or Kafka offset) and ``_raw`` (the record as it landed);
* ``_reject_reason`` / ``_reject_detail`` / ``_reject_field``: set when the reader could not
  accept the record or its whole file: ``unreadable`` (corrupt compression, invalid JSON),
  ``encoding`` (not UTF-8), ``empty``, ``schema_break`` (columns the contract does not allow)
  or ``unparseable_record``;
* ``_extra_columns``: values of columns the contract does not know (map, NULL when none).

and, per file, a :class:`FileReport` with its verdict, drift and record count. Files are read
whole (``wholetext``), so each file's bytes are read once and every record keeps its line.
A file Spark cannot decompress yields no text (``ignoreCorruptFiles``) and becomes one
``unreadable`` unit: nothing else in it can be counted.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pyspark import StorageLevel
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from lakehouse import storage
from lakehouse.contracts.drift import Drift, header_drift, keeps_extra_columns, key_drift
from lakehouse.contracts.model import Contract
from lakehouse.contracts.spark import raw_columns, raw_struct

_LANDING_RELATIVE = re.compile(r"/landing/(.*)$")
META = T.StructType(
    [
        T.StructField("_source", T.StringType()),
        T.StructField("_position", T.LongType()),
        T.StructField("_raw", T.StringType()),
        T.StructField("_reject_reason", T.StringType()),
        T.StructField("_reject_detail", T.StringType()),
        T.StructField("_reject_field", T.StringType()),
        T.StructField("_extra_columns", T.MapType(T.StringType(), T.StringType())),
    ]
)


@dataclass(frozen=True)
class LandedFile:
    """A file in the landing zone."""

    path: str  # full location
    name: str  # relative to the landing root, e.g. vendor_products/ingest_date=…/x.csv
    size: int
    modified: int  # epoch ms

    @property
    def basename(self) -> str:
        return self.name.rsplit("/", 1)[-1]


@dataclass
class FileReport:
    """What the reader made of one file."""

    file: str
    records: int  # landed units in it (1 for a file that cannot be read)
    reason: str | None = None  # why the whole file was rejected
    detail: str | None = None
    drift: Drift | None = None

    def as_dict(self) -> dict:
        out: dict[str, Any] = {"file": self.file, "records": self.records}
        if self.reason:
            out.update(reason=self.reason, detail=self.detail)
        if self.drift is not None and self.drift.changed:
            out["drift"] = self.drift.as_dict()
        return out


@dataclass
class Landed:
    """Landed records of one batch, the file reports and the cached text to release after use."""

    records: DataFrame
    files: list[FileReport]
    cached: list[DataFrame] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(f.records for f in self.files)

    def release(self) -> None:
        for df in self.cached:
            df.unpersist()


def list_landed(spark: Any, folder: str, suffix: str) -> list[LandedFile]:
    """The files in a landing folder that end with ``suffix`` (none if it does not exist)."""
    out = []
    for path, size, modified in storage.list_file_status(spark, folder):
        if path.endswith(suffix):
            out.append(LandedFile(path, landing_relative(path), size, modified))
    return out


def landing_relative(path: str) -> str:
    """A file's name relative to the landing root; outside the landing zone, its local path."""
    match = _LANDING_RELATIVE.search(path)
    return match.group(1) if match else re.sub(r"^file:(//)?", "", path)


def landing_name() -> Column:
    """The input file's :func:`landing_relative` name, computed by Spark."""
    relative = F.regexp_extract(F.input_file_name(), r"/landing/(.*)$", 1)
    local = F.regexp_replace(F.input_file_name(), r"^file:(//)?", "")
    return F.when(relative != "", relative).otherwise(local)


def _read_texts(spark: Any, files: list[LandedFile]) -> DataFrame:
    texts = (
        spark.read.option("ignoreCorruptFiles", "true")
        .text([f.path for f in files], wholetext=True)
        .select(landing_name().alias("_file"), F.col("value").alias("_text"))
    )
    return texts.persist(StorageLevel.MEMORY_AND_DISK)


def _meta(
    contract: Contract,
    source: Column,
    position: Column,
    raw: Column,
    reject: tuple[Column, Column, Column] | None = None,
    extra: Column | None = None,
) -> list[Column]:
    reason, detail, field_name = reject or (F.lit(None), F.lit(None), F.lit(None))
    return [
        source.cast("string").alias("_source"),
        position.cast("bigint").alias("_position"),
        raw.cast("string").alias("_raw"),
        reason.cast("string").alias("_reject_reason"),
        detail.cast("string").alias("_reject_detail"),
        field_name.cast("string").alias("_reject_field"),
        (extra if extra is not None else F.lit(None))
        .cast(META["_extra_columns"].dataType)
        .alias("_extra_columns"),
    ]


def _null_fields(contract: Contract) -> list[Column]:
    return [F.lit(None).cast("string").alias(f.name) for f in contract.fields]


def _whole_file_rows(spark: Any, contract: Contract, reports: list[FileReport]) -> DataFrame:
    """One landed unit per file that could not be read at all (it holds the reason)."""
    schema = T.StructType(
        [T.StructField(f.name, T.StringType()) for f in contract.fields] + META.fields
    )
    rows = [
        (*[None] * len(contract.fields), r.file, None, None, r.reason, r.detail, None, None)
        for r in reports
    ]
    return spark.createDataFrame(rows, schema)


def _unreadable(file: LandedFile, contract: Contract, what: str) -> FileReport:
    """The report of a file that yielded no text: empty, or corrupt/truncated."""
    if file.size == 0:
        if contract.allow_empty_files:
            return FileReport(file.name, 0)
        return FileReport(file.name, 1, "empty", f"{file.name} is empty (no header, no records)")
    if file.name.endswith(".gz"):
        return FileReport(
            file.name, 1, "unreadable", f"{file.name}: gzip stream is corrupt or truncated"
        )
    return FileReport(file.name, 1, "unreadable", f"{file.name}: could not be read as {what}")


def _not_utf8(text: Column) -> Column:
    return F.decode(text.cast("binary"), "UTF-8") != text


def _first_bad_char(text: Column) -> Column:
    return F.instr(F.decode(text.cast("binary"), "UTF-8"), "\ufffd")


# ---------------------------------------------------------------------------------------- CSV


def parse_header(line: str, sep: str) -> list[str]:
    """Column names of a CSV header line (quotes, spaces and a byte-order mark removed)."""
    line = line.lstrip("\ufeff").rstrip("\r\n")
    return [c.strip().strip('"').strip() for c in line.split(sep)]


def read_csv(spark: Any, files: list[LandedFile], contract: Contract, sep: str = ",") -> Landed:
    """Landed records of CSV files with a header row, one record per line."""
    texts = _read_texts(spark, files)
    # Line 1 is the header even when blank, so records are the lines _lines yields.
    lines = F.filter(F.split("_text", "\n"), lambda line, i: (i == 0) | ~line.rlike("^\\s*$"))
    facts = texts.select(
        "_file",
        F.substring_index("_text", "\n", 1).alias("header"),
        (F.size(lines) - 1).alias("records"),
        _not_utf8(F.col("_text")).alias("not_utf8"),
        _first_bad_char(F.col("_text")).alias("bad_char"),
        (F.trim(F.regexp_replace("_text", "[\\r\\n\\t]", "")) == "").alias("blank"),
    ).collect()
    found = {row["_file"]: row for row in facts}
    reports: list[FileReport] = []
    headers: dict[tuple[str, ...], list[str]] = {}
    whole = []
    for file in files:
        row = found.get(file.name)
        if row is None or row["blank"]:  # no text at all; blank text is as good as 0 bytes
            empty = file if row is None else LandedFile(file.path, file.name, 0, file.modified)
            report = _unreadable(empty, contract, "text")
            reports.append(report)
            if report.reason:
                whole.append(report)
            continue
        records = max(row["records"], 0)
        if row["not_utf8"]:
            detail = (
                f"{file.name} is not valid UTF-8 (first invalid byte at character "
                f"{row['bad_char']}); the contract expects UTF-8"
            )
            reports.append(FileReport(file.name, records, "encoding", detail))
            continue
        header = parse_header(row["header"], sep)
        drift = header_drift(contract, header)
        if drift.breaking:
            detail = f"{file.name}: {drift.describe()} ({'; '.join(drift.breaking)})"
            if len(header) == 1 and sep not in row["header"]:
                detail += f"; the header has no {sep!r}: wrong delimiter?"
            reports.append(FileReport(file.name, records, "schema_break", detail, drift))
            continue
        reports.append(FileReport(file.name, records, drift=drift))
        headers.setdefault(tuple(header), []).append(file.name)
    frames = [_csv_records(texts, contract, list(h), names, sep) for h, names in headers.items()]
    rejected = [r for r in reports if r.reason and r not in whole]
    if rejected:
        frames.append(_rejected_lines(texts, contract, rejected))
    if whole:
        frames.append(_whole_file_rows(spark, contract, whole))
    return Landed(_union(spark, contract, frames), reports, [texts])


def _lines(texts: DataFrame, names: list[str]) -> DataFrame:
    exploded = texts.where(F.col("_file").isin(names)).select(
        "_file", F.posexplode(F.split("_text", "\n")).alias("_index", "_line")
    )
    return exploded.select(
        "_file", "_index", F.regexp_replace("_line", "\r$", "").alias("_line")
    ).where((F.col("_index") > 0) & ~F.col("_line").rlike("^\\s*$"))


def _csv_records(
    texts: DataFrame, contract: Contract, header: list[str], names: list[str], sep: str
) -> DataFrame:
    schema = ", ".join(f"`c{i}` string" for i in range(len(header))) + ", `__overflow` string"
    options = {"sep": sep, "quote": '"', "escape": '"', "mode": "PERMISSIVE"}
    parsed = _lines(texts, names).withColumn("_p", F.from_csv("_line", schema, options))
    position = {name: i for i, name in enumerate(header)}
    fields = [
        (F.col(f"_p.c{position[f.source_field]}") if f.source_field in position else F.lit(None))
        .cast("string")
        .alias(f.name)
        for f in contract.fields
    ]
    known = {f.source_field for f in contract.fields}
    added = [(name, i) for i, name in enumerate(header) if name not in known]
    extra = None
    if added and keeps_extra_columns(contract):
        extra = F.map_from_arrays(
            F.array(*[F.lit(name) for name, _ in added]),
            F.array(*[F.col(f"_p.c{i}") for _, i in added]),
        )
    overflow = F.col("_p.__overflow").isNotNull()
    reject = (
        F.when(overflow, F.lit("unparseable_record")),
        F.when(overflow, F.lit(f"the line has more fields than the header ({len(header)})")),
        F.lit(None),
    )
    return parsed.select(
        *fields,
        *_meta(contract, F.col("_file"), F.col("_index") + 1, F.col("_line"), reject, extra),
    )


def _rejected_lines(texts: DataFrame, contract: Contract, reports: list[FileReport]) -> DataFrame:
    """Every line of a file rejected as a whole keeps its line and the file's reason."""
    by_file = {r.file: r for r in reports}
    reason = F.lit(None)
    detail = F.lit(None)
    field_name = F.lit(None)
    for name, r in by_file.items():
        missing = r.drift.missing_required[0] if r.drift and r.drift.missing_required else None
        reason = F.when(F.col("_file") == name, F.lit(r.reason)).otherwise(reason)
        detail = F.when(F.col("_file") == name, F.lit(r.detail)).otherwise(detail)
        field_name = F.when(F.col("_file") == name, F.lit(_field_of(contract, missing))).otherwise(
            field_name
        )
    lines = _lines(texts, list(by_file))
    return lines.select(
        *_null_fields(contract),
        *_meta(
            contract,
            F.col("_file"),
            F.col("_index") + 1,
            F.col("_line"),
            (reason, detail, field_name),
        ),
    )


def _field_of(contract: Contract, source_field: str | None) -> str | None:
    for f in contract.fields:
        if f.source_field == source_field:
            return f.name
    return None


def _union(spark: Any, contract: Contract, frames: list[DataFrame]) -> DataFrame:
    if not frames:
        return _whole_file_rows(spark, contract, [])
    out = frames[0]
    for frame in frames[1:]:
        out = out.unionByName(frame)
    return out


# --------------------------------------------------------------------------------------- JSON


def expected_keys(contract: Contract, prefix: str = "") -> dict[str, set[str]]:
    """Per JSON object level (``""`` = the record, ``"properties"`` …), the keys it may have."""
    levels: dict[str, set[str]] = {}
    for f in contract.fields:
        if not f.source_field.startswith(prefix):
            continue
        parts = f.source_field[len(prefix) :].split(".")
        for depth in range(len(parts)):
            levels.setdefault(".".join(parts[:depth]), set()).add(parts[depth])
    return levels


def _unknown_keys(known: list[str]) -> Callable[[Column, Column], Column]:
    return lambda k, _v: ~k.isin(*known)


def _prefixed(level: str) -> Callable[[Column, Column], Column]:
    return lambda k, _v: F.concat(F.lit(level + "."), k)


def _extra_keys(raw: Column, levels: dict[str, set[str]], nested: bool = True) -> Column:
    """A map of the keys (dotted for nested levels) of a JSON object the contract does not know."""
    empty = F.create_map().cast("map<string,string>")
    maps = []
    for level, keys in levels.items():
        if level and not nested:
            continue
        text = F.get_json_object(raw, "$." + level) if level else raw
        entries = F.map_filter(F.from_json(text, "map<string,string>"), _unknown_keys(sorted(keys)))
        if level:
            entries = F.transform_keys(entries, _prefixed(level))
        maps.append(F.coalesce(entries, empty))
    merged = maps[0] if len(maps) == 1 else F.map_concat(*maps)
    return F.when(F.size(merged) > 0, merged)


def read_json_pages(spark: Any, files: list[LandedFile], contract: Contract) -> Landed:
    """Landed records of API pages ``{"results": [record, ...], ...}``: one per result."""
    texts = _read_texts(spark, files)
    page = T.StructType(
        [
            T.StructField("results", T.ArrayType(T.StringType())),
            T.StructField("_corrupt", T.StringType()),
        ]
    )
    levels = expected_keys(contract)
    parsed = texts.select(
        "_file", F.from_json("_text", page, {"columnNameOfCorruptRecord": "_corrupt"}).alias("p")
    )
    facts = parsed.select(
        "_file",
        F.col("p._corrupt").isNotNull().alias("corrupt"),
        F.col("p.results").isNull().alias("no_results"),
        F.size("p.results").alias("records"),
        F.array_distinct(
            F.flatten(
                F.transform(
                    "p.results",
                    lambda r: F.map_keys(
                        F.coalesce(
                            _extra_keys(r, levels), F.create_map().cast("map<string,string>")
                        )
                    ),
                )
            )
        ).alias("added"),
    ).collect()
    reports, whole, good = _judge_json(files, facts, contract, "a JSON page with a results array")
    records = parsed.where(F.col("_file").isin(good)).select(
        "_file", F.posexplode("p.results").alias("_index", "_raw")
    )
    keep_extra = keeps_extra_columns(contract)
    typed = records.withColumn("r", F.from_json("_raw", raw_struct(contract))).select(
        *raw_columns(contract, "r"),
        *_meta(
            contract,
            F.col("_file"),
            F.col("_index") + 1,
            F.col("_raw"),
            extra=_extra_keys(F.col("_raw"), levels) if keep_extra else None,
        ),
    )
    return Landed(
        _union(spark, contract, [typed, _whole_file_rows(spark, contract, whole)]), reports, [texts]
    )


def _judge_json(
    files: list[LandedFile], facts: list[Any], contract: Contract, what: str
) -> tuple[list[FileReport], list[FileReport], list[str]]:
    """Reports for JSON files; returns (all reports, whole-file rejections, readable names)."""
    found = {row["_file"]: row for row in facts}
    reports, whole, good = [], [], []
    for file in files:
        row = found.get(file.name)
        if row is None:
            report = _unreadable(file, contract, what)
        elif row["corrupt"] or row["no_results"]:
            report = FileReport(
                file.name, 1, "unreadable", f"{file.name}: not {what} (invalid or truncated JSON)"
            )
        else:
            drift = key_drift(contract, row["added"] or [])
            if drift.breaking:
                detail = f"{file.name}: {drift.describe()} ({'; '.join(drift.breaking)})"
                report = FileReport(file.name, 1, "schema_break", detail, drift)
            else:
                report = FileReport(file.name, row["records"], drift=drift)
                good.append(file.name)
        reports.append(report)
        if report.reason:
            whole.append(report)
    return reports, whole, good


def read_json_documents(spark: Any, files: list[LandedFile], contract: Contract) -> Landed:
    """Landed records of FX documents ``{"base", "date", "rates": {currency: rate}}``."""
    texts = _read_texts(spark, files)
    doc = T.StructType(
        [
            T.StructField("base", T.StringType()),
            T.StructField("date", T.StringType()),
            # Strings keep the rate's exact decimal text (no float round trip).
            T.StructField("rates", T.MapType(T.StringType(), T.StringType())),
            T.StructField("_corrupt", T.StringType()),
        ]
    )
    levels = {"": expected_keys(contract)[""]}
    parsed = texts.select(
        "_file",
        "_text",
        F.from_json("_text", doc, {"columnNameOfCorruptRecord": "_corrupt"}).alias("d"),
    )
    facts = parsed.select(
        "_file",
        F.col("d._corrupt").isNotNull().alias("corrupt"),
        F.col("d.rates").isNull().alias("no_results"),
        F.size("d.rates").alias("records"),
        F.map_keys(
            F.coalesce(
                _extra_keys(F.col("_text"), levels), F.create_map().cast("map<string,string>")
            )
        ).alias("added"),
    ).collect()
    reports, whole, good = _judge_json(files, facts, contract, "an FX rates document")
    rows = (
        parsed.where(F.col("_file").isin(good))
        .select(
            "_file",
            "_text",
            "d.base",
            "d.date",
            F.posexplode("d.rates").alias("_index", "key", "value"),
        )
        .withColumn("rates", F.struct("key", "value"))
    )
    typed = rows.select(
        *raw_columns(contract),
        *_meta(contract, F.col("_file"), F.col("_index") + 1, F.col("_text")),
    )
    return Landed(
        _union(spark, contract, [typed, _whole_file_rows(spark, contract, whole)]), reports, [texts]
    )


# -------------------------------------------------------------------------------------- Kafka


def kafka_records(records: DataFrame, contract: Contract) -> DataFrame:
    """Landed records of Kafka records (``value`` string or binary) whose value is JSON.

    ``_source`` is ``<topic>/<partition>/<offset>``, ``_position`` the offset, ``_raw`` the value.
    """
    value = F.col("value").cast("string")
    levels = expected_keys(contract, prefix="value.")
    parsed = records.withColumn("_value_text", value).withColumn(
        "value", F.from_json("_value_text", raw_struct(contract, prefix="value."))
    )
    if isinstance(records.schema["timestamp"].dataType, T.TimestampType):
        # The real Kafka source yields a timestamp; the local stand-in an ISO-8601 string.
        parsed = parsed.withColumn(
            "timestamp", F.date_format("timestamp", "yyyy-MM-dd'T'HH:mm:ss.SSSX")
        )
    not_json = F.from_json("_value_text", "map<string,string>").isNull()
    source = F.concat_ws(
        "/", F.col("topic"), F.col("partition").cast("string"), F.col("offset").cast("string")
    )
    reject = (
        F.when(not_json, F.lit("unparseable_record")),
        F.when(not_json, F.lit("the Kafka record's value is not a JSON object")),
        F.lit(None),
    )
    return parsed.select(
        *raw_columns(contract),
        *_meta(
            contract,
            source,
            F.col("offset"),
            F.col("_value_text"),
            reject,
            _extra_keys(F.col("_value_text"), levels),
        ),
    )


Reader = Callable[[Any, list[LandedFile], Contract], Landed]
