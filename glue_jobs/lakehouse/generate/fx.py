"""FX rates: one JSON document per rate date, units of each currency per 1 USD.

Each currency follows a small mean-reverting random walk (in log space) around a realistic anchor,
starting at the first date of the history, so the rate of any date is a function of the seed and
the base date only.
"""

from __future__ import annotations

import json
import math
from datetime import date, timedelta
from pathlib import Path

from lakehouse.generate.common import HISTORY_DAYS, Plan

BASE_CURRENCY = "USD"

# code: (units per USD around which the rate wanders, daily volatility of its log)
CURRENCIES: dict[str, tuple[float, float]] = {
    "AED": (3.6725, 0.00002),
    "AUD": (1.5230, 0.005),
    "BRL": (5.0500, 0.008),
    "CAD": (1.3620, 0.003),
    "CHF": (0.8810, 0.004),
    "CNY": (7.2400, 0.002),
    "CZK": (23.150, 0.005),
    "DKK": (6.8750, 0.004),
    "EUR": (0.9215, 0.004),
    "GBP": (0.7890, 0.004),
    "HKD": (7.8200, 0.0003),
    "HUF": (361.40, 0.006),
    "IDR": (15800.0, 0.004),
    "ILS": (3.7100, 0.005),
    "INR": (83.400, 0.002),
    "JPY": (151.20, 0.006),
    "KRW": (1335.0, 0.005),
    "MXN": (17.100, 0.007),
    "MYR": (4.7200, 0.003),
    "NOK": (10.620, 0.006),
    "NZD": (1.6600, 0.005),
    "PHP": (56.300, 0.003),
    "PLN": (3.9800, 0.005),
    "SAR": (3.7500, 0.00002),
    "SEK": (10.450, 0.006),
    "SGD": (1.3480, 0.002),
    "THB": (36.200, 0.004),
    "TRY": (32.300, 0.004),
    "TWD": (32.100, 0.003),
    "ZAR": (18.600, 0.008),
}
_REVERSION = 0.995  # share of yesterday's deviation from the anchor that survives a day


def round_rate(rate: float) -> float:
    """Four decimals below 10, three below 100, two above: what rate APIs publish."""
    if rate < 10:
        return round(rate, 4)
    if rate < 100:
        return round(rate, 3)
    return round(rate, 2)


class FxRates:
    """Published (rounded) rates per date, from the first history date on."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.first_date = plan.base_date - timedelta(days=HISTORY_DAYS)
        start = plan.rng("fx", "start")
        self._deviation = {c: start.gauss(0.0, 4 * vol) for c, (_, vol) in CURRENCIES.items()}
        self._published: list[dict[str, float]] = []

    def rates(self, rate_date: date) -> dict[str, float]:
        """The rates of ``rate_date`` (not before the first history date)."""
        index = (rate_date - self.first_date).days
        if index < 0:
            raise ValueError(f"no FX rates before {self.first_date}: {rate_date}")
        while len(self._published) <= index:
            self._step(self.first_date + timedelta(days=len(self._published)))
        return self._published[index]

    def _step(self, rate_date: date) -> None:
        rng = self.plan.rng("fx", rate_date.isoformat())
        published = {}
        for code, (anchor, vol) in CURRENCIES.items():
            deviation = _REVERSION * self._deviation[code] + rng.gauss(0.0, vol)
            self._deviation[code] = deviation
            published[code] = round_rate(anchor * math.exp(deviation))
        self._published.append(published)

    def convert(self, amount: float, from_ccy: str, to_ccy: str, rate_date: date) -> float:
        rates = self.rates(rate_date)
        usd = amount / rates[from_ccy] if from_ccy != BASE_CURRENCY else amount
        return usd * rates[to_ccy] if to_ccy != BASE_CURRENCY else usd


def fx_documents(fx: FxRates, day: int) -> list[dict]:
    """The documents of batch ``day``: every history date for day 0, else the day before."""
    plan = fx.plan
    if day == 0:
        dates = [fx.first_date + timedelta(days=i) for i in range(HISTORY_DAYS)]
    else:
        dates = [plan.batch_date(day) - timedelta(days=1)]
    return [
        {"base": BASE_CURRENCY, "date": d.isoformat(), "rates": dict(fx.rates(d))} for d in dates
    ]


def write_fx_documents(folder: Path, documents: list[dict]) -> dict[str, list[dict]]:
    """Write ``rates_<date>.json`` per document; returns file name -> the records it holds."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for doc in documents:
        name = write_fx_document(folder, f"rates_{doc['date']}.json", doc)
        files[name] = [doc]
    return files


def write_fx_document(folder: Path, name: str, doc: dict) -> str:
    (folder / name).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return name
