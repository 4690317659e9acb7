"""Word-level tokens: words and punctuation, each carrying the spaces before it; line breaks alone.

" ROMEO", ":", "\\n", " I", " am" — joining the tokens with "" gives back the exact text, so
sampling produces readable text with no guessing about where spaces go.
"""

import re

# A run of horizontal whitespace attaches to the next word or punctuation mark; each line break is
# its own token so verse and speaker lines keep their shape.
_TOKEN = re.compile(r"[^\S\n]*(?:\w+|[^\w\s])|\n|[^\S\n]+")


def split(text: str) -> list[str]:
    return _TOKEN.findall(text)


def join(tokens: list[str]) -> str:
    return "".join(tokens)
