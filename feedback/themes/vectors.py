"""The optional embedding plug-in for theme suggestions: aligned multilingual word vectors from a local folder
(``SAMRAD_THEME_VECTORS_DIR``), off by default. Nothing is downloaded: an operator puts the file there.

The folder holds ``vectors.vec`` (or ``vectors.txt``) in the word2vec/fastText text format: an optional header
line ``count dims``, then one line per word, ``word v1 v2 ... vdims``, separated by spaces. Aligned vectors
(fastText's ``wiki.da.align.vec``, ``wiki.sv.align.vec``, ``wiki.en.align.vec``, or MUSE's) put words of
different languages with the same meaning near each other, so "belysning" meets "lighting". The files of
several languages may simply be concatenated (their words carry no language prefix); a word listed twice keeps
its first vector, as gensim does.

Such files hold hundreds of thousands of words of 300 numbers each (gigabytes as text), so the vectors are never
all loaded: on the first suggestion one pass over the file builds an index, word -> where its line starts, kept
in two flat arrays of 8 bytes per word each (the key array holds a 40-bit hash of the word and the line's
number; a lookup bisects it and checks the word on the line it reads, so a hash collision costs a read, never a
wrong vector). The vectors a text or a theme needs are read from the file on demand (``os.pread``) and kept,
scaled to unit length, in a small LRU cache of ``CACHE_WORDS`` words, unknown words included.

A folder that is missing, unreadable or malformed logs one warning (the folder and what is wrong, never a word
of any text) and the plug-in stays off: suggestions are then exactly those without it.
"""

from __future__ import annotations

import logging
import math
import operator
import os
import threading
from array import array
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path

import mmh3

from feedback.themes.features import content_words

log = logging.getLogger(__name__)

FILE_NAMES = ("vectors.vec", "vectors.txt")
CACHE_WORDS = 4096  # unit vectors kept in memory: 4,096 x 300 dims x 4 bytes is under 5 MiB
_LINE_BITS = 24  # a key is (40-bit hash << 24) | the word's number in the file: at most 2**24 words are indexed
MAX_WORDS = 1 << _LINE_BITS
_LINE_MASK = MAX_WORDS - 1
MAX_LINE = 1 << 16  # bytes read for one word's line (300 dims of fastText are about 3 KiB)
MAX_DIMS = 4096
_BOM = b"\xef\xbb\xbf"


class VectorsError(Exception):
    """What is wrong with the folder or its file (says nothing of its words)."""


def _hash(word: bytes) -> int:
    """40 bits of MurmurHash3 (x64, 128-bit, seed 0) of a word's UTF-8 bytes."""
    return mmh3.hash64(word, 0, signed=False)[0] >> 24


def _unit(values: array) -> array | None:
    norm = math.sqrt(sum(map(operator.mul, values, values)))
    if not norm or not math.isfinite(norm):
        return None
    return array("f", (value / norm for value in values))


