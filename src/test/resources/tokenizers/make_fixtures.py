"""Writes the SentencePiece tokenizer fixtures of this folder from checkpoints/tiny-llama/tokenizer.json.

Run from the repo root with the `tokenizers` and `sentencepiece` Python packages:
    python src/test/resources/tokenizers/make_fixtures.py
- spm-normalizer/tokenizer.json: the same tokenizer in the older SentencePiece form that LLaMA-2-7b-hf's
  tokenizer.json uses (normalizer Prepend "▁" + Replace " " -> "▁", "pre_tokenizer": null);
- spm-model/tokenizer.model: the same vocabulary as a SentencePiece BPE model protobuf (written with sentencepiece's
  own protobuf classes), score of a token = -(rank of the first merge that makes it), 0 for others;
- golden.json: what the sentencepiece library (not our code) reads from tokenizer.model (piece, score, the token type
  llama.cpp's convert.py derives) and the ids it and HF tokenizers give for a few texts.
"""
import copy, json, os
import sentencepiece as spm
from sentencepiece import sentencepiece_model_pb2 as pb
from tokenizers import Tokenizer

here = os.path.dirname(os.path.abspath(__file__))
src = json.load(open("checkpoints/tiny-llama/tokenizer.json", encoding="utf-8"))

old = copy.deepcopy(src)
old["normalizer"] = {"type": "Sequence", "normalizers": [
    {"type": "Prepend", "prepend": "▁"},
    {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]}
old["pre_tokenizer"] = None
os.makedirs(os.path.join(here, "spm-normalizer"), exist_ok=True)
with open(os.path.join(here, "spm-normalizer", "tokenizer.json"), "w", encoding="utf-8") as f:
    json.dump(old, f, ensure_ascii=False)

vocab = src["model"]["vocab"]
rank = {}
for k, m in enumerate(src["model"]["merges"]):
    s = m.replace(" ", "", 1) if isinstance(m, str) else m[0] + m[1]
    rank.setdefault(s, k)
special = {a["content"] for a in src["added_tokens"] if a["special"]}
mp = pb.ModelProto()
for piece, i in sorted(vocab.items(), key=lambda e: e[1]):
    p = mp.pieces.add()
    p.piece = piece
    p.score = float(-rank[piece]) if piece in rank else 0.0
    if piece == "<unk>":
        p.type = pb.ModelProto.SentencePiece.UNKNOWN
    elif piece in special:
        p.type = pb.ModelProto.SentencePiece.CONTROL
    elif len(piece) == 6 and piece.startswith("<0x") and piece.endswith(">"):
        p.type = pb.ModelProto.SentencePiece.BYTE
    else:
        p.type = pb.ModelProto.SentencePiece.NORMAL
mp.trainer_spec.model_type = pb.TrainerSpec.BPE
mp.trainer_spec.vocab_size = len(vocab)
mp.trainer_spec.byte_fallback = True
mp.trainer_spec.unk_id, mp.trainer_spec.bos_id, mp.trainer_spec.eos_id, mp.trainer_spec.pad_id = 0, 1, 2, -1
mp.normalizer_spec.name = "identity"
mp.normalizer_spec.add_dummy_prefix = True
mp.normalizer_spec.remove_extra_whitespaces = False
mp.normalizer_spec.escape_whitespaces = True
os.makedirs(os.path.join(here, "spm-model"), exist_ok=True)
model_path = os.path.join(here, "spm-model", "tokenizer.model")
with open(model_path, "wb") as f:
    f.write(mp.SerializeToString())

sp = spm.SentencePieceProcessor(model_file=model_path)
hf = Tokenizer.from_file("checkpoints/tiny-llama/tokenizer.json")
texts = ["The history of the city begins in the early years of the century, when",
         "It was the best of times, it was the worst of times.",
         "  two  spaces, a tab\tand naïve café 東京 🙂 über",
         "Hello world"]
golden = {"pieces": [], "scores": [], "types": [], "texts": texts, "sentencepiece_ids": [], "hf_ids": []}
for i in range(sp.vocab_size()):
    t = 1
    if sp.is_unknown(i): t = 2
    if sp.is_control(i): t = 3
    if sp.is_unused(i): t = 5
    if sp.is_byte(i): t = 6
    golden["pieces"].append(sp.id_to_piece(i))
    golden["scores"].append(sp.get_score(i))
    golden["types"].append(t)
for t in texts:
    golden["sentencepiece_ids"].append([1] + sp.encode(t))
    golden["hf_ids"].append(hf.encode(t).ids)
with open(os.path.join(here, "golden.json"), "w", encoding="utf-8") as f:
    json.dump(golden, f, ensure_ascii=False)
for a, b, t in zip(golden["sentencepiece_ids"], golden["hf_ids"], texts):
    print("same" if a == b else "DIFFERENT", len(a), repr(t))
old_tok = Tokenizer.from_file(os.path.join(here, "spm-normalizer", "tokenizer.json"))
print("normalizer form", all(old_tok.encode(t).ids == hf.encode(t).ids for t in texts))
