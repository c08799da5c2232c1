"""Follow-up questions in a conversation, rewritten into questions that stand on their own."""
from __future__ import annotations

from collections.abc import Sequence

from rag.types import Turn


def standalone_question(question: str, history: Sequence[Turn]) -> str | None:
    """The standalone question `question` stands for after `history` (oldest first), or None when it stands alone."""
    return None
