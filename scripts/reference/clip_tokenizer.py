"""open_clip's SimpleTokenizer (CLIP BPE) without ftfy/regex: same vocabulary, merges, cleaning and pre-tokenizer.

The official pattern `<start_of_text>|<end_of_text>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+`
(regex module, IGNORECASE) is implemented as a scanner over unicodedata categories, since the standard `re` has no
\\p{..}. ftfy.fix_text is not applied (Debian has no python3-ftfy): it only changes mis-decoded text (mojibake), which
the prompts and the oracle's token sample do not contain.
"""
import gzip
import html
import unicodedata

import torch

SPECIAL = ["<start_of_text>", "<end_of_text>"]
CONTRACTIONS = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d"]


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(2**8):
        if b not in bs:
            bs.append(b)
            cs.append(2**8 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def _category(ch):
    return unicodedata.category(ch)[0]


def pretokenize(text):
    """re.findall of the official pattern, in order of its alternatives at each position."""
    out = []
    i = 0
    n = len(text)
    lower = text.lower()
    while i < n:
        matched = next((s for s in SPECIAL if text.startswith(s, i)), None) or next(
            (c for c in CONTRACTIONS if lower.startswith(c, i)), None
        )
        if matched:
            out.append(text[i : i + len(matched)])
            i += len(matched)
            continue
        ch = text[i]
        cat = _category(ch)
        if cat == "L":
            j = i + 1
            while j < n and _category(text[j]) == "L":
                j += 1
        elif cat == "N":
            j = i + 1
        elif not ch.isspace():
            j = i + 1
            while j < n and not text[j].isspace() and _category(text[j]) not in ("L", "N"):
                j += 1
        else:
            i += 1
            continue
        out.append(text[i:j])
        i = j
    return out


def _pairs(word):
    return {(word[k], word[k + 1]) for k in range(len(word) - 1)}


class ClipTokenizer:
    def __init__(self, bpe_path):
        self.byte_encoder = bytes_to_unicode()
        merges = gzip.open(bpe_path).read().decode("utf-8").split("\n")
        merges = [tuple(m.split()) for m in merges[1 : 49152 - 256 - 2 + 1]]
        vocab = list(self.byte_encoder.values())
        vocab = vocab + [v + "</w>" for v in vocab]
        vocab += ["".join(m) for m in merges]
        vocab += SPECIAL
        self.encoder = {v: i for i, v in enumerate(vocab)}
        self.bpe_ranks = {m: i for i, m in enumerate(merges)}
        self.cache = {t: t for t in SPECIAL}

    def bpe(self, token):
        if token in self.cache:
            return self.cache[token]
        word = tuple(token[:-1]) + (token[-1] + "</w>",)
        pairs = _pairs(word)
        if not pairs:
            return token + "</w>"
        while True:
            bigram = min(pairs, key=lambda p: self.bpe_ranks.get(p, float("inf")))
            if bigram not in self.bpe_ranks:
                break
            first, second = bigram
            merged = []
            i = 0
            while i < len(word):
                try:
                    j = word.index(first, i)
                except ValueError:
                    merged.extend(word[i:])
                    break
                merged.extend(word[i:j])
                i = j
                if word[i] == first and i < len(word) - 1 and word[i + 1] == second:
                    merged.append(first + second)
                    i += 2
                else:
                    merged.append(word[i])
                    i += 1
            word = tuple(merged)
            if len(word) == 1:
                break
            pairs = _pairs(word)
        result = " ".join(word)
        self.cache[token] = result
        return result

    def encode(self, text):
        text = html.unescape(html.unescape(text)).strip()
        text = " ".join(text.split()).lower()
        ids = []
        for token in pretokenize(text):
            token = "".join(self.byte_encoder[b] for b in token.encode("utf-8"))
            ids.extend(self.encoder[t] for t in self.bpe(token).split(" "))
        return ids

    def __call__(self, texts, context_length=77):
        sot, eot = self.encoder["<start_of_text>"], self.encoder["<end_of_text>"]
        result = torch.zeros(len(texts), context_length, dtype=torch.long)
        for row, text in enumerate(texts):
            tokens = [sot] + self.encode(text) + [eot]
            if len(tokens) > context_length:
                tokens = tokens[:context_length]
                tokens[-1] = eot
            result[row, : len(tokens)] = torch.tensor(tokens)
        return result
