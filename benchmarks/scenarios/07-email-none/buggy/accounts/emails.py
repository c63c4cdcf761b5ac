def normalise_email(email: str | None) -> str:
    return email.strip().lower()
