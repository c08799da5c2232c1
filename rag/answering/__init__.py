"""From a question and retrieved passages to an answer: checking the question, choosing sentences to quote, refusing."""