class WordVectors:
    """Aligned word vectors read on demand from ``folder``'s vector file. ``load()`` builds the index (once,
    thread-safe; a worker thread may run it); every other method loads it first when needed. When the folder
    cannot be used, ``ready`` is False and every embedding is None."""

    def __init__(self, folder: str | os.PathLike[str], cache_words: int = CACHE_WORDS) -> None:
        self.folder = Path(folder)
        self.cache_words = max(1, cache_words)
        self.dims = 0
        self.words = 0
        self.ready = False
        self.failed = False
        self._keys = array("Q")  # ascending: (hash << _LINE_BITS) | number
        self._offsets = array("q")  # per word number, where its line starts; then the file's size
        self._fd: int | None = None
        self._cache: OrderedDict[str, array | None] = OrderedDict()
        self._lock = threading.Lock()
        self._cache_lock = threading.Lock()

    # --- the index ------------------------------------------------------------------------------------------

    def load(self) -> bool:
        """Build the index (the first call does; later calls answer at once). False when the folder cannot be
        used: one warning is logged, the first time."""
        with self._lock:
            if not (self.ready or self.failed):
                try:
                    self._build()
                    self.ready = True
                except (OSError, VectorsError, ValueError, OverflowError, MemoryError) as error:
                    self._fail(error)
            return self.ready

    def _fail(self, error: BaseException) -> None:
        self.failed, self.ready = True, False
        self._keys, self._offsets = array("Q"), array("q")
        with self._cache_lock:
            self._cache.clear()
        self.close()
        reason = str(error) if isinstance(error, VectorsError) else type(error).__name__
        log.warning("theme vectors in %s are not used: %s", self.folder, reason)

    def _file(self) -> Path:
        if not self.folder.is_dir():
            raise VectorsError("no such folder")
        for name in FILE_NAMES:
            if (self.folder / name).is_file():
                return self.folder / name
        raise VectorsError(f"the folder holds neither {' nor '.join(FILE_NAMES)}")

    def _build(self) -> None:
        path = self._file()
        keys, offsets = array("Q"), array("q")
        dims = offset = number = 0
        with path.open("rb", buffering=1 << 20) as file:
            for position, line in enumerate(file):
                start, offset = offset, offset + len(line)
                if position == 0:
                    if line.startswith(_BOM):  # a file saved by an editor that marks UTF-8
                        line, start = line[len(_BOM):], start + len(_BOM)
                    if _is_header(line):
                        dims = int(line.split()[1])
                        continue
                space = line.find(b" ")
                if space <= 0:
                    continue  # a blank line, or no numbers: not a word
                if not number:
                    dims = _check_first_vector(line, dims)
                if number == MAX_WORDS:
                    log.warning("theme vectors in %s: only the first %d words are used", self.folder, MAX_WORDS)
                    break
                keys.append((_hash(line[:space]) << _LINE_BITS) | number)
                offsets.append(start)
                number += 1
        if not number:
            raise VectorsError("the file holds no word vectors")
        offsets.append(offset)
        self._keys = array("Q", sorted(keys))  # a moment's list of ints; the index itself is the two arrays
        self._offsets = offsets
        self.dims, self.words = dims, number
        self._fd = os.open(path, os.O_RDONLY)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def index_bytes(self) -> int:
        """The memory the index takes: its two arrays (8 bytes each per word), whatever the dimensions."""
        return self._keys.itemsize * len(self._keys) + self._offsets.itemsize * len(self._offsets)

    def cached(self) -> int:
        return len(self._cache)

    # --- vectors --------------------------------------------------------------------------------------------

    def vector(self, word: str) -> array | None:
        """The unit vector of ``word`` as written in the file (None when it has none)."""
        if not (self.ready or self.load()):
            return None
        cache = self._cache
        with self._cache_lock:  # a ranking may be built in a thread while the event loop suggests
            if word in cache:
                cache.move_to_end(word)
                return cache[word]
        try:
            found = self._read(word)
        except OSError as error:
            self._fail(error)
            return None
        with self._cache_lock:
            cache[word] = found
            if len(cache) > self.cache_words:
                cache.popitem(last=False)
        return found

    def _read(self, word: str) -> array | None:
        fd, keys, offsets = self._fd, self._keys, self._offsets
        if fd is None:
            return None
        spelled = word.encode("utf-8", "surrogatepass")
        wanted = _hash(spelled)
        position = bisect_left(keys, wanted << _LINE_BITS)
        while position < len(keys) and keys[position] >> _LINE_BITS == wanted:
            number = keys[position] & _LINE_MASK
            start = offsets[number]
            line = os.pread(fd, min(offsets[number + 1] - start, MAX_LINE), start)
            parts = line.split(b"\n", 1)[0].split()
            if parts and parts[0] == spelled:
                if len(parts) != self.dims + 1:
                    return None  # a damaged line: the word counts as unknown
                try:
                    return _unit(array("f", map(float, parts[1:])))
                except (ValueError, OverflowError):
                    return None
            position += 1
        return None

    def embed(self, words: Iterable[str]) -> array | None:
        """The mean of the unit vectors of the known ``words``, scaled to unit length (None when none is known).
        Summed in the order given, so the same words give the same vector."""
        total: list[float] | None = None
        for word in words:
            unit = self.vector(word)
            if unit is None:
                continue
            total = list(unit) if total is None else list(map(operator.add, total, unit))
        return None if total is None else _unit(array("f", total))

    def embed_texts(self, texts: Iterable[tuple[str, str]]) -> array | None:
        """The embedding of the content words of several ``(text, language)`` together (lower case, the stop
        words of each text's language left out, as ``features`` does)."""
        return self.embed(word for text, language in texts for word in content_words(text, language))


def _is_header(line: bytes) -> bool:
    """Whether the first line is the header, ``count dims``."""
    parts = line.split()
    if len(parts) == 2 and parts[0].isdigit() and parts[1].isdigit():
        if int(parts[0]) < 1 or not 1 <= int(parts[1]) <= MAX_DIMS:
            raise VectorsError("the header line announces no usable vectors")
        return True
    return False


def _check_first_vector(line: bytes, dims: int) -> int:
    """The dimensions of the file, from its first word's line (and the header's, when it has one, which must
    agree); VectorsError when that line is not a word and its numbers."""
    parts = line.split()
    try:
        values = [float(value) for value in parts[1:]]
    except ValueError:
        raise VectorsError("the first word's line is not a word and its numbers (a binary file?)") from None
    if not values or len(values) > MAX_DIMS or (dims and len(values) != dims):
        raise VectorsError(f"the first word has {len(values)} numbers, the header says {dims}" if dims else
                           "the first word's line does not have a usable number of values")
    return len(values)
