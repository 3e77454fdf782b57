"""Value domains of the benchmark data, shared by both sides so their checks stay equivalent."""

STATUSES = ("NEW", "PAID", "SHIPPED", "CANCELLED", "REFUNDED")
COUNTRIES = (
    "US",
    "GB",
    "DE",
    "FR",
    "ES",
    "IT",
    "NL",
    "SE",
    "PL",
    "BR",
    "MX",
    "CA",
    "JP",
    "IN",
    "AU",
    "NZ",
)
