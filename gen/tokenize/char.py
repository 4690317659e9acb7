"""Character-level tokens: every Unicode character is one token (char-rnn's choice)."""


def split(text: str) -> list[str]:
    return list(text)


def join(tokens: list[str]) -> str:
    return "".join(tokens)
