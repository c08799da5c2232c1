"""The learned parts of answering, read from a versioned JSON file shipped in the package (`model.json`).

Two linear models, both plain numpy at ask time:
- the quote ranker scores each candidate sentence (a conditional logit: softmax over the question's candidates);
- the answerability model gives the probability that the documents answer the question at all (logistic,
  calibrated on held-out questions), shown as `Answer.confidence`; below `threshold` the answer is a refusal.
The file names its features in order; loading refuses a file whose names differ from the code's, so a model
can never be applied to features it was not trained on. `benchmarks/train.py` writes it, deterministically.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.answering.features import CANDIDATE_FEATURES, QUESTION_FEATURES
from rag.errors import RagError

MODEL_FORMAT = 1
MODEL_PATH = Path(__file__).with_name("model.json")
RETRAIN = "run `.venv/bin/python benchmarks/train.py` to retrain it"


class ModelFileError(RagError):
    """The shipped model file is missing, damaged or does not match the code."""


@dataclass(frozen=True)
class LinearModel:
    names: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float

    def logits(self, features: np.ndarray) -> np.ndarray:
        return ((features - self.mean) / self.scale) @ self.weights + self.bias

    def to_json(self) -> dict:
        return {"features": {name: {"weight": round(float(w), 6), "mean": round(float(m), 6), "scale": round(float(s), 6)}
                             for name, w, m, s in zip(self.names, self.weights, self.mean, self.scale)},
                "bias": round(float(self.bias), 6)}

    @classmethod
    def from_json(cls, data: dict, expected: tuple[str, ...], what: str, path: Path) -> "LinearModel":
        names = tuple(data["features"])
        if names != expected:
            raise ModelFileError(f"{path}: the {what} model's features {list(names)} are not the code's {list(expected)}; {RETRAIN}")
        rows = [data["features"][n] for n in names]
        return cls(names, np.array([r["mean"] for r in rows]), np.array([r["scale"] for r in rows]),
                   np.array([r["weight"] for r in rows]), float(data["bias"]))


@dataclass(frozen=True)
class AnswerModel:
    ranker: LinearModel
    answerable: LinearModel
    threshold: float  # refuse when the probability of an answer is below this
    second_quote: float  # quote the runner-up too when its share of the softmax is at least this part of the best's
    training: dict  # how it was trained: data files with sha256, seed, figures reached

    def probability(self, question_features: np.ndarray) -> float:
        return float(1.0 / (1.0 + np.exp(-self.answerable.logits(question_features))))

    def to_json(self) -> dict:
        return {"format": "rag-chat answer model", "format_version": MODEL_FORMAT,
                "threshold": round(self.threshold, 6), "second_quote": round(self.second_quote, 6),
                "ranker": self.ranker.to_json(), "answerable": self.answerable.to_json(), "training": self.training}


def read_model(path: Path = MODEL_PATH) -> AnswerModel:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelFileError(f"the answer model {path} is missing; {RETRAIN}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ModelFileError(f"the answer model {path} is not valid JSON ({type(e).__name__}); {RETRAIN}") from None
    if not isinstance(data, dict) or data.get("format_version") != MODEL_FORMAT:
        version = data.get("format_version") if isinstance(data, dict) else None
        raise ModelFileError(f"the answer model {path} has format version {version!r}, the code reads {MODEL_FORMAT}; {RETRAIN}")
    try:
        return AnswerModel(LinearModel.from_json(data["ranker"], CANDIDATE_FEATURES, "ranker", path),
                           LinearModel.from_json(data["answerable"], QUESTION_FEATURES, "answerability", path),
                           float(data["threshold"]), float(data["second_quote"]), dict(data.get("training", {})))
    except (KeyError, TypeError, ValueError) as e:
        raise ModelFileError(f"the answer model {path} is damaged ({type(e).__name__}: {e}); {RETRAIN}") from None


def write_model(model: AnswerModel, path: Path = MODEL_PATH) -> None:
    path.write_text(json.dumps(model.to_json(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
