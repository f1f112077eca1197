"""A question as a member sees it: pure functions over a ``QuestionSpec``.

What leaves the server during an attempt is built here and only here, so that grading
data never reaches the browser before the review allows: ``question_for_member`` copies
the texts and keys a member needs to answer and nothing else — no fractions, no feedback,
no accepted answers, no tolerance, no pairing of prompts with answers, and never the
correct order of an ordering question.

Texts: ``text`` is the question's rich text rendered for the browser (Wagtail's whitelist,
images expanded); option, prompt and item texts are the bank's strings, which are
whitelisted rich text too, rendered the same way. Matching ``answers`` are plain strings
(they are also the values a response sends back): templates must escape them.
"""

from __future__ import annotations

import random
import re
from typing import Any

from . import richtext
from . import spec as qspec
from .spec import QuestionSpec

SHUFFLED_TYPES = frozenset({qspec.SINGLE, qspec.MULTI})


def _shuffled(keys: list[str], rng: random.Random) -> list[str]:
    keys = list(keys)
    rng.shuffle(keys)
    return keys


def matching_answers(spec: QuestionSpec) -> list[str]:
    """The distinct answer texts of a matching question (distractors included), in
    authored order."""
    seen: list[str] = []
    for pair in spec.pairs:
        if pair.answer not in seen:
            seen.append(pair.answer)
    return seen


def option_order_for(spec: QuestionSpec, *, shuffle: bool, rng: random.Random) -> list[str]:
    """The keys of what a member picks from, in the order shown.

    - single and multiple response: the choice keys, shuffled when ``shuffle``;
    - true/false: "true", "false" as authored, never shuffled;
    - matching: the distinct answer texts, shuffled when ``shuffle``, else sorted (the
      authored order would pair them with the prompts);
    - ordering: the item keys, always shuffled and never in the correct order (when
      there are two items or more);
    - other types: ``[]``.
    """
    if spec.qtype in SHUFFLED_TYPES:
        keys = [choice.key for choice in spec.choices]
        return _shuffled(keys, rng) if shuffle else keys
    if spec.qtype == qspec.TRUEFALSE:
        return [choice.key for choice in spec.choices]
    if spec.qtype == qspec.MATCHING:
        answers = matching_answers(spec)
        return _shuffled(answers, rng) if shuffle else sorted(answers)
    if spec.qtype == qspec.ORDERING:
        correct = [item.key for item in spec.items]
        if len(set(correct)) < 2:
            return correct
        order = _shuffled(correct, rng)
        while order == correct:
            order = _shuffled(correct, rng)
        return order
    return []


def gap_count(spec: QuestionSpec) -> int:
    """How many gaps a fill-in-the-blanks text has (distinct ``[[n]]`` markers)."""
    return len(set(re.findall(qspec.GAP_MARKER, spec.text)))


def _ordered(by_key: dict[str, Any], order: list[str]) -> list[Any]:
    """The values of ``by_key`` in ``order``; keys missing from ``order`` follow in
    authored order (a stored order from an older version never hides an option)."""
    shown = [by_key[key] for key in order if key in by_key]
    shown += [value for key, value in by_key.items() if key not in order]
    return shown


def question_for_member(
    *,
    spec: QuestionSpec,
    position: int,
    option_order: list[str],
    response: dict | None,
) -> dict[str, Any]:
    """The JSON-ready question a member answers::

        {"position", "qtype", "text", "options": [{"key", "text"}],
         "prompts": [{"key", "text"}], "answers": [str], "items": [{"key", "text"}],
         "gaps": int, "response": dict | None}

    ``options`` for single/multi/true-false, ``prompts`` and ``answers`` for matching,
    ``items`` for ordering (in the shuffled order), ``gaps`` for fill in the blanks; the
    others are empty. ``response`` is the member's saved response, as they sent it.
    """
    options: list[dict[str, str]] = []
    prompts: list[dict[str, str]] = []
    answers: list[str] = []
    items: list[dict[str, str]] = []
    gaps = 0
    qtype = spec.qtype
    if qtype in (qspec.SINGLE, qspec.MULTI, qspec.TRUEFALSE):
        by_key = {
            c.key: {"key": c.key, "text": richtext.render(c.text) if c.text else ""}
            for c in spec.choices
        }
        options = _ordered(by_key, option_order)
    elif qtype == qspec.MATCHING:
        prompts = [
            {"key": pair.key, "text": richtext.render(pair.prompt)}
            for pair in spec.pairs
            if pair.prompt.strip()
        ]
        by_text = {answer: answer for answer in matching_answers(spec)}
        answers = _ordered(by_text, option_order)
    elif qtype == qspec.ORDERING:
        by_key = {
            item.key: {"key": item.key, "text": richtext.render(item.text)} for item in spec.items
        }
        items = _ordered(by_key, option_order)
    elif qtype == qspec.GAPFILL:
        gaps = gap_count(spec)
    return {
        "position": position,
        "qtype": qtype,
        "text": richtext.render(spec.text),
        "options": options,
        "prompts": prompts,
        "answers": answers,
        "items": items,
        "gaps": gaps,
        "response": response,
    }
