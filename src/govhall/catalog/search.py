"""Chinese search of the catalog: words, not characters, and forgiving of common typos.

Text is segmented with jieba (search mode, so 水土保持 also yields 水土 and 保持). Each
version stores its words in ``search_text``. A query word that matches no indexed word is
looked up by its pinyin — the most common misspelling of a Chinese name is a homophone
(彩伐 for 采伐, 取水许可 typed 取水须可) — and, failing that, by a near pinyin spelling.
The vocabulary of indexed words is rebuilt per process when the catalog changes.
"""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import jieba
from pypinyin import lazy_pinyin

if TYPE_CHECKING:
    from govhall.catalog.models import ItemVersion

jieba.setLogLevel(logging.WARNING)

_PUNCTUATION = re.compile(r"[\s\W_]+", re.UNICODE)
_STOP_WORDS = frozenset({"的", "和", "与", "及", "或", "等", "在", "对", "了", "是", "办理", "申请"})


def tokenize(text: str) -> list[str]:
    """Segment ``text`` into lower-case search words (jieba search mode), without punctuation."""
    words: list[str] = []
    for chunk in _PUNCTUATION.split(text.lower()):
        if not chunk:
            continue
        for word in jieba.cut_for_search(chunk):
            word = word.strip()
            if word and word not in _STOP_WORDS:
                words.append(word)
    return words


def build_search_text(version: ItemVersion) -> str:
    """All the words a citizen might search an item by: name, conditions, materials, themes."""
    parts: list[str] = [version.name, version.name, version.acceptance_conditions, version.result_name]
    parts.extend(version.themes or [])
    if version.pk:
        parts.extend(version.materials.values_list("name", flat=True))
    parts.append(version.item.implementation_code if version.item_id else "")
    return " ".join(dict.fromkeys(tokenize(" ".join(p for p in parts if p))))


def pinyin_key(word: str) -> str:
    return "".join(lazy_pinyin(word))


@dataclass
class Vocabulary:
    words: set[str]
    by_pinyin: dict[str, set[str]]

    @classmethod
    def build(cls, texts: Iterable[str]) -> Vocabulary:
        words: set[str] = set()
        for text in texts:
            words.update(text.split())
        by_pinyin: dict[str, set[str]] = {}
        for word in words:
            by_pinyin.setdefault(pinyin_key(word), set()).add(word)
        return cls(words, by_pinyin)

    def expand(self, query_word: str) -> set[str]:
        """The indexed words that ``query_word`` may mean: itself, homophones, near spellings."""
        if query_word in self.words:
            return {query_word}
        key = pinyin_key(query_word)
        if key in self.by_pinyin:
            return set(self.by_pinyin[key])
        if len(key) >= 4:
            close = difflib.get_close_matches(key, list(self.by_pinyin), n=3, cutoff=0.85)
            return {word for match in close for word in self.by_pinyin[match]}
        return set()


def query_terms(query: str, vocabulary: Vocabulary) -> list[set[str]]:
    """For each word of the query, the set of indexed words that satisfy it.

    A query word that is neither indexed nor near any indexed word is split into its
    characters' words again (a typo can make jieba cut differently) before giving up.
    """
    groups: list[set[str]] = []
    for word in tokenize(query):
        expanded = vocabulary.expand(word)
        if not expanded and len(word) > 2:
            for piece in jieba.lcut(word, HMM=False):
                piece_words = vocabulary.expand(piece)
                if piece_words:
                    groups.append(piece_words)
            continue
        groups.append(expanded or {word})
    return groups
