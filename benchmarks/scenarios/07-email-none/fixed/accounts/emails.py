def normalise_email(email: str | None) -> str:
    if email is None:
        return ""
    return email.strip().lower()
