from __future__ import annotations

import phonenumbers


def normalize_phone(raw: str, region: str = "RU") -> str | None:
    """E.164 form of a phone as people write it (8 912…, +7 (912)…, 7912…), or None if invalid."""
    cleaned = raw.strip()
    if not cleaned:
        return None
    digits = "".join(ch for ch in cleaned if ch.isdigit())
    if not cleaned.startswith("+") and len(digits) == 11 and digits[0] in "78":
        cleaned = "+7" + digits[1:]
    elif not cleaned.startswith("+") and len(digits) > 11:
        cleaned = "+" + digits
    try:
        number = phonenumbers.parse(cleaned, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
