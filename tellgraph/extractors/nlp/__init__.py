"""Text analysis of communications: entities, projects, topics, relations, signatures, sentiment, actions.

:class:`NlpPipeline` cleans each message, runs spaCy once per batch and returns one
:class:`TextAnalysis` per message, as plain data; ``tellgraph.ingest.enrich`` turns
those into graph writes. spaCy and VADER are imported only when a pipeline first runs.
"""

from __future__ import annotations

from tellgraph.extractors.nlp.actions import ActionItem, extract_actions, resolve_due
from tellgraph.extractors.nlp.entities import EntityMention
from tellgraph.extractors.nlp.pipeline import (
    MAX_NLP_CHARS,
    MODEL,
    CleanedText,
    NlpPipeline,
    TextAnalysis,
    TextInput,
    clean_text,
    guess_language,
    load_model,
)
from tellgraph.extractors.nlp.relations import RECIPIENT, SENDER, SENDER_COMPANY, Employment, Introduction, Relations
from tellgraph.extractors.nlp.sentiment import SentimentScorer
from tellgraph.extractors.nlp.signatures import Signature, parse_signature, split_signature
from tellgraph.extractors.nlp.topics import Phrase, PhraseVocabulary

__all__ = [
    "MAX_NLP_CHARS",
    "MODEL",
    "RECIPIENT",
    "SENDER",
    "SENDER_COMPANY",
    "ActionItem",
    "CleanedText",
    "Employment",
    "EntityMention",
    "Introduction",
    "NlpPipeline",
    "Phrase",
    "PhraseVocabulary",
    "Relations",
    "SentimentScorer",
    "Signature",
    "TextAnalysis",
    "TextInput",
    "clean_text",
    "extract_actions",
    "guess_language",
    "load_model",
    "parse_signature",
    "resolve_due",
    "split_signature",
]
