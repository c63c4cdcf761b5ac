"""URL slugs."""

import re
import unicodedata


def slugify(title: str, max_length: int = 0) -> str:
    plain = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", plain.lower())
    slug = "-".join(words)
    if max_length > 0 and len(slug) > max_length:
        cut = slug[:max_length]
        if "-" in cut:
            cut = cut[: cut.rindex("-")]
        slug = cut
    return slug


def truncate(text: str, width: int) -> str:
    if width < 1:
        raise ValueError("width must be at least 1")
    if len(text) <= width:
        return text
    return text[: width - 1] + "…"
